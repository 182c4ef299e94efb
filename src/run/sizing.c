/* SPDX-License-Identifier: MIT */
/*
 * sizing.c: molotov's --sizing. While the bots ramp up, the failure ratio is watched over a
 * sliding window (--sizing-window, one minute by default): failures / runs counted in the
 * window. Once the window holds at least MIN_SAMPLES runs and the ratio passes
 * --sizing-tolerance (percent), the run is over, and the report says with how many bots:
 * "Sizing is over! Error Ratio X % obtained with N workers". A run that ends without crossing
 * says so and exits 1 (mob_result_exit_code): it did not find what it was asked to find.
 *
 * Two judges share one rule:
 *
 *   - live (mob__sizing_look): one per run, fed the whole run's cumulative counts every time
 *     its owner looks: a single process's controller at every completed run (runner.c), or a
 *     -p parent summing its children's live slots and raising their stop flags (procs.c). The
 *     window is kept in slots of SLOT_NS (longer for windows of over MAX_SLOTS slots), so a
 *     verdict lands within a slot of the crossing, not up to a second after it, when a fast
 *     ramp has already pushed the ratio far past the tolerance.
 *   - merged (mob__sizing_merge): a report made of several runs (`mob merge`, `mob view`,
 *     `mob report` of --index machines) carries one verdict for their sum. Machines that load
 *     one target see its failures alike, so each usually crosses by itself and stops: then
 *     their crossing windows are added (exact counts and bots of each; the windows end within
 *     a slot of each other only when the machines crossed together). When one did not cross,
 *     the merged timeline is judged, whole second by whole second: the first window of the
 *     summed counts past the tolerance, with the summed bots of that second (exact sums;
 *     seconds matched by their number since each run's start, which --start-at lines up).
 *
 * The live line, the live page and `mob view` show the window as it stands (mob__sizing_live,
 * mob__sizing_window_text; the hub sums its reporters' seconds, hub_out.c).
 *
 * Read next: src/run/runner.c (controller_main) and src/run/procs.c (watch_step).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

const char *const mob__sizing_basis_names[3] = {"run", "windows", "timeline"};

/* molotov's floor: a ratio from fewer runs than this is noise, not a verdict. */
#define MIN_SAMPLES 100
#define SLOT_NS (100 * MOB_NS_PER_MS) /* the controller looks at least this often */
#define MAX_SLOTS 3600                /* a one-hour window moves by whole seconds */

struct mob__sizing {
    mob_sizing_result res;
    int64_t slot_ns;
    int nslots;               /* the window, in slots */
    uint64_t (*ring)[2];      /* cumulative ok, failures at the last look in each of the last
                                 nslots + 1 slots: slot k is ring[k % (nslots + 1)] */
    int64_t last;             /* the slot of the last look; -1 before the first */
    uint64_t prev[2];         /* the counts at the last look */
    uint64_t wok, wfail;      /* the window at the last look, for the live views */
};

