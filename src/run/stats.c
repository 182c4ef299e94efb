/* SPDX-License-Identifier: MIT */
/*
 * stats.c: the numbers of a run. Per scenario: successes, failures by class and a latency
 * histogram of the successful runs; run-wide: the same summed, a per-second timeline, and the
 * counters of mob_totals. Recording a run is two histogram records and a few increments.
 * Merging adds everything, so results from processes and machines merge exactly; the
 * timeline's per-second p50/p99 are recomputed from the seconds' summed distributions, kept
 * in coarse buckets (hist.c), so they are true to within 1.6%.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "run.h"

static char *dup_str(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = MOB_MALLOC(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

mob_result *mob__result_new(const char *suite, const char *target, const char *const *names,
                            int n)
{
    mob_result *r = MOB_CALLOC(1, sizeof *r);
    if (!r)
        return NULL;
    r->suite = dup_str(suite);
    r->target = dup_str(target);
    r->all = mob_hist_new();
    r->sec_hist = mob_hist_new();
    char id[MOB__RUN_ID_LEN];
    mob__run_id_new(id);
    if (!r->suite || !r->target || !r->all || !r->sec_hist || mob__result_set_run(r, id) < 0)
        goto fail;
    for (int i = 0; i < n; i++)
        if (mob__result_scenario(r, names[i]) < 0)
            goto fail;
    return r;
fail:
    mob_result_free(r);
    return NULL;
}

void mob_result_free(mob_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nscen; i++) {
        MOB_FREE(r->scen[i].name);
        mob_hist_free(r->scen[i].hist);
        MOB_FREE(r->scen[i].tl);
        MOB_FREE(r->scen[i].bystatus);
    }
    MOB_FREE(r->scen);
    for (int i = 0; i < r->nspans; i++) {
        MOB_FREE(r->spans[i].name);
        mob_hist_free(r->spans[i].hist);
    }
    MOB_FREE(r->spans);
    for (int i = 0; i < r->nsecs; i++)
        MOB_FREE(r->secs[i].cb);
    MOB_FREE(r->secs);
    MOB_FREE(r->runs);
    MOB_FREE(r->lost);
    mob_hist_free(r->all);
    mob_hist_free(r->sec_hist);
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        MOB_FREE(r->reason[c]);
    MOB_FREE(r->th);
    mob__result_kinds_free(r);
    MOB_FREE(r->suite);
    MOB_FREE(r->target);
    MOB_FREE(r);
}

void mob__result_reason(mob_result *r, int cls, const char *why)
{
    if (cls <= 0 || cls >= MOB_FAIL_NCLASS || !why || !*why || r->reason[cls])
        return;
    size_t n = strlen(why) + 1;
    r->reason[cls] = MOB_MALLOC(n);
    if (r->reason[cls])
        memcpy(r->reason[cls], why, n);
}

const char *mob_result_reason(const mob_result *r, int cls)
{
    return cls > 0 && cls < MOB_FAIL_NCLASS ? r->reason[cls] : NULL;
}

/* Finds or appends a named stats entry in *arr (n entries); returns its index or -ENOMEM. */
static int stats_find_add(struct mob__sstats **arr, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*arr)[i].name, name) == 0)
            return i;
    struct mob__sstats *s = MOB_REALLOC(*arr, (size_t)(*n + 1) * sizeof *s);
    if (!s)
        return -ENOMEM;
    *arr = s;
    s = &s[*n];
    memset(s, 0, sizeof *s);
    s->name = dup_str(name);
    s->hist = mob_hist_new();
    if (!s->name || !s->hist) {
        MOB_FREE(s->name);
        mob_hist_free(s->hist);
        return -ENOMEM;
    }
    return (*n)++;
}

void mob__run_id_new(char out[MOB__RUN_ID_LEN])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof b) {
        /* No urandom (a chroot): the clock, the pid and a counter, well mixed, will do. */
        static uint64_t count;
        uint64_t x = (uint64_t)mob_clock_ns() ^ ((uint64_t)getpid() << 40) ^ ++count * 0x9e3779b97f4a7c15u;
        for (int i = 0; i < 16; i++) {
            x ^= x >> 31;
            x *= 0xbf58476d1ce4e5b9u;
            x ^= x >> 29;
            b[i] = (unsigned char)x;
        }
    }
    memcpy(out, "r:", 2);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", b[i]);
}

