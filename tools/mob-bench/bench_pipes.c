/* SPDX-License-Identifier: MIT */
/*
 * bench_pipes.c: libevent's classic chained-write benchmark (test/bench.c), run by bots.
 *
 * N socketpairs; each read end is served by one bot looping on mob_read. Each round writes
 * one byte into A evenly spaced pairs; a bot that reads a byte counts it and, while writes
 * remain, writes one byte into the next pair (wrapping), so each round makes exactly A + W
 * reads and A + W writes. The host drives the loop with non-blocking steps (mob_loop_step(loop,
 * 0), the EVLOOP_NONBLOCK of the original) until every byte is counted. Reported: the median
 * wall time of that part over the rounds, [min-max], ns per event (median / (A + W)), the
 * median thread CPU time, and "setup": one empty step between rounds, because the fds stay
 * registered (the libraries re-arm all N watchers there; mob has nothing to re-arm). The first
 * registration of all N fds is reported on its own ("register").
 *
 * A bot reads into a 64-byte buffer and counts every byte as one event (the epoll-ET variant
 * of anchors-selector.md): a short read tells mob the socket is drained, so the bot parks
 * without a second, EAGAIN-returning read.
 *
 * The workload needs 2N + a few fds: with this machine's hard limit of 20,000 the largest N
 * is 9,975 (as in the reference), not 10,000.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "mob.h"

struct pipes {
    int n, active, writes, rounds;
    int *fds; /* fds[2i]: read end of pair i, fds[2i+1]: its write end */
    long count, fired, left;
    int failed;
};

struct pipe_arg {
    struct pipes *p;
    int i;
};

static intptr_t pipe_bot(mob_bot *self, void *arg)
{
    struct pipe_arg *a = arg;
    struct pipes *p = a->p;
    int rd = p->fds[2 * a->i];
    int next = p->fds[2 * ((a->i + 1) % p->n) + 1];
    char buf[64];
    for (;;) {
        ssize_t n = mob_read(self, rd, buf, sizeof buf, MOB_FOREVER);
        if (n <= 0)
            return n == -ECANCELED ? 0 : (p->failed = 1, n);
        for (ssize_t k = 0; k < n; k++) {
            p->count++;
            if (p->left > 0) {
                p->left--;
                p->fired++;
                if (mob_write_all(self, next, "e", 1, MOB_FOREVER) != 1) {
                    p->failed = 1;
                    return -1;
                }
            }
        }
    }
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: mob-bench pipes [--pipes N] [--active A] [--writes W] [--rounds R] "
                    "[--json]\n");
    return 2;
}

