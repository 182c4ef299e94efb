/* SPDX-License-Identifier: MIT */
/*
 * mob: the command. Everything is in the library: the command line is mob_main_ex
 * (src/run/cli.c) and the built-in suites are mob_builtin_suite (src/suites/, one file per
 * scheme). This file adds plugins: a path to a shared object loads the suite it exports under
 * MOB_PLUGIN_SYMBOL (mob_run.h), and a path to a C file is built into one first (source.c).
 * The binary is linked with -rdynamic, so a plugin calls the library's functions without
 * linking it again.
 */
#define _GNU_SOURCE /* dladdr1: the plugin symbol's ELF type and size */
#include <dlfcn.h>
#if defined(__linux__)
#include <link.h>
#endif
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mob_run.h"
#include "mob_suites.h"
#include "tool.h"

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
    size_t tl = strlen(target);
    static char so[PATH_MAX + 64];
    const char *path = target;
    if (tl > 2 && strcmp(target + tl - 2, ".c") == 0) {
        if (mob_tool_build_source(target, so, sizeof so, err, errlen) < 0)
            return NULL;
        path = so;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
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
#if defined(__linux__)
    /* A function, an int, or a suite of another layout under that name: refused before a
     * single field of it is read. */
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1(s, &info, (void **)&sym, RTLD_DL_SYMENT) && sym &&
        (ELF64_ST_TYPE(sym->st_info) != STT_OBJECT || sym->st_size != sizeof(mob_suite))) {
        snprintf(err, errlen,
                 "'%s': %s is not a mob_suite of this mob (a %s of %zu bytes, want an object of "
                 "%zu: rebuild it against this mob_run.h)",
                 target, MOB_PLUGIN_SYMBOL,
                 ELF64_ST_TYPE(sym->st_info) == STT_FUNC ? "function" : "symbol",
                 (size_t)sym->st_size, sizeof(mob_suite));
        return NULL;
    }
#endif
    if (s->abi != MOB_PLUGIN_ABI) {
        snprintf(err, errlen,
                 "'%s' was built for plugin ABI %u, and this mob runs ABI %u (set .abi = "
                 "MOB_PLUGIN_ABI and rebuild it against this mob_run.h)",
                 target, s->abi, MOB_PLUGIN_ABI);
        return NULL;
    }
    return s; /* the handle stays open for the life of the process */
}

int main(int argc, char **argv)
{
    return mob_main_ex(argc, argv, NULL, choose);
}