int mob__result_set_run(mob_result *r, const char *id)
{
    char(*runs)[MOB__RUN_ID_LEN] = MOB_REALLOC(r->runs, sizeof *runs);
    if (!runs)
        return -ENOMEM;
    snprintf(r->run_id, sizeof r->run_id, "%s", id);
    r->runs = runs;
    memcpy(runs[0], r->run_id, sizeof r->run_id);
    r->nruns = 1;
    return 0;
}

const char *mob_result_run_id(const mob_result *r)
{
    return r->run_id;
}

int mob__result_scenario(mob_result *r, const char *name)
{
    int n = r->nscen, i = stats_find_add(&r->scen, &r->nscen, name);
    if (i < 0 || i < n)
        return i;
    /* A scenario first seen mid-run (the picker's "(unknown)") starts its timeline aligned. */
    if (r->nsecs > 0 && mob__scenario_add_second(r, i, r->nsecs - 1, 0, 0) < 0)
        return -ENOMEM;
    return i;
}

int mob__result_span(mob_result *r, const char *name)
{
    return stats_find_add(&r->spans, &r->nspans, name);
}

void mob__result_span_record(mob_result *r, int i, int cls, int64_t ns)
{
    struct mob__sstats *s = &r->spans[i];
    if (cls == 0) {
        s->ok++;
        mob_hist_record(s->hist, ns);
    } else {
        s->fail[cls]++;
    }
}

int mob__scenario_add_second(mob_result *r, int i, int sec, uint64_t ok, uint64_t fail)
{
    struct mob__sstats *s = &r->scen[i];
    if (mob_grow(&s->tl, &s->tl_cap, sec + 1, 2 * sizeof *s->tl, 64)) /* ok, fail a second */
        return -ENOMEM;
    while (s->ntl <= sec) {
        s->tl[2 * s->ntl] = s->tl[2 * s->ntl + 1] = 0;
        s->ntl++;
    }
    s->tl[2 * sec] += ok;
    s->tl[2 * sec + 1] += fail;
    return 0;
}

void mob__result_record(mob_result *r, int i, int cls, int64_t latency_ns)
{
    struct mob__sstats *s = &r->scen[i];
    if (cls == 0) {
        s->ok++;
        s->cur_ok++;
        r->t.ok++;
        r->sec_ok++;
        r->sec_sum += (double)latency_ns;
        mob_hist_record(s->hist, latency_ns);
        mob_hist_record(r->sec_hist, latency_ns);
    } else {
        s->fail[cls]++;
        s->cur_fail++;
        r->t.fail[cls]++;
        r->t.failures++;
        r->sec_fail++;
        r->sec_f[cls]++;
    }
}

void mob__result_status(mob_result *r, int i, int cls, int status)
{
    struct mob__sstats *s = &r->scen[i];
    if (status < MOB__STATUS_MIN || status > MOB__STATUS_MAX || cls < 0)
        return;
    if (!s->bystatus &&
        !(s->bystatus = MOB_CALLOC(MOB__STATUS_MAX - MOB__STATUS_MIN + 1, sizeof *s->bystatus)))
        return; /* out of memory: statsd counts the run under its class */
    s->bystatus[status - MOB__STATUS_MIN]++;
    s->statused[cls]++;
}

int mob__result_add_second(mob_result *r, const struct mob__second *s)
{
    if (mob_grow(&r->secs, &r->secs_cap, r->nsecs + 1, sizeof *r->secs, 64)) {
        MOB_FREE(s->cb);
        return -ENOMEM;
    }
    r->secs[r->nsecs++] = *s;
    return 0;
}

