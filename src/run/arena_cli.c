/* SPDX-License-Identifier: MIT */
/*
 * arena_cli.c: the built-in suites of the mob command for this project's protocols:
 *
 *   mob ws://HOST:PORT/PATH      WebSocket echo bots (mob_ws_echo_step): each run sends one
 *                                --size message and waits for the same bytes back
 *   mob arena://HOST:PORT        arena players over TCP frames (mob_arena_suite)
 *   mob arena+ws://HOST:PORT     arena players over WebSocket
 *   mob arena://in-process       arena players and the arena itself in the same loop
 *
 * mob_arena_cli_suite() maps a target to its suite; the mob command asks it before saying
 * that a scheme is unknown.
 *
 * Read next: src/proto/ws_echo.c, src/run/arena_player.c (the end of it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mob_arena.h"
#include "mob_run.h"
#include "mob_ws.h"

static struct {
    char host[256];
    char path[512];
    int port;
    mob_ws_echo_options o;
} echo;

/* Splits "HOST:PORT[/PATH]" (IPv6 in brackets) after the scheme. Returns 0 or -EINVAL. */
static int split_target(const char *t, char *host, size_t hostlen, int *port, char *path,
                        size_t pathlen)
{
    const char *h = t, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end || end[1] != ':')
            return -EINVAL;
        h++;
    } else {
        end = strchr(h, ':');
        if (!end)
            return -EINVAL;
    }
    size_t n = (size_t)(end - h);
    if (n == 0 || n >= hostlen)
        return -EINVAL;
    memcpy(host, h, n);
    host[n] = 0;
    const char *p = end + (*end == ']' ? 2 : 1);
    char *e;
    long v = strtol(p, &e, 10);
    if (e == p || (*e && *e != '/') || v < 1 || v > 65535)
        return -EINVAL;
    *port = (int)v;
    const char *pa = *e ? e : "/";
    if (strlen(pa) >= pathlen)
        return -EINVAL;
    strcpy(path, pa);
    return 0;
}

static int echo_global_setup(const mob_options *o, void **ud)
{
    (void)ud;
    echo.o.message_size = o->payload_size ? o->payload_size : 32;
    if (echo.o.message_size > sizeof(((mob_ws_echo *)0)->msg))
        return -EINVAL; /* bigger than an echo bot's buffer: a usage error */
    return 0;
}

static int echo_bot_teardown(mob_worker *w)
{
    mob_ws_echo_finish(w->bot, w->state);
    return 0;
}

static int echo_run(mob_worker *w)
{
    int64_t lat;
    return mob_ws_echo_step(w->bot, w->state, &echo.o, w->deadline, &lat);
}

static const mob_scenario echo_scenarios[] = {
    {"ws-echo", echo_run, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_suite echo_suite = {
    .name = "ws-echo",
    .scenarios = echo_scenarios,
    .global_setup = echo_global_setup,
    .bot_teardown = echo_bot_teardown,
    .state_size = sizeof(mob_ws_echo),
};

const struct mob_suite *mob_ws_echo_suite(const char *target, char *err, size_t errlen)
{
    if (strncmp(target, "ws://", 5) != 0 ||
        split_target(target + 5, echo.host, sizeof echo.host, &echo.port, echo.path,
                     sizeof echo.path) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want ws://HOST:PORT/PATH)", target);
        return NULL;
    }
    memset(&echo.o, 0, sizeof echo.o);
    echo.o.host = echo.host;
    echo.o.port = echo.port;
    echo.o.path = echo.path;
    return &echo_suite;
}

const struct mob_suite *mob_arena_cli_suite(const char *target, char *err, size_t errlen)
{
    if (strncmp(target, "ws://", 5) == 0)
        return mob_ws_echo_suite(target, err, errlen);
    int ws = strncmp(target, "arena+ws://", 11) == 0;
    if (ws || strncmp(target, "arena://", 8) == 0) {
        char host[256], path[64];
        int port;
        const mob_suite *s = NULL;
        const char *rest = target + (ws ? 11 : 8);
        if (strcmp(rest, "in-process") == 0)
            s = mob_arena_suite(NULL, 0, ws, NULL);
        else if (split_target(rest, host, sizeof host, &port, path, sizeof path) == 0)
            s = mob_arena_suite(host, port, ws, NULL);
        if (!s)
            snprintf(err, errlen, "bad URL '%s' (want arena://HOST:PORT or arena+ws://...)",
                     target);
        return s;
    }
    snprintf(err, errlen, "'%s' is not a ws://, arena:// or arena+ws:// URL", target);
    return NULL;
}
