/* SPDX-License-Identifier: MIT */
/*
 * ws.c: `mob ws://HOST:PORT/PATH`: WebSocket echo bots. Each run is one mob_ws_echo_step
 * (src/proto/ws_conn.c): send a --size byte message, wait for the same bytes back. The echo
 * state (connection and buffers, about 12 KiB) lives on the bot's stack.
 */
#include <errno.h>
#include <string.h>

#include "mob_ws.h"
#include "tool.h"

static struct {
    char host[256];
    char path[1024];
    mob_ws_echo_options opt;
} wsc;

static int ws_global_setup(const mob_options *o, void **ud)
{
    (void)ud;
    wsc.opt.host = wsc.host;
    wsc.opt.path = wsc.path;
    wsc.opt.message_size = o->payload_size ? o->payload_size : 32;
    if (wsc.opt.message_size > sizeof(((mob_ws_echo *)0)->msg))
        return -EINVAL; /* a message larger than the echo buffer */
    if (o->timeout_ns > 0)
        wsc.opt.timeout_ns = o->timeout_ns;
    return 0;
}

static int ws_echo(mob_worker *w)
{
    int64_t lat;
    return mob_ws_echo_step(w->bot, w->state, &wsc.opt, &lat);
}

static int ws_bot_teardown(mob_worker *w)
{
    mob_ws_echo_finish(w->bot, w->state);
    return 0;
}

static const mob_scenario ws_scenarios[] = {
    {"echo", ws_echo, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_suite ws_suite = {
    .name = "ws-echo",
    .scenarios = ws_scenarios,
    .global_setup = ws_global_setup,
    .bot_teardown = ws_bot_teardown,
    .state_size = sizeof(mob_ws_echo),
};

const mob_suite *mob_tool_ws_suite(const char *target, char *err, size_t errlen)
{
    if (mob_tool_host_port(target, 5, wsc.host, sizeof wsc.host, &wsc.opt.port) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want ws://HOST:PORT/PATH)", target);
        return NULL;
    }
    const char *p = strchr(target + 5 + (target[5] == '[' ? strcspn(target + 5, "]") : 0), '/');
    snprintf(wsc.path, sizeof wsc.path, "%s", p ? p : "/");
    if (p && strlen(p) >= sizeof wsc.path) {
        snprintf(err, errlen, "path too long in '%s'", target);
        return NULL;
    }
    return &ws_suite;
}