void mob__result_tick(mob_result *r)
{
    static const double ps[2] = {50, 99};
    int64_t v[2];
    mob_hist_percentiles(r->sec_hist, ps, v, 2);
    struct mob__second s = {.ok = r->sec_ok, .fail = r->sec_fail, .sum_ns = r->sec_sum,
                            .p50 = v[0], .p99 = v[1], .max = mob_hist_max(r->sec_hist),
                            .byclass = 1};
    memcpy(s.f, r->sec_f, sizeof s.f);
    s.ncb = mob__hist_coarse(r->sec_hist, &s.cb);
    if (s.ncb < 0)
        s.ncb = -1; /* out of memory: this second merges the old, inexact way */
    /* Out of memory, the second is lost from the timelines (the totals keep it), and the
     * scenarios' timelines skip it too, so all stay aligned second by second. */
    int added = mob__result_add_second(r, &s) == 0;
    for (int i = 0; i < r->nscen; i++) {
        struct mob__sstats *sc = &r->scen[i];
        if (added)
            mob__scenario_add_second(r, i, r->nsecs - 1, sc->cur_ok, sc->cur_fail);
        sc->cur_ok = sc->cur_fail = 0;
    }
    mob_hist_merge(r->all, r->sec_hist);
    mob_hist_reset(r->sec_hist);
    r->sec_ok = r->sec_fail = 0;
    memset(r->sec_f, 0, sizeof r->sec_f);
    r->sec_sum = 0;
}

/* Adds one second of another process (or machine) into d. With runs on both sides and both
 * distributions known, p50/p99 come from their sum; with runs on one side only, that side's
 * exact figures stand; otherwise they can only be bounded, by the worse of the two. */
static int merge_second(struct mob__second *d, const struct mob__second *s)
{
    int both = d->ok > 0 && s->ok > 0;
    int64_t p50 = d->ok ? d->p50 : s->p50, p99 = d->ok ? d->p99 : s->p99;
    d->ok += s->ok;
    d->fail += s->fail;
    d->byclass &= s->byclass;
    d->bots = d->bots < 0 || s->bots < 0 ? -1 : d->bots + s->bots;
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        d->f[c] = d->byclass ? d->f[c] + s->f[c] : 0;
    d->sum_ns += s->sum_ns;
    if (s->max > d->max)
        d->max = s->max;
    if (d->ncb >= 0 && s->ncb >= 0) {
        int n = mob__coarse_merge(&d->cb, d->ncb, s->cb, s->ncb);
        if (n < 0)
            return n;
        d->ncb = n;
        if (both) {
            static const double ps[2] = {50, 99};
            int64_t v[2];
            mob__coarse_percentiles(d->cb, d->ncb, d->max, ps, v, 2);
            p50 = v[0];
            p99 = v[1];
        }
    } else {
        MOB_FREE(d->cb);
        d->cb = NULL;
        d->ncb = -1;
        if (both) {
            p50 = s->p50 > p50 ? s->p50 : p50;
            p99 = s->p99 > p99 ? s->p99 : p99;
        }
    }
    d->p50 = p50;
    d->p99 = p99;
    return 0;
}

/* *a += b, remembering in *over a sum that does not fit (merging reports from elsewhere). */
static void add_u64(uint64_t *a, uint64_t b, int *over)
{
    if (__builtin_add_overflow(*a, b, a))
        *over = 1;
}

