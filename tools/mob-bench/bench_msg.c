/* SPDX-License-Identifier: MIT */
/*
 * bench_msg.c: `mob-bench msg`, the cost of mailboxes (src/core/msg.c).
 *
 *   ping-pong, free        2 bots, mob_send then mob_recv(MOB_FOREVER): ns per message,
 *                          including the wake-up and the switch to the receiver
 *   ping-pong, lockstep    the same in lockstep mode: one tick per message
 *   send_all, send only    one bot sends to --bots others (default 100,000) that are parked in
 *                          mob_recv: ns per receiver inside mob_send_all (copy, node, wake).
 *                          The second send is timed: the first grows the node pool, and its
 *                          page faults would be most of what it measures.
 *   send_all + recv        the same, until every receiver has run and taken its message:
 *                          ns per delivered message (mostly switching into cold stacks)
 *   group send, 1,000      a bot sends to a group of 1,000 members: ns per receiver
 *
 * Each case runs --runs times (default 5); the median is printed. `--json` prints one object
 * per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mob.h"

struct pp {
    long n;          /* messages each way */
    int64_t t0, t1;
};

static intptr_t pinger(mob_bot *self, void *arg)
{
    struct pp *p = arg;
    int me = mob_bot_id(self), peer = 1 - me;
    mob_msg m;
    if (me == 0) {
        p->t0 = mob_clock_ns();
        mob_send(self, peer, 0, "p", 1);
    }
    for (long i = 0; i < p->n; i++) {
        if (mob_recv(self, &m, NULL, MOB_FOREVER) != 0)
            return 1;
        if (me == 1 || i + 1 < p->n)
            mob_send(self, peer, 0, "p", 1);
    }
    if (me == 0)
        p->t1 = mob_clock_ns();
    return 0;
}

/* ns per message, or -1. */
static double pingpong_once(int mode, long n)
{
    mob_loop_options o = {.mode = mode};
    mob_loop *loop = mob_loop_new(&o);
    if (!loop)
        return -1;
    struct pp p = {.n = n};
    mob_spawn(loop, pinger, &p);
    mob_spawn(loop, pinger, &p);
    int rc = mob_loop_run(loop);
    int leaks = mob_loop_free(loop);
    if (rc != 0 || leaks != 0 || p.t1 <= p.t0)
        return -1;
    return (double)(p.t1 - p.t0) / (2.0 * (double)n);
}

struct fan {
    int group;            /* -1: mob_send_all; else the group id */
    int64_t send_ns;      /* time inside the send call */
    int64_t t0, t1;       /* send start .. last receiver done */
    int received;
};

static intptr_t fan_bot(mob_bot *self, void *arg)
{
    struct fan *f = arg;
    mob_msg m;
    if (f->group >= 0 && mob_bot_id(self) != 0)
        mob_group_join(self, f->group);
    if (mob_bot_id(self) == 0) {
        mob_yield(self); /* everyone else is parked in mob_recv by now (FIFO) */
        int warm = f->group >= 0 ? mob_send_group(self, f->group, 0, "x", 1)
                                 : mob_send_all(self, 0, "x", 1);
        if (warm < 0)
            return 1;
        mob_yield(self); /* warm-up done: all have taken it and wait again */
        f->t0 = mob_clock_ns();
        int rc = f->group >= 0 ? mob_send_group(self, f->group, 0, "x", 1)
                               : mob_send_all(self, 0, "x", 1);
        f->send_ns = mob_clock_ns() - f->t0;
        return rc < 0;
    }
    for (int i = 0; i < 2; i++)
        if (mob_recv(self, &m, NULL, MOB_FOREVER) != 0)
            return 1;
    f->received++;
    f->t1 = mob_clock_ns();
    return 0;
}

/* Fills ns per receiver for the send alone and for delivery; returns 0 or -1. */
static int fan_once(int bots, int group, double *send_ns, double *total_ns)
{
    mob_loop_options o = {.mode = MOB_FREE, .stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&o);
    if (!loop)
        return -1;
    struct fan f = {.group = group};
    for (int i = 0; i < bots; i++)
        if (!mob_spawn(loop, fan_bot, &f)) {
            mob_loop_free(loop);
            return -1;
        }
    int rc = mob_loop_run(loop);
    int leaks = mob_loop_free(loop);
    if (rc != 0 || leaks != 0 || f.received != bots - 1)
        return -1;
    *send_ns = (double)f.send_ns / (bots - 1);
    *total_ns = (double)(f.t1 - f.t0) / (bots - 1);
    return 0;
}

int bench_msg(int argc, char **argv)
{
    long iters = 1000000;
    int runs = 5, json = 0, bots = 100000;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = bench_flag(argc, argv, &i, "--iters")))
            iters = atol(v);
        else if ((v = bench_flag(argc, argv, &i, "--runs")))
            runs = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--bots")))
            bots = atoi(v);
        else {
            fprintf(stderr, "usage: mob-bench msg [--json] [--iters N] [--runs R] [--bots N]\n");
            return 2;
        }
    }
    if (iters < 100 || runs < 1 || runs > 100 || bots < 2) {
        fprintf(stderr, "mob-bench msg: --iters >= 100, --runs 1..100, --bots >= 2\n");
        return 2;
    }
    const char *names[] = {"ping-pong, free", "ping-pong, lockstep", "send_all, send only",
                           "send_all + recv", "group send, 1,000"};
    const char *keys[] = {"pingpong-free", "pingpong-lockstep", "send-all", "send-all-recv",
                          "group-1000"};
    double v[5][100];
    int ok = 1;
    for (int r = 0; r < runs; r++) {
        v[0][r] = pingpong_once(MOB_FREE, iters);
        v[1][r] = pingpong_once(MOB_LOCKSTEP, iters / 4);
        ok &= v[0][r] >= 0 && v[1][r] >= 0;
        ok &= fan_once(bots, -1, &v[2][r], &v[3][r]) == 0;
        double unused;
        ok &= fan_once(1001, 7, &v[4][r], &unused) == 0;
    }
    if (!ok) {
        fprintf(stderr, "mob-bench msg: a measurement failed\n");
        return 1;
    }
    if (!json)
        printf("%-24s %12s   (median of %d runs; --bots %d)\n", "case", "ns/message", runs,
               bots);
    for (int c = 0; c < 5; c++) {
        double med = bench_median(v[c], (size_t)runs);
        if (json)
            printf("{\"bench\":\"msg\",\"case\":\"%s\",\"key\":\"%s\",\"ns_per_message\":%.2f,"
                   "\"runs\":%d,\"bots\":%d}\n",
                   names[c], keys[c], med, runs, bots);
        else
            printf("%-24s %12.2f\n", names[c], med);
    }
    return 0;
}
