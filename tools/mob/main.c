/* SPDX-License-Identifier: MIT */
/*
 * mob: the command. Everything is in the library: the command line is mob_main_ex
 * (src/run/cli.c) and the built-in suites are mob_builtin_suite (src/suites/, one file per
 * scheme). This file adds plugins: a path to a shared object loads the suite it exports under
 * MOB_PLUGIN_SYMBOL (mob_run.h). The binary is linked with -rdynamic, so a plugin calls the
 * library's functions without linking it again.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mob_run.h"
#include "mob_suites.h"

/* "./x.so", "dir/x", "x.so": anything with a slash and no scheme, or ending in .so. */
static int looks_like_path(const char *t)
{
    size_t n = strlen(t);
    if (strchr(t, '/') != NULL && strstr(t, "://") == NULL)
        return 1;
    return n > 3 && strcmp(t + n - 3, ".so") == 0;
}

static const mob_suite *choose(const char *target, const mob_suite_args *args, char *err,
                               size_t errlen)
{
    if (!looks_like_path(target))
        return mob_builtin_suite(target, args, err, errlen);
    void *h = dlopen(target, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load '%s': %s", target, dlerror());
        return NULL;
    }
    const mob_suite *s = dlsym(h, MOB_PLUGIN_SYMBOL);
    if (!s) {
        snprintf(err, errlen, "'%s' has no symbol %s (see mob_run.h)", target,
                 MOB_PLUGIN_SYMBOL);
        return NULL;
    }
    return s; /* the handle stays open for the life of the process */
}

int main(int argc, char **argv)
{
    return mob_main_ex(argc, argv, NULL, choose);
}
