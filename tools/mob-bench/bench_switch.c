/* SPDX-License-Identifier: MIT */
/*
 * bench_switch.c: `mob-bench switch`, the cost of handing the CPU from one bot to another.
 *
 *   raw switch              two contexts and mob__switch, no loop: the asm alone
 *   2 bots                  two bots ping-ponging through the public mob_yield (free mode),
 *                           in the thread's FP environment (the default)
 *   2 bots, dirty FP status one of them did an inexact division first (with the default
 *                           shared environment that changes nothing for mob; it is the case
 *                           where a switch that reloads MXCSR really changes the register)
 *   2 bots, FP control differs  one bot rounds upward (shared: both then round upward)
 *   2 bots, own FP env      both spawned with MOB_FPENV_OWN: every switch saves one bot's
 *                           whole environment and loads the other's (mob__fpenv_swap)
 *   2 bots, own FP env, dirty   the same, one of them with an inexact flag set, so MXCSR
 *                           really differs and is reloaded on every switch
 *   1000 bots               1,000 bots round-robin: stacks that fit in L2 if they spread
 *   10000 bots              10,000 bots round-robin: the cache-cold case
 *   FP env alone            (x86-64) no switch at all: the four instructions a switch that
 *                           keeps MXCSR and the x87 control word per context runs (Boost's:
 *                           stmxcsr, fnstcw, ldmxcsr, fldcw), two contexts' worth
 *                           alternating: what Boost's jump spends on FP state
 *
 * Each case runs --runs times (default 5) and reports the median ns per switch (per yield:
 * one yield is one switch from a bot to the next). `--json` prints one object per case.
 * Compare with Boost.Context side by side with tools/compare-switch.sh.
 */
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mob.h"
#define MOB_TEST_HOOKS /* raw stacks and switches, below the loop */
#include "mob_test_hooks.h"

struct yield_run {
    long yields;    /* per bot, after the first */
    int64_t t0, t1; /* window: bot 0 back from its first yield .. the last bot done */
    int dirty;      /* 1: bot 0 sets an inexact flag; 2: bot 0 rounds upward */
};

enum { SHARED_FPENV = 0, OWN_FPENV = 1 };

static volatile double three = 3.0;

static intptr_t yielder(mob_bot *self, void *arg)
{
    struct yield_run *r = arg;
    if (mob_bot_id(self) == 0) {
        if (r->dirty == 1) {
            volatile double x = 1.0 / three; /* inexact: sets MXCSR.PE in this bot */
            (void)x;
        } else if (r->dirty == 2) {
            fesetround(FE_UPWARD);
        }
    }
    mob_yield(self);
    if (mob_bot_id(self) == 0)
        r->t0 = mob_clock_ns(); /* every bot has run once by now (FIFO) */
    for (long i = 0; i < r->yields; i++)
        mob_yield(self);
    int64_t t = mob_clock_ns();
    if (t > r->t1)
        r->t1 = t;
    return 0;
}

/* ns per yield with `bots` bots each yielding `yields` times, or -1 on failure. */
static double yield_once(int bots, long yields, int dirty, int own)
{
    mob_loop_options o = {0};
    o.mode = MOB_FREE;
    o.fpenv = own ? MOB_FPENV_OWN : MOB_FPENV_THREAD;
    mob_loop *loop = mob_loop_new(&o);
    if (!loop)
        return -1;
    struct yield_run r = {.yields = yields, .dirty = dirty};
    for (int i = 0; i < bots; i++)
        if (!mob_spawn(loop, yielder, &r)) {
            mob_loop_free(loop);
            return -1;
        }
    int rc = mob_loop_run(loop);
    mob_loop_free(loop);
    if (rc < 0 || r.t1 <= r.t0)
        return -1;
    return (double)(r.t1 - r.t0) / ((double)bots * (double)yields);
}

/* ---- raw switch, no loop ---------------------------------------------------------------- */

static struct mob__ctx raw_host, raw_fiber;

static void raw_partner(void *arg)
{
    if (*(int *)arg) {
        volatile double x = 1.0 / three;
        (void)x;
    }
    for (;;)
        mob__switch(&raw_fiber, &raw_host);
}

static double raw_once(long iters, int dirty)
{
    struct mob__stack_pool *pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    struct mob__stack st;
    if (!pool || mob__stack_get(pool, &st, 0) != 0)
        return -1;
    mob__ctx_make(&raw_fiber, st.lo, st.size, raw_partner, &dirty);
    mob__switch(&raw_host, &raw_fiber);
    if (dirty)
        feclearexcept(FE_ALL_EXCEPT); /* flags now differ between the two sides */
    int64_t t0 = mob_clock_ns();
    for (long i = 0; i < iters; i++)
        mob__switch(&raw_host, &raw_fiber);
    int64_t t1 = mob_clock_ns();
    mob__stack_put(pool, &st);
    mob__stack_pool_free(pool);
    return (double)(t1 - t0) / (2.0 * (double)iters); /* there and back */
}

/* ---- FP env alone ---------------------------------------------------------------------- */

