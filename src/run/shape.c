/* SPDX-License-Identifier: MIT */
/*
 * shape.c: the load's shape over time, as pure functions of the options and the time since
 * the run began, so the runner (runner.c) only asks and acts. How many bots should be active
 * (all at once, staggered by --ramp-up, or following --stages), and in rate mode (-R) when
 * each bot's runs are due (wrk2's fixed schedule: run k of global bot g is due at
 * (g + k * bots_total) / rate seconds).
 */
#include <math.h>

#include "run.h"

uint64_t mob__rate_due_count(const mob_options *o, int bots_total, int g, int64_t elapsed_ns)
{
    double span = (double)elapsed_ns / 1e9 * o->rate;
    if (span <= g)
        return 0;
    uint64_t n = (uint64_t)ceil((span - g) / bots_total);
    if (o->max_runs && n > (uint64_t)o->max_runs)
        n = (uint64_t)o->max_runs;
    return n;
}

int64_t mob__rate_due_at(const mob_options *o, int bots_total, int g, int64_t k)
{
    double s = ((double)g + (double)k * bots_total) / o->rate;
    return (int64_t)(s * 1e9);
}

int mob__shape_wanted(const mob_options *o, int64_t t, int64_t *next)
{
    *next = INT64_MAX;
    if (o->nstages > 0) {
        int from = 0;
        int64_t s0 = 0;
        for (int i = 0; i < o->nstages; i++) {
            const mob_stage *st = &o->stages[i];
            int64_t s1 = s0 + st->duration_ns;
            int diff = st->bots - from, n = diff < 0 ? -diff : diff;
            int64_t step = st->spawn_rate > 0 ? (int64_t)(1e9 / st->spawn_rate) : 0;
            int moved = step > 0 ? (int)((t < s0 ? 0 : t - s0) / step) : n;
            if (moved > n)
                moved = n;
            /* Moves not finished within the stage stop at the stage's end. */
            int64_t stage_moves = step > 0 ? st->duration_ns / step : n;
            if (stage_moves < moved)
                moved = (int)stage_moves;
            int cur = from + (diff < 0 ? -moved : moved);
            if (t < s1 || i == o->nstages - 1) {
                if (moved < n && step > 0)
                    *next = s0 + (int64_t)(moved + 1) * step;
                else if (t < s1)
                    *next = s1;
                return cur;
            }
            from = cur;
            s0 = s1;
        }
        return from;
    }
    if (o->ramp_up_ns > 0 && o->bots > 1) {
        int64_t per = o->ramp_up_ns / o->bots;
        int n = per > 0 ? (int)(t / per) + 1 : o->bots;
        if (n >= o->bots)
            return o->bots;
        *next = (int64_t)n * per;
        return n;
    }
    return o->bots;
}
