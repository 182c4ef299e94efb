/* SPDX-License-Identifier: MIT */
/*
 * mob: the command. Everything but choosing the built-in bots is mob_main_ex (src/run/cli.c):
 * this file maps a target to a suite. http:// runs the keep-alive HTTP bots (http.c), tcp://
 * runs echo bots (tcp.c), ws://, arena:// and arena+ws:// the WebSocket and arena suites of
 * the library (mob_arena.h), and a path to a shared object loads the suite it exports under
 * MOB_PLUGIN_SYMBOL (mob_run.h). The binary is linked with -rdynamic, so a plugin calls the
 * library's functions without linking it again.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mob_arena.h"
#include "mob_run.h"
#include "tool.h"

/* "./x.so", "dir/x", "x.so": anything with a slash and no scheme, or ending in .so. */
static int looks_like_path(const char *t)
{
    size_t n = strlen(t);
    if (strchr(t, '/') != NULL && strstr(t, "://") == NULL)
        return 1;
    return n > 3 && strcmp(t + n - 3, ".so") == 0;
}

static const mob_suite *choose(const char *target, char *err, size_t errlen)
{
    if (strncmp(target, "http://", 7) == 0)
        return mob_tool_http_suite(target, err, errlen);
    if (strncmp(target, "tcp://", 6) == 0)
        return mob_tool_tcp_suite(target, err, errlen);
    if (strncmp(target, "ws://", 5) == 0 || strncmp(target, "arena://", 8) == 0 ||
        strncmp(target, "arena+ws://", 11) == 0)
        return mob_arena_cli_suite(target, err, errlen);
    if (strncmp(target, "https://", 8) == 0) {
        snprintf(err, errlen, "https is not supported (plain http:// only): '%s'", target);
        return NULL;
    }
    if (looks_like_path(target)) {
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
    snprintf(err, errlen, "bad target '%s' (want http://, tcp://, ws:// or a .so)",
             target);
    return NULL;
}

int main(int argc, char **argv)
{
    return mob_main_ex(argc, argv, NULL, choose);
}
