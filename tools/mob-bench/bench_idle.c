/* SPDX-License-Identifier: MIT */
/*
 * bench_idle.c: `mob-bench idle`, the CPU an idle lockstep loop costs (src/core/loop.c, "Idle
 * ticks"). --sockets bots (default 1,000) each watch one socket of their own and wait for it
 * by asking, testtoolkit's way (`while (!(mob_ready(loop, fd) & MOB_IN)) mob_yield(self)`);
 * nothing ever arrives. One more bot sleeps --seconds (default 2), then tells them to stop.
 *
 *   listeners, mob_watch     1,000 idle listening sockets, watched for both directions
 *   connected, watch IN      1,000 connected sockets (socketpairs), watched for input only
 *                            (a connected socket is always writable: watched for both, it is
 *                            always "ready" and the loop must run every tick)
 *
 * Prints the CPU time (user + system, getrusage) over the wall time in percent and the ticks
 * run, median of --runs (default 3). Needs 2 fds per socket pair: 2,000 of them at 1,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "mob.h"

struct idle {
    int stop;
    int64_t seconds;
};

struct watcher {
    struct idle *idle;
    int fd;
    int in_only;
};

static intptr_t watcher(mob_bot *self, void *arg)
{
    struct watcher *w = arg;
    mob_loop *loop = mob_bot_loop(self);
    if (w->in_only)
        mob_watch_for(self, w->fd, MOB_IN);
    else
        mob_watch(self, w->fd);
    while (!w->idle->stop && !(mob_ready(loop, w->fd) & MOB_IN))
        if (mob_yield(self) < 0)
            break;
    mob_unwatch(self, w->fd);
    return 0;
}

static intptr_t stopper(mob_bot *self, void *arg)
{
    struct idle *idle = arg;
    mob_sleep(self, idle->seconds * MOB_NS_PER_SEC);
    idle->stop = 1;
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* Runs one case; fills CPU percent and ticks. Returns 0 or -1. */
static int idle_once(int n, int connected, int64_t seconds, double *pct, double *ticks)
{
    int *fds = calloc((size_t)n * 2, sizeof *fds);
    struct watcher *ws = calloc((size_t)n, sizeof *ws);
    mob_loop_options o = {.mode = MOB_LOCKSTEP, .stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&o);
    int rc = fds && ws && loop ? 0 : -1;
    int made = 0;
    struct idle idle = {.seconds = seconds};
    for (; rc == 0 && made < n; made++) {
        if (connected) {
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[2 * made]) < 0)
                rc = -1;
        } else {
            fds[2 * made] = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
            fds[2 * made + 1] = -1;
            if (fds[2 * made] < 0)
                rc = -1;
        }
        if (rc < 0)
            break;
        ws[made] = (struct watcher){.idle = &idle, .fd = fds[2 * made], .in_only = connected};
        if (!mob_spawn(loop, watcher, &ws[made]))
            rc = -1;
    }
    if (rc == 0 && !mob_spawn(loop, stopper, &idle))
        rc = -1;
    if (rc == 0) {
        double c0 = cpu_seconds();
        int64_t t0 = mob_clock_ns();
        rc = mob_loop_run(loop) == 0 ? 0 : -1;
        double wall = (double)(mob_clock_ns() - t0) / 1e9;
        *pct = 100.0 * (cpu_seconds() - c0) / wall;
        mob_loop_stats st;
        mob_loop_get_stats(loop, &st);
        *ticks = (double)st.ticks;
    }
    if (loop && mob_loop_free(loop) != 0)
        rc = -1;
    for (int i = 0; i < 2 * made; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    free(ws);
    return rc;
}

int bench_idle(int argc, char **argv)
{
    int runs = 3, json = 0, sockets = 1000;
    int64_t seconds = 2;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = bench_flag(argc, argv, &i, "--runs")))
            runs = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--sockets")))
            sockets = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--seconds")))
            seconds = atol(v);
        else {
            fprintf(stderr,
                    "usage: mob-bench idle [--json] [--runs R] [--sockets N] [--seconds S]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 100 || sockets < 1 || sockets > 9000 || seconds < 1) {
        fprintf(stderr, "mob-bench idle: --runs 1..100, --sockets 1..9000, --seconds >= 1\n");
        return 2;
    }
    const char *names[] = {"listeners, mob_watch", "connected, watch IN"};
    const char *keys[] = {"listeners", "connected-in"};
    double pct[2][100], ticks[2][100];
    for (int r = 0; r < runs; r++)
        for (int c = 0; c < 2; c++)
            if (idle_once(sockets, c, seconds, &pct[c][r], &ticks[c][r]) < 0) {
                fprintf(stderr, "mob-bench idle: a measurement failed (%d sockets)\n", sockets);
                return 1;
            }
    if (!json)
        printf("%-24s %10s %10s   (median of %d runs; %d sockets, %lld s idle)\n", "case",
               "CPU %", "ticks", runs, sockets, (long long)seconds);
    for (int c = 0; c < 2; c++) {
        double p = bench_median(pct[c], (size_t)runs), t = bench_median(ticks[c], (size_t)runs);
        if (json)
            printf("{\"bench\":\"idle\",\"case\":\"%s\",\"key\":\"%s\",\"cpu_percent\":%.3f,"
                   "\"ticks\":%.0f,\"runs\":%d,\"sockets\":%d,\"seconds\":%lld}\n",
                   names[c], keys[c], p, t, runs, sockets, (long long)seconds);
        else
            printf("%-24s %10.3f %10.0f\n", names[c], p, t);
    }
    return 0;
}
