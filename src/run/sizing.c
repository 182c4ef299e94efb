/* SPDX-License-Identifier: MIT */
/*
 * sizing.c: molotov's --sizing. While the bots ramp up, the failure ratio is watched over a
 * sliding window (--sizing-window, one minute by default): failures / runs counted in the
 * window's seconds. Once the window holds at least MIN_SAMPLES runs and the ratio passes
 * --sizing-tolerance (percent), the run is over, and the report says with how many bots:
 * "Sizing is over! Error Ratio X % obtained with N workers". A run that ends without crossing
 * says so and exits 1 (mob_result_exit_code): it did not find what it was asked to find.
 *
 * One judge, two callers, so the ratio is always the whole run's: a single process feeds it
 * its own numbers each second (runner.c); with -p the parent feeds it the sum of its
 * children's live slots each second and, when it decides, raises every child's stop flag
 * (procs.c), which each child's controller obeys as a graceful end, like -d's.
 *
 * Read next: src/run/runner.c (controller_main) and src/run/procs.c (watch_step).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

/* molotov's floor: a ratio from fewer runs than this is noise, not a verdict. */
#define MIN_SAMPLES 100

struct mob__sizing {
    mob_sizing_result res;
    int nticks;               /* the window, in one-second ticks */
    uint64_t (*ring)[2];      /* cumulative ok, failures at each of the last nticks ticks */
    uint64_t ticks;           /* ticks seen so far */
};

int mob__sizing_new(struct mob__sizing **out, const mob_options *o)
{
    *out = NULL;
    if (!o->sizing)
        return 0;
    struct mob__sizing *s = MOB_CALLOC(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->nticks = (int)((o->sizing_window_ns + MOB_NS_PER_SEC - 1) / MOB_NS_PER_SEC);
    if (s->nticks < 1)
        s->nticks = 1;
    s->ring = MOB_CALLOC((size_t)s->nticks, sizeof *s->ring);
    if (!s->ring) {
        MOB_FREE(s);
        return -ENOMEM;
    }
    s->res.asked = 1;
    s->res.tolerance = o->sizing_tolerance;
    s->res.window_ns = (int64_t)s->nticks * MOB_NS_PER_SEC;
    *out = s;
    return 0;
}

int mob__sizing_second(struct mob__sizing *s, int64_t elapsed_ns, uint64_t ok, uint64_t fail,
                       int bots)
{
    if (!s || s->res.reached)
        return 0;
    /* The window is the last nticks seconds: today's totals less those of nticks ticks ago
     * (zero before the run is that old). */
    uint64_t *slot = s->ring[s->ticks % (uint64_t)s->nticks];
    uint64_t base_ok = s->ticks >= (uint64_t)s->nticks ? slot[0] : 0;
    uint64_t base_fail = s->ticks >= (uint64_t)s->nticks ? slot[1] : 0;
    slot[0] = ok;
    slot[1] = fail;
    s->ticks++;
    uint64_t wok = ok - base_ok, wfail = fail - base_fail;
    if (wok + wfail < MIN_SAMPLES)
        return 0;
    double ratio = 100.0 * (double)wfail / (double)(wok + wfail);
    int crossed = ratio > s->res.tolerance;
    if (crossed || ratio >= s->res.ratio) {
        /* Crossed: the verdict. Not yet: the worst window so far, for "not reached". */
        s->res.ratio = ratio;
        s->res.bots = bots;
        s->res.ok = wok;
        s->res.failures = wfail;
        s->res.at_ns = elapsed_ns;
    }
    s->res.reached = crossed;
    return crossed;
}

void mob__sizing_end(struct mob__sizing *s, mob_result *r)
{
    if (!s)
        return;
    if (r) {
        r->sizing = s->res;
        if (!s->res.reached)
            r->sizing.bots = r->t.bots_max; /* how far the ramp went without crossing */
    }
    MOB_FREE(s->ring);
    MOB_FREE(s);
}

int mob_result_sizing(const mob_result *r, mob_sizing_result *out)
{
    if (!r->sizing.asked)
        return -ENOENT;
    *out = r->sizing;
    return 0;
}

void mob__sizing_format(const mob_sizing_result *z, char *buf, size_t cap)
{
    char win[32];
    if (z->window_ns % (60 * MOB_NS_PER_SEC) == 0)
        snprintf(win, sizeof win, "%lldm", (long long)(z->window_ns / (60 * MOB_NS_PER_SEC)));
    else
        snprintf(win, sizeof win, "%llds", (long long)(z->window_ns / MOB_NS_PER_SEC));
    if (z->reached)
        /* molotov's words and numbers first, for the scripts that read them */
        snprintf(buf, cap,
                 "Sizing is over! Error Ratio %.2f %% obtained with %d workers (%llu failures "
                 "of %llu runs in the %s window ending at %.1fs; tolerance %g %%)",
                 z->ratio, z->bots, (unsigned long long)z->failures,
                 (unsigned long long)(z->ok + z->failures), win, (double)z->at_ns / 1e9,
                 z->tolerance);
    else if (z->ok + z->failures == 0)
        snprintf(buf, cap,
                 "Sizing not reached: with up to %d workers, no %s window held the %d runs a "
                 "verdict needs",
                 z->bots, win, MIN_SAMPLES);
    else
        snprintf(buf, cap,
                 "Sizing not reached: with up to %d workers, the error ratio of every %s window "
                 "stayed at or under the tolerance of %g %% (worst %.2f %%)",
                 z->bots, win, z->tolerance, z->ratio);
}