int mob_result_merge(mob_result *dst, const mob_result *src)
{
    /* The same run twice would double every count: refused before anything moves. */
    for (int i = 0; i < src->nruns; i++)
        for (int k = 0; k < dst->nruns; k++)
            if (strcmp(src->runs[i], dst->runs[k]) == 0)
                return -EEXIST;
    if (src->nruns > 0) {
        char(*runs)[MOB__RUN_ID_LEN] =
            MOB_REALLOC(dst->runs, (size_t)(dst->nruns + src->nruns) * sizeof *runs);
        if (!runs)
            return -ENOMEM;
        memcpy(runs + dst->nruns, src->runs, (size_t)src->nruns * sizeof *runs);
        dst->runs = runs;
        dst->nruns += src->nruns;
    }
    int over = mob__result_kinds_merge(dst, src);
    if (over == -ENOMEM)
        return over;
    add_u64(&dst->msgs_dropped, src->msgs_dropped, &over);
    for (int i = 0; i < src->nmsgs; i++)
        mob__result_add_msg(dst, &src->msgs[i]);
    for (int i = 0; i < src->nscen; i++) {
        int j = mob__result_scenario(dst, src->scen[i].name);
        if (j < 0)
            return j;
        struct mob__sstats *d = &dst->scen[j];
        const struct mob__sstats *s = &src->scen[i];
        add_u64(&d->ok, s->ok, &over);
        add_u64(&d->cut, s->cut, &over);
        for (int c = 0; c < MOB_FAIL_NCLASS; c++)
            add_u64(&d->fail[c], s->fail[c], &over);
        if (mob_hist_count(d->hist) > UINT64_MAX - mob_hist_count(s->hist))
            over = 1;
        mob_hist_merge(d->hist, s->hist);
        for (int k = 0; k < s->ntl; k++)
            if (mob__scenario_add_second(dst, j, k, s->tl[2 * k], s->tl[2 * k + 1]) < 0)
                return -ENOMEM;
    }
    for (int i = 0; i < src->nspans; i++) {
        int j = mob__result_span(dst, src->spans[i].name);
        if (j < 0)
            return j;
        add_u64(&dst->spans[j].ok, src->spans[i].ok, &over);
        for (int c = 0; c < MOB_FAIL_NCLASS; c++)
            add_u64(&dst->spans[j].fail[c], src->spans[i].fail[c], &over);
        mob_hist_merge(dst->spans[j].hist, src->spans[i].hist);
    }
    if (mob_hist_count(dst->all) > UINT64_MAX - mob_hist_count(src->all))
        over = 1;
    mob_hist_merge(dst->all, src->all);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        mob__result_reason(dst, c, src->reason[c]);
    if (!dst->threshold_stop[0])
        memcpy(dst->threshold_stop, src->threshold_stop, sizeof dst->threshold_stop);
    int fresh = !dst->sizing.asked && dst->nsecs == 0; /* dst becomes a copy of src */
    for (int i = 0; i < src->nsecs; i++) {
        if (i >= dst->nsecs) {
            struct mob__second z = {.byclass = 1}; /* none yet, of any class */
            if (mob__result_add_second(dst, &z) < 0)
                return -ENOMEM;
        }
        if (merge_second(&dst->secs[i], &src->secs[i]) < 0)
            return -ENOMEM;
    }
    mob_totals *a = &dst->t;
    const mob_totals *b = &src->t;
    add_u64(&a->ok, b->ok, &over);
    add_u64(&a->failures, b->failures, &over);
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        add_u64(&a->fail[c], b->fail[c], &over);
    add_u64(&a->cancelled, b->cancelled, &over);
    add_u64(&a->cut_graceful, b->cut_graceful, &over);
    add_u64(&a->setup_failed, b->setup_failed, &over);
    add_u64(&a->teardown_failed, b->teardown_failed, &over);
    add_u64(&a->global_teardown_failed, b->global_teardown_failed, &over);
    add_u64(&a->session_setup_failed, b->session_setup_failed, &over);
    add_u64(&a->session_teardown_failed, b->session_teardown_failed, &over);
    add_u64(&a->listener_failed, b->listener_failed, &over);
    add_u64(&a->scheduled, b->scheduled, &over);
    add_u64(&a->late, b->late, &over);
    add_u64(&a->dropped, b->dropped, &over);
    if (!a->setup_failed_rc)
        a->setup_failed_rc = b->setup_failed_rc;
    if (!a->session_setup_failed_rc)
        a->session_setup_failed_rc = b->session_setup_failed_rc;
    a->processes_lost += b->processes_lost;
    if (src->lost) {
        size_t la = dst->lost ? strlen(dst->lost) : 0, lb = strlen(src->lost);
        char *l = MOB_REALLOC(dst->lost, la + lb + 1);
        if (!l)
            return -ENOMEM;
        memcpy(l + la, src->lost, lb + 1);
        dst->lost = l;
    }
    if (b->elapsed_ns > a->elapsed_ns)
        a->elapsed_ns = b->elapsed_ns;
    a->bots_max += b->bots_max;
    a->processes += b->processes;
    if (!a->interrupted)
        a->interrupted = b->interrupted;
    a->stopped_on_failure |= b->stopped_on_failure;
    if (!a->seed)
        a->seed = b->seed;
    if (!dst->bots)
        dst->bots = src->bots;
    if (!dst->duration_ns)
        dst->duration_ns = src->duration_ns;
    if (dst->rate == 0)
        dst->rate = src->rate;
    if ((!dst->target || !*dst->target) && src->target) {
        MOB_FREE(dst->target);
        dst->target = dup_str(src->target);
    }
    /* Sizing runs added up get one verdict for their sum (sizing.c); a -p parent's children
     * judge nothing, and the parent sets its own live verdict. */
    mob__sizing_merge(dst, src, fresh);
    return over ? -EOVERFLOW : 0;
}