#if defined(__x86_64__)
#define HAVE_FPENV 1
/*
 * ns per save + restore of MXCSR and the x87 control word, the way a switch does them: save
 * the leaving side's, load the arriving side's (stored one round earlier, not just now). No
 * switch, no loop, no stack change. On this project's Zen 4 machine stmxcsr alone takes about
 * 4 ns and nothing else overlaps it (independent adds placed around it cost as much as they do
 * without it), so this figure is a floor shared by every switch that keeps the FP state.
 */
static double fpenv_once(long iters)
{
    unsigned int a[2], b[2];
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(a[0]), "=m"(a[1]));
    b[0] = a[0];
    b[1] = a[1];
    int64_t t0 = mob_clock_ns();
    for (long i = 0; i < iters; i++) {
        __asm__ volatile("stmxcsr %0\n\tfnstcw %1\n\tldmxcsr %2\n\tfldcw %3"
                         : "=m"(a[0]), "=m"(a[1])
                         : "m"(b[0]), "m"(b[1]));
        __asm__ volatile("stmxcsr %0\n\tfnstcw %1\n\tldmxcsr %2\n\tfldcw %3"
                         : "=m"(b[0]), "=m"(b[1])
                         : "m"(a[0]), "m"(a[1]));
    }
    int64_t t1 = mob_clock_ns();
    return (double)(t1 - t0) / (2.0 * (double)iters);
}
#else
#define HAVE_FPENV 0 /* not measured on this CPU: the case is skipped */
static double fpenv_once(long iters)
{
    (void)iters;
    return -1;
}
#endif

/* ---- driver ----------------------------------------------------------------------------- */

struct bcase {
    const char *name;
    int raw, bots, dirty; /* raw: 1 the asm switch alone, 2 the FP env alone */
    int own;              /* OWN_FPENV: every bot spawned with its own FP environment */
    long scale; /* yields (or round trips) per bot, relative to --iters */
};

int bench_switch(int argc, char **argv)
{
    long iters = 1000000;
    int runs = 5, json = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = bench_flag(argc, argv, &i, "--iters")))
            iters = atol(v);
        else if ((v = bench_flag(argc, argv, &i, "--runs")))
            runs = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--case")))
            only = v;
        else {
            fprintf(stderr, "usage: mob-bench switch [--json] [--iters N] [--runs R] "
                            "[--case raw|raw-dirty|2|dirty|control|own|own-dirty|1000|10000|fpenv]\n");
            return 2;
        }
    }
    if (iters < 100 || runs < 1 || runs > 100) {
        fprintf(stderr, "mob-bench switch: --iters >= 100, --runs 1..100\n");
        return 2;
    }
    static const struct bcase cases[] = {
        {"raw switch", 1, 0, 0, SHARED_FPENV, 1},
        {"raw switch, dirty FP status", 1, 0, 1, SHARED_FPENV, 1},
        {"2 bots", 0, 2, 0, SHARED_FPENV, 1},
        {"2 bots, dirty FP status", 0, 2, 1, SHARED_FPENV, 1},
        {"2 bots, FP control differs", 0, 2, 2, SHARED_FPENV, 1},
        {"2 bots, own FP env", 0, 2, 0, OWN_FPENV, 1},
        {"2 bots, own FP env, dirty", 0, 2, 1, OWN_FPENV, 1},
        {"1000 bots", 0, 1000, 0, SHARED_FPENV, 500},
        {"10000 bots", 0, 10000, 0, SHARED_FPENV, 5000},
        {"FP env alone", 2, 0, 0, SHARED_FPENV, 1},
    };
    static const char *keys[] = {"raw",  "raw-dirty", "2",     "dirty", "control",
                                 "own",  "own-dirty", "1000",  "10000", "fpenv"};
    if (!json)
        printf("%-30s %12s   (median of %d runs, %s)\n", "case", "ns/switch", runs,
               mob_switch_name());
    int failed = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (only && strcmp(only, keys[c]) != 0)
            continue;
        double v[100];
        long n = iters / cases[c].scale;
        if (n < 10)
            n = 10;
        int ok = 1;
        if (cases[c].raw == 2 && !HAVE_FPENV)
            continue;
        for (int r = 0; r < runs; r++) {
            v[r] = cases[c].raw == 2 ? fpenv_once(n)
                   : cases[c].raw    ? raw_once(n, cases[c].dirty)
                                     : yield_once(cases[c].bots, n, cases[c].dirty,
                                                  cases[c].own);
            ok &= v[r] >= 0;
        }
        fesetround(FE_TONEAREST);
        double med = bench_median(v, (size_t)runs);
        if (!ok) {
            fprintf(stderr, "mob-bench switch: case '%s' failed\n", cases[c].name);
            failed = 1;
            continue;
        }
        if (json)
            printf("{\"bench\":\"switch\",\"case\":\"%s\",\"key\":\"%s\",\"ns_per_switch\":%.2f,"
                   "\"runs\":%d,\"switch\":\"%s\"}\n",
                   cases[c].name, keys[c], med, runs, mob_switch_name());
        else
            printf("%-30s %12.2f\n", cases[c].name, med);
        fflush(stdout);
    }
    return failed;
}