int mob__sizing_new(struct mob__sizing **out, const mob_options *o)
{
    *out = NULL;
    if (!o->sizing)
        return 0;
    struct mob__sizing *s = MOB_CALLOC(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int64_t win = (o->sizing_window_ns + MOB_NS_PER_SEC - 1) / MOB_NS_PER_SEC * MOB_NS_PER_SEC;
    if (win < MOB_NS_PER_SEC)
        win = MOB_NS_PER_SEC;
    s->slot_ns = win / SLOT_NS > MAX_SLOTS ? win / MAX_SLOTS : SLOT_NS;
    s->nslots = (int)(win / s->slot_ns);
    s->ring = MOB_CALLOC((size_t)s->nslots + 1, sizeof *s->ring);
    if (!s->ring) {
        MOB_FREE(s);
        return -ENOMEM;
    }
    s->last = -1;
    s->res.asked = 1;
    s->res.tolerance = o->sizing_tolerance;
    s->res.window_ns = win;
    *out = s;
    return 0;
}

/* The rule both judges apply to a window: enough runs, and strictly past the tolerance.
 * Keeps the verdict in z when crossed, else the worst window so far (for "not reached"). */
static int judge(mob_sizing_result *z, int64_t at_ns, uint64_t wok, uint64_t wfail, int bots)
{
    if (wok + wfail < MIN_SAMPLES)
        return 0;
    double ratio = 100.0 * (double)wfail / (double)(wok + wfail);
    int crossed = ratio > z->tolerance;
    if (crossed || ratio >= z->ratio)
        *z = (mob_sizing_result){.asked = 1, .reached = crossed, .ratio = ratio, .bots = bots,
                                 .ok = wok, .failures = wfail, .at_ns = at_ns,
                                 .tolerance = z->tolerance, .window_ns = z->window_ns};
    return crossed;
}

int mob__sizing_look(struct mob__sizing *s, int64_t elapsed_ns, uint64_t ok, uint64_t fail,
                     int bots)
{
    if (!s || s->res.reached)
        return 0;
    int64_t c = elapsed_ns < 0 ? 0 : elapsed_ns / s->slot_ns, n = s->nslots, m = n + 1;
    if (c < s->last)
        c = s->last; /* a clock read before the last look's: count it in that slot */
    /* The window's base: the counts at the last look of slot c - n, which is at most one slot
     * longer than the window ago; zero before the run is that old. Slots nobody looked in
     * hold the counts of the look before them. */
    const uint64_t *base = c - n < 0 ? (const uint64_t[2]){0, 0}
                           : c - n > s->last ? s->prev
                                             : s->ring[(c - n) % m];
    uint64_t bok = base[0], bfail = base[1];
    for (int64_t k = s->last + 1 > c - n ? s->last + 1 : c - n; k < c; k++) {
        s->ring[k % m][0] = s->prev[0];
        s->ring[k % m][1] = s->prev[1];
    }
    s->ring[c % m][0] = s->prev[0] = ok;
    s->ring[c % m][1] = s->prev[1] = fail;
    s->last = c;
    s->wok = ok - bok;
    s->wfail = fail - bfail;
    return judge(&s->res, elapsed_ns, s->wok, s->wfail, bots);
}

void mob__sizing_window_text(double tolerance, int64_t window_ns, uint64_t ok, uint64_t fail,
                             char *buf, size_t cap)
{
    long long w = (long long)(window_ns / MOB_NS_PER_SEC);
    if (ok + fail < MIN_SAMPLES)
        snprintf(buf, cap, "sizing %llu/%d runs in %llds", (unsigned long long)(ok + fail),
                 MIN_SAMPLES, w);
    else
        snprintf(buf, cap, "sizing %.2f%% / %g%% over %llds",
                 100.0 * (double)fail / (double)(ok + fail), tolerance, w);
}

void mob__sizing_live(const struct mob__sizing *s, char *buf, size_t cap)
{
    if (!s) {
        if (cap)
            buf[0] = 0;
        return;
    }
    mob__sizing_window_text(s->res.tolerance, s->res.window_ns, s->wok, s->wfail, buf, cap);
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

/* r's merged timeline judged with r->sizing's tolerance and window, whole second by whole
 * second. */
static void rejudge(mob_result *r)
{
    r->sizing_basis = MOB__SIZING_TIMELINE;
    mob_sizing_result *z = &r->sizing;
    *z = (mob_sizing_result){.asked = 1, .tolerance = z->tolerance, .window_ns = z->window_ns};
    int n = (int)(z->window_ns / MOB_NS_PER_SEC);
    uint64_t wok = 0, wfail = 0;
    for (int i = 0; n > 0 && i < r->nsecs; i++) {
        wok += r->secs[i].ok;
        wfail += r->secs[i].fail;
        if (i >= n) {
            wok -= r->secs[i - n].ok;
            wfail -= r->secs[i - n].fail;
        }
        if (judge(z, (int64_t)(i + 1) * MOB_NS_PER_SEC, wok, wfail, r->secs[i].bots))
            return;
    }
    z->bots = r->t.bots_max;
}

void mob__sizing_merge(mob_result *dst, const mob_result *src, int fresh)
{
    mob_sizing_result *d = &dst->sizing;
    const mob_sizing_result *z = &src->sizing;
    if (fresh || !z->asked) {
        if (fresh) {
            *d = *z;
            dst->sizing_basis = src->sizing_basis;
        } else if (d->asked) {
            rejudge(dst); /* a run without sizing adds runs to the windows */
        }
        return;
    }
    if (!d->asked) {
        *d = (mob_sizing_result){.asked = 1, .tolerance = z->tolerance, .window_ns = z->window_ns};
    } else if (d->reached && z->reached) {
        /* Each crossed its own window; a ratio of summed counts each past the tolerance is past
         * it too. */
        d->ok += z->ok;
        d->failures += z->failures;
        d->ratio = 100.0 * (double)d->failures / (double)(d->ok + d->failures);
        d->bots = d->bots < 0 || z->bots < 0 ? -1 : d->bots + z->bots;
        d->at_ns = z->at_ns > d->at_ns ? z->at_ns : d->at_ns;
        dst->sizing_basis = MOB__SIZING_WINDOWS;
        return;
    }
    rejudge(dst);
}

int mob_result_sizing(const mob_result *r, mob_sizing_result *out)
{
    if (!r->sizing.asked)
        return -ENOENT;
    *out = r->sizing;
    return 0;
}

void mob__sizing_format(const mob_sizing_result *z, int basis, char *buf, size_t cap)
{
    char win[32], bots[16];
    if (z->window_ns % (60 * MOB_NS_PER_SEC) == 0)
        snprintf(win, sizeof win, "%lldm", (long long)(z->window_ns / (60 * MOB_NS_PER_SEC)));
    else
        snprintf(win, sizeof win, "%llds", (long long)(z->window_ns / MOB_NS_PER_SEC));
    /* "?": a merge with a report that did not record its bots each second */
    if (z->bots < 0)
        snprintf(bots, sizeof bots, "?");
    else
        snprintf(bots, sizeof bots, "%d", z->bots);
    const char *how = basis == MOB__SIZING_WINDOWS    ? "; the merged runs' crossing windows added"
                      : basis == MOB__SIZING_TIMELINE ? "; judged on the merged runs' seconds"
                                                      : "";
    if (z->reached)
        /* molotov's words and numbers first, for the scripts that read them */
        snprintf(buf, cap,
                 "Sizing is over! Error Ratio %.2f %% obtained with %s workers (%llu failures "
                 "of %llu runs in the %s window ending at %.1fs; tolerance %g %%%s)",
                 z->ratio, bots, (unsigned long long)z->failures,
                 (unsigned long long)(z->ok + z->failures), win, (double)z->at_ns / 1e9,
                 z->tolerance, how);
    else if (z->ok + z->failures == 0)
        snprintf(buf, cap,
                 "Sizing not reached: with up to %s workers, no %s window held the %d runs a "
                 "verdict needs%s",
                 bots, win, MIN_SAMPLES, how);
    else
        snprintf(buf, cap,
                 "Sizing not reached: with up to %s workers, the error ratio of every %s window "
                 "stayed at or under the tolerance of %g %% (worst %.2f %%%s)",
                 bots, win, z->tolerance, z->ratio, how);
}