void mob_result_totals(const mob_result *r, mob_totals *out)
{
    *out = r->t;
}

int mob_result_nscenarios(const mob_result *r)
{
    return r->nscen;
}

static void stats_out(const struct mob__sstats *s, mob_scenario_stats *out)
{
    out->name = s->name;
    out->ok = s->ok;
    out->cut = s->cut;
    out->failures = 0;
    for (int c = 0; c < MOB_FAIL_NCLASS; c++) {
        out->fail[c] = s->fail[c];
        out->failures += s->fail[c];
    }
    out->latency = s->hist;
    out->nseconds = s->ntl;
    out->timeline = s->tl;
}

int mob_result_scenario(const mob_result *r, int i, mob_scenario_stats *out)
{
    if (i < 0 || i >= r->nscen)
        return -ENOENT;
    stats_out(&r->scen[i], out);
    return 0;
}

int mob_result_nspans(const mob_result *r)
{
    return r->nspans;
}

int mob_result_span(const mob_result *r, int i, mob_scenario_stats *out)
{
    if (i < 0 || i >= r->nspans)
        return -ENOENT;
    stats_out(&r->spans[i], out);
    return 0;
}

const mob_hist *mob_result_latency(const mob_result *r)
{
    return r->all;
}

int mob_result_seconds(const mob_result *r)
{
    return r->nsecs;
}

int mob_result_second(const mob_result *r, int i, mob_second *out)
{
    if (i < 0 || i >= r->nsecs)
        return -ENOENT;
    const struct mob__second *s = &r->secs[i];
    out->ok = s->ok;
    out->failures = s->fail;
    out->p50_ns = s->p50;
    out->p99_ns = s->p99;
    out->max_ns = s->max;
    out->mean_ns = s->ok ? s->sum_ns / (double)s->ok : 0;
    return 0;
}

int mob_result_exit_code(const mob_result *r, const mob_options *o)
{
    const mob_totals *t = &r->t;
    if (t->interrupted > 0 && t->interrupted < 64)
        return 128 + t->interrupted; /* as a shell reports a process the signal ended */
    if (t->processes_lost || t->stopped_on_failure || t->setup_failed_rc ||
        t->session_setup_failed_rc || r->threshold_stop[0])
        return 1;
    if (r->sizing.asked && !r->sizing.reached)
        return 1; /* a sizing run that found no limit has no answer to give */
    for (int i = 0; i < r->nth; i++)
        if (!r->th[i].pass)
            return 1; /* k6: a threshold that fails fails the run */
    /* Cut runs count against the gates: a server that never answers must not pass them. Not
     * those that ended themselves at a graceful end because the bots they waited on had left. */
    uint64_t bad = t->failures + (t->cancelled - t->cut_graceful) + t->setup_failed +
                   t->session_setup_failed;
    if (o && o->fail_threshold >= 0 && bad >= (uint64_t)o->fail_threshold)
        return 1;
    if (o && o->stop_on_failure && bad > 0)
        return 1;
    return t->ok == 0 ? 1 : 0; /* nothing succeeded: never a clean run */
}