int bench_pipes(int argc, char **argv)
{
    struct pipes p = {.n = 1000, .active = 1, .writes = 100, .rounds = 25};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = bench_flag(argc, argv, &i, "--pipes")))
            p.n = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--active")))
            p.active = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--writes")))
            p.writes = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--rounds")))
            p.rounds = atoi(v);
        else
            return usage();
    }
    if (p.n < 1 || p.active < 1 || p.active > p.n || p.writes < 0 || p.rounds < 1)
        return usage();

    mob_loop *loop = mob_loop_new(NULL); /* raises the fd limit first */
    if (!loop) {
        perror("mob-bench pipes: mob_loop_new");
        return 1;
    }
    p.fds = malloc(sizeof(int) * 2 * (size_t)p.n);
    struct pipe_arg *args = malloc(sizeof *args * (size_t)p.n);
    double *us = malloc(sizeof(double) * (size_t)p.rounds);
    double *setup = malloc(sizeof(double) * (size_t)p.rounds);
    double *cpu = malloc(sizeof(double) * (size_t)p.rounds);
    int made = 0, rc = 0;
    for (; made < p.n; made++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, &p.fds[2 * made]) < 0) {
            mob_loop_stats st;
            mob_loop_get_stats(loop, &st);
            fprintf(stderr, "mob-bench pipes: socketpair %d: %s (2N fds needed; the limit "
                            "is %lld)\n", made, strerror(errno), (long long)st.fd_limit);
            rc = 1;
            goto out;
        }
        fcntl(p.fds[2 * made], F_SETFL, O_NONBLOCK);
        fcntl(p.fds[2 * made + 1], F_SETFL, O_NONBLOCK);
    }
    for (int i = 0; i < p.n; i++) {
        args[i] = (struct pipe_arg){&p, i};
        if (!mob_spawn(loop, pipe_bot, &args[i])) {
            fprintf(stderr, "mob-bench pipes: cannot spawn bot %d\n", i);
            rc = 1;
            goto out;
        }
    }
    /* First step: every bot runs, finds nothing to read and parks, registering its fd. */
    int64_t r0 = mob_clock_ns();
    mob_loop_step(loop, 0);
    double reg_us = (mob_clock_ns() - r0) / 1e3;

    int space = p.n / p.active;
    for (int round = 0; round < p.rounds && !p.failed; round++) {
        int64_t s0 = mob_clock_ns();
        mob_loop_step(loop, 0);
        setup[round] = (mob_clock_ns() - s0) / 1e3;
        for (int i = 0; i < p.active; i++)
            if (write(p.fds[2 * (i * space) + 1], "e", 1) != 1) {
                perror("mob-bench pipes: write");
                rc = 1;
                goto out;
            }
        p.fired = p.active;
        p.count = 0;
        p.left = p.writes;
        int64_t t0 = mob_clock_ns(), c0 = cpu_ns();
        while (p.count < p.fired && !p.failed)
            mob_loop_step(loop, 0);
        us[round] = (mob_clock_ns() - t0) / 1e3;
        cpu[round] = (cpu_ns() - c0) / 1e3;
    }
    if (p.failed) {
        fprintf(stderr, "mob-bench pipes: a bot failed\n");
        rc = 1;
        goto out;
    }
    double mn = us[0], mx = us[0];
    for (int i = 1; i < p.rounds; i++) {
        mn = us[i] < mn ? us[i] : mn;
        mx = us[i] > mx ? us[i] : mx;
    }
    double med = bench_median(us, (size_t)p.rounds);
    double per = med * 1000 / (p.active + p.writes);
    double smed = bench_median(setup, (size_t)p.rounds), cmed = bench_median(cpu, (size_t)p.rounds);
    if (json)
        printf("{\"bench\":\"pipes\",\"impl\":\"mob\",\"backend\":\"%s\",\"pipes\":%d,"
               "\"active\":%d,\"writes\":%d,\"rounds\":%d,\"us_round\":%.1f,\"us_min\":%.1f,"
               "\"us_max\":%.1f,\"ns_event\":%.0f,\"setup_us\":%.1f,\"cpu_us\":%.1f,"
               "\"register_us\":%.1f}\n",
               mob_backend_name(), p.n, p.active, p.writes, p.rounds, med, mn, mx, per, smed,
               cmed, reg_us);
    else
        printf("pipes %d active %d writes %d (%s, %d rounds): %.1f us/round [%.1f-%.1f], "
               "%.0f ns/event, loop CPU %.1f us, setup %.1f us, first registration %.0f us\n",
               p.n, p.active, p.writes, mob_backend_name(), p.rounds, med, mn, mx, per, cmed,
               smed, reg_us);
out:
    /* Cancel the bots (each is parked in mob_read), then deregister and close every fd. */
    for (int i = 0; i < mob_bot_count(loop); i++)
        mob_cancel(mob_bot_get(loop, i));
    mob_loop_run(loop);
    for (int i = 0; i < 2 * made; i++)
        mob_close(NULL, p.fds[i]);
    if (mob_loop_free(loop) != 0 && rc == 0)
        rc = 1;
    free(p.fds);
    free(args);
    free(us);
    free(setup);
    free(cpu);
    return rc;
}
