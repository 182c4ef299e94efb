/* SPDX-License-Identifier: MIT */
/*
 * plugin.c: user scenarios as a shared object that `mob` loads by path:
 *
 *     cc -shared -fPIC -Iinclude -o plugin.so tools/examples/plugin/plugin.c
 *     mob ./plugin.so -w 10 -d 5s
 *
 * The object exports one symbol, mob_plugin_suite (MOB_PLUGIN_SYMBOL in mob_run.h); it calls
 * mob_ functions without linking the library, because the mob binary exports them. The same
 * table passed to mob_main(argc, argv, &suite) from a program's own main() gives that program
 * the whole command line instead.
 *
 * Two scenarios: "think" waits a millisecond (a stand-in for a request); "login" succeeds nine
 * times out of ten and fails with the "status" class otherwise, to show failures counted.
 */
#include <stdint.h>

#include "mob_run.h"

struct bot_state {
    int64_t logins;
};

static int think(mob_worker *w)
{
    return mob_sleep(w->bot, MOB_NS_PER_MS);
}

static int login(mob_worker *w)
{
    struct bot_state *st = w->state;
    st->logins++;
    return st->logins % 10 == 0 ? MOB_FAIL_STATUS : 0;
}

static const mob_scenario scenarios[] = {
    {"login", login, 1, 0},
    {"think", think, 0, 0}, /* weight 0: only with -s think */
    {NULL, NULL, 0, 0},
};

const mob_suite mob_plugin_suite = {
    .name = "plugin-example",
    .scenarios = scenarios,
    .state_size = sizeof(struct bot_state),
    .abi = MOB_PLUGIN_ABI, /* checked when mob loads this object */
};
