/* SPDX-License-Identifier: MIT */
/*
 * arena: the stand-alone game server. All the logic is in src/arena/; this file only
 * parses flags, starts the arena in a fresh loop, stops it on SIGINT/SIGTERM or after
 * --duration, and prints the stats.
 *
 *   build/arena [--host H] [--port N] [--ws-port M] [--duration 30s] [--rooms R]
 *               [--room-capacity C] [--idle 60s]
 *
 * On start it prints one line "arena: tcp HOST:PORT ws HOST:PORT" (ws -1 when off) and
 * flushes, so a script can read the ports it got with --port 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mob.h"
#include "mob_arena.h"
#include "mob_run.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

/* "250ms", "20s", "1h30m", or plain seconds (mob_parse_duration). Returns ns, or -1. */
static int64_t parse_duration(const char *s)
{
    int64_t ns;
    return mob_parse_duration(s, &ns) == 0 ? ns : -1;
}

struct watch {
    mob_arena *arena;
    int64_t until; /* -1: until a signal */
};

/* Stops the arena on a signal or at the deadline: signals only set a flag, so a bot polls. */
static intptr_t watcher(mob_bot *self, void *arg)
{
    struct watch *w = arg;
    while (!got_signal && (w->until < 0 || mob_now(mob_bot_loop(self)) < w->until))
        if (mob_sleep(self, 50 * MOB_NS_PER_MS) < 0)
            break;
    mob_arena_stop(w->arena);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: arena [--host H] [--port N] [--ws-port M] [--duration D] [--rooms R]\n"
               "             [--room-capacity C] [--idle D]\n"
               "  --port 0 picks a free port; --ws-port -1 (default) turns WebSocket off.\n");
}

int main(int argc, char **argv)
{
    mob_arena_options o = mob_arena_options_default();
    int64_t duration = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--host"))
            o.host = v;
        else if (!strcmp(a, "--port") && mob_parse_int(v, -1, 65535, &o.port) == 0)
            continue;
        else if (!strcmp(a, "--ws-port") && mob_parse_int(v, -1, 65535, &o.ws_port) == 0)
            continue;
        else if (!strcmp(a, "--rooms") && mob_parse_int(v, 1, 1 << 20, &o.rooms) == 0)
            continue;
        else if (!strcmp(a, "--room-capacity") && mob_parse_int(v, 1, 1 << 20, &o.room_capacity) == 0)
            continue;
        else if (!strcmp(a, "--duration") && (duration = parse_duration(v)) >= 0)
            continue;
        else if (!strcmp(a, "--idle") && (o.idle_timeout_ns = parse_duration(v)) >= 0)
            continue;
        else {
            usage(stderr);
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    mob_loop *loop = mob_loop_new(NULL);
    if (!loop) {
        perror("arena: mob_loop_new");
        return 1;
    }
    mob_arena *arena;
    int rc = mob_arena_start(loop, &o, &arena);
    if (rc < 0) {
        fprintf(stderr, "arena: cannot start: %s\n", mob_strerror(rc));
        mob_loop_free(loop);
        return 1;
    }
    printf("arena: tcp %s:%d ws %s:%d\n", o.host, mob_arena_port(arena), o.host,
           mob_arena_ws_port(arena));
    fflush(stdout);
    struct watch w = {arena, duration < 0 ? -1 : mob_now(loop) + duration};
    mob_spawn(loop, watcher, &w);
    int64_t t0 = mob_clock_ns();
    rc = mob_loop_run(loop);
    double secs = (double)(mob_clock_ns() - t0) / 1e9;
    mob_arena_stats st;
    mob_arena_get_stats(arena, &st);
    printf("arena: %.1f s, %lld connections, %lld frames in, %lld frames out, %lld errors sent,"
           " %lld dropped slow, %lld joins, %lld moves, %lld chats\n",
           secs, (long long)st.connections, (long long)st.frames_in, (long long)st.frames_out,
           (long long)st.errors_sent, (long long)st.dropped_slow, (long long)st.joins,
           (long long)st.moves, (long long)st.chats);
    int leaks = mob_loop_free(loop);
    mob_arena_free(arena);
    if (rc < 0) {
        fprintf(stderr, "arena: loop: %s\n", mob_strerror(rc));
        return 1;
    }
    return leaks ? 1 : 0;
}
