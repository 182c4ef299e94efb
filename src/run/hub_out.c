/* SPDX-License-Identifier: MIT */
/*
 * hub_out.c: the hub's state in three shapes. The page's JSON message (the totals, the
 * timeline from the second a client has, the per-scenario and per-span table, failures by
 * class, the latest messages and the reporters), the Prometheus text exposition (counters of
 * runs by scenario and outcome, latency histograms in seconds, gauges of bots and
 * reporters), and a mob_result for /report.json while the run goes on. Percentiles come from
 * summed coarse buckets (0.8-1.6% wide), the same sums `mob merge` makes of a timeline.
 *
 * Read next: src/run/dash.c.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "hub.h"

/* Room for n more bytes and a NUL. Returns 0, or -1 (and failed set) when out of memory. */
static int str_room(struct mob__str *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->s && b->cap - b->len > n)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= n)
        cap *= 2;
    char *s = MOB_REALLOC(b->s, cap);
    if (!s) {
        b->failed = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void mob__str_printf(struct mob__str *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || str_room(b, (size_t)n) < 0) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mob__str_append(struct mob__str *b, const void *data, size_t n)
{
    if (str_room(b, n) < 0)
        return;
    memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = 0;
}

void mob__str_json(struct mob__str *b, const char *s)
{
    mob__str_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            mob__str_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            mob__str_printf(b, "\\u%04x", c);
        else
            mob__str_append(b, s, 1);
    }
    mob__str_append(b, "\"", 1);
}

void mob__str_free(struct mob__str *b)
{
    MOB_FREE(b->s);
    memset(b, 0, sizeof *b);
}

int mob__hub_nsecs(const struct mob__hub *h)
{
    return h->nsecs;
}

/* One hub-wide scenario or span, summed over reporters. */
struct sum {
    uint64_t ok, fail[MOB_FAIL_NCLASS];
    int64_t max;
    double sum;
    struct mob__cbucket *cb;
    int ncb;
};

static int sum_stats(const struct mob__hub *h, int k, int g, struct sum *s)
{
    memset(s, 0, sizeof *s);
    for (const struct hrep *r = h->reps; r; r = r->next) {
        for (int i = 0; i < r->nst[k]; i++) {
            const struct hstat *st = &r->st[k][i];
            if (st->g != g)
                continue;
            s->ok += st->ok;
            for (int c = 1; c < MOB_FAIL_NCLASS; c++)
                s->fail[c] += st->fail[c];
            s->max = st->max > s->max ? st->max : s->max;
            s->sum += st->sum;
            int n = mob__coarse_merge(&s->cb, s->ncb, st->cb, st->ncb);
            if (n < 0)
                return -1;
            s->ncb = n;
        }
    }
    return 0;
}

static void pcts(const struct mob__cbucket *cb, int n, int64_t max, int64_t v[3])
{
    static const double ps[3] = {50, 90, 99};
    mob__coarse_percentiles(cb, n, max, ps, v, 3);
}

static void table_json(struct mob__hub *h, struct mob__str *b, int k)
{
    for (int g = 0; g < h->nnames[k]; g++) {
        struct sum s;
        if (sum_stats(h, k, g, &s) < 0) {
            MOB_FREE(s.cb);
            b->failed = 1;
            return;
        }
        int64_t v[3];
        pcts(s.cb, s.ncb, s.max, v);
        uint64_t fails = 0;
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            fails += s.fail[c];
        mob__str_printf(b, "%s[", g ? "," : "");
        mob__str_json(b, h->names[k][g]);
        mob__str_printf(b, ",%llu,%llu,%lld,%lld,%lld,%lld", (unsigned long long)s.ok,
                        (unsigned long long)fails, (long long)v[0], (long long)v[1],
                        (long long)v[2], (long long)s.max);
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            mob__str_printf(b, ",%llu", (unsigned long long)s.fail[c]);
        mob__str_printf(b, "]");
        MOB_FREE(s.cb);
    }
}

static const char *const state_names[] = {"connected", "done", "lost", "refused"};

void mob__hub_state_json(struct mob__hub *h, struct mob__str *b, int from)
{
    uint64_t ok = 0, fail = 0, cancelled = 0, cut_graceful = 0, dropped = 0;
    uint64_t fails[MOB_FAIL_NCLASS] = {0};
    int64_t bots = 0, elapsed = 0;
    for (const struct hrep *r = h->reps; r; r = r->next) {
        ok += r->ok;
        fail += r->fail;
        cancelled += r->cancelled;
        cut_graceful += r->cut_graceful;
        dropped += r->dropped;
        if (r->state == MOB__SRC_CONNECTED)
            bots += r->bots;
        elapsed = r->elapsed > elapsed ? r->elapsed : elapsed;
        for (int i = 0; i < r->nst[0]; i++)
            for (int c = 1; c < MOB_FAIL_NCLASS; c++)
                fails[c] += r->st[0][i].fail[c];
    }
    mob__str_printf(b, "{\"t\":\"state\",\"title\":");
    mob__str_json(b, h->title);
    mob__str_printf(b, ",\"done\":%d,\"elapsed_ns\":%lld,\"ok\":%llu,\"fail\":%llu,"
                       "\"cancelled\":%llu,\"cut_graceful\":%llu,\"bots\":%lld,"
                       "\"msg_dropped\":%llu,\"classes\":[",
                    h->done, (long long)elapsed, (unsigned long long)ok,
                    (unsigned long long)fail, (unsigned long long)cancelled,
                    (unsigned long long)cut_graceful, (long long)bots,
                    (unsigned long long)dropped);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        mob__str_printf(b, "%s\"%s\"", c > 1 ? "," : "", mob_fail_name(c));
    mob__str_printf(b, "],\"fails\":[");
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        mob__str_printf(b, "%s%llu", c > 1 ? "," : "", (unsigned long long)fails[c]);
    mob__str_printf(b, "],\"nsecs\":%d,\"from\":%d,\"secs\":[", h->nsecs, from);
    for (int i = from < 0 ? 0 : from; i < h->nsecs; i++) {
        const struct hsec *s = &h->secs[i];
        int64_t v[3];
        pcts(s->cb, s->ncb, s->max, v);
        mob__str_printf(b, "%s[%d,%llu,%llu,%lld,%lld,%lld,%lld", i > from ? "," : "", i,
                        (unsigned long long)s->ok, (unsigned long long)s->fail, (long long)v[0],
                        (long long)v[1], (long long)v[2], (long long)s->bots);
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            mob__str_printf(b, ",%llu", (unsigned long long)s->f[c]);
        mob__str_printf(b, "]");
    }
    mob__str_printf(b, "],\"scen\":[");
    table_json(h, b, 0);
    mob__str_printf(b, "],\"spans\":[");
    table_json(h, b, 1);
    mob__str_printf(b, "],\"msgs\":[");
    uint64_t first = h->nmsg > 15 ? h->nmsg - 15 : 0;
    for (uint64_t i = first; i < h->nmsg; i++) {
        const struct hmsg *m = &h->msgs[i % MOB__HUB_MSGS];
        mob__str_printf(b, "%s[%lld,", i > first ? "," : "", (long long)m->t_ms);
        mob__str_json(b, m->src);
        mob__str_printf(b, ",%lld,", (long long)m->bot);
        mob__str_json(b, m->text);
        mob__str_printf(b, "]");
    }
    uint64_t zok, zfail;
    char ztext[96];
    if (mob__hub_sizing(h, &zok, &zfail, ztext, sizeof ztext)) {
        mob__str_printf(b, "],\"sizing\":{\"ok\":%llu,\"fail\":%llu,\"text\":",
                        (unsigned long long)zok, (unsigned long long)zfail);
        mob__str_json(b, ztext);
        mob__str_printf(b, "}");
    } else {
        mob__str_printf(b, "]");
    }
    mob__str_printf(b, ",\"reps\":[");
    for (const struct hrep *r = h->reps; r; r = r->next) {
        mob__str_printf(b, "%s[", r == h->reps ? "" : ",");
        mob__str_json(b, r->name);
        mob__str_printf(b, ",\"%s\",%d,%d,%llu,%llu,%lld]", state_names[r->state], r->conns,
                        r->nsec, (unsigned long long)r->ok, (unsigned long long)r->fail,
                        (long long)r->bots);
    }
    mob__str_printf(b, "]}");
}

void mob__hub_missing_finals(const struct mob__hub *h, FILE *f)
{
    for (const struct hrep *r = h->reps; r; r = r->next)
        if (!r->final)
            fprintf(f, "mob view: %s (process %d) sent no final report: not in the merge\n",
                    r->name, r->process);
}

double mob__hub_lag(const struct mob__hub *h)
{
    int64_t now = mob_clock_ns(), worst = 0;
    for (const struct hrep *r = h->reps; r; r = r->next)
        if (r->state == MOB__SRC_CONNECTED && r->last_ns && now - r->last_ns > worst)
            worst = now - r->last_ns;
    return (double)worst / 1e9;
}

int mob__hub_sizing(const struct mob__hub *h, uint64_t *ok, uint64_t *fail, char *text,
                    size_t cap)
{
    /* The window ends where every connected sizing reporter has sent its seconds, so each
     * second in it holds all of them: failures and runs are summed, never ratios averaged. */
    const struct hrep *z = NULL;
    int end = -1;
    for (const struct hrep *r = h->reps; r; r = r->next) {
        if (!r->sz_win)
            continue;
        z = z ? z : r;
        if (r->state == MOB__SRC_CONNECTED && (end < 0 || r->nsec < end))
            end = r->nsec;
    }
    if (!z)
        return 0;
    if (end < 0 || end > h->nsecs)
        end = h->nsecs;
    *ok = *fail = 0;
    for (int i = end > z->sz_win ? end - (int)z->sz_win : 0; i < end; i++) {
        *ok += h->secs[i].ok;
        *fail += h->secs[i].fail;
    }
    mob__sizing_window_text((double)z->sz_tol / 1000, z->sz_win * MOB_NS_PER_SEC, *ok, *fail,
                            text, cap);
    return 1;
}

/* ---- Prometheus -------------------------------------------------------------------------- */

static void label(struct mob__str *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            mob__str_printf(b, "\\%c", *s);
        else if (*s == '\n')
            mob__str_printf(b, "\\n");
        else
            mob__str_printf(b, "%c", *s);
    }
}

static void histogram(struct mob__str *b, const char *metric, const char *lname,
                      const char *name, const struct sum *s)
{
    static const double le[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,
                                2.5,     5,      10,      30};
    uint64_t cum = 0, count = 0;
    int k = 0;
    for (int i = 0; i < s->ncb; i++)
        count += s->cb[i].count;
    for (size_t j = 0; j < sizeof le / sizeof le[0]; j++) {
        /* A coarse bucket counts below a bound when its lowest value does (0.8-1.6% wide). */
        while (k < s->ncb && (double)s->cb[k].lowest / 1e9 <= le[j])
            cum += s->cb[k++].count;
        mob__str_printf(b, "%s_bucket{%s=\"", metric, lname);
        label(b, name);
        mob__str_printf(b, "\",le=\"%g\"} %llu\n", le[j], (unsigned long long)cum);
    }
    mob__str_printf(b, "%s_bucket{%s=\"", metric, lname);
    label(b, name);
    mob__str_printf(b, "\",le=\"+Inf\"} %llu\n%s_sum{%s=\"", (unsigned long long)count, metric,
                    lname);
    label(b, name);
    mob__str_printf(b, "\"} %.9f\n%s_count{%s=\"", s->sum / 1e9, metric, lname);
    label(b, name);
    mob__str_printf(b, "\"} %llu\n", (unsigned long long)count);
}

void mob__hub_metrics(struct mob__hub *h, struct mob__str *b)
{
    static const char *const kinds[2][3] = {
        {"mob_runs_total", "scenario", "mob_latency_seconds"},
        {"mob_spans_total", "span", "mob_span_seconds"}};
    static const char *const help[2][2] = {
        {"Runs finished, by scenario and outcome (ok or a failure class).",
         "Latency of successful runs, by scenario."},
        {"Spans closed, by span and outcome.", "Duration of successful spans, by span."}};
    for (int k = 0; k < 2; k++) {
        mob__str_printf(b, "# HELP %s %s\n# TYPE %s counter\n", kinds[k][0], help[k][0],
                        kinds[k][0]);
        for (int g = 0; g < h->nnames[k]; g++) {
            struct sum s;
            if (sum_stats(h, k, g, &s) == 0) {
                for (int c = 0; c < MOB_FAIL_NCLASS; c++) {
                    mob__str_printf(b, "%s{%s=\"", kinds[k][0], kinds[k][1]);
                    label(b, h->names[k][g]);
                    mob__str_printf(b, "\",outcome=\"%s\"} %llu\n", mob_fail_name(c),
                                    (unsigned long long)(c ? s.fail[c] : s.ok));
                }
            }
            MOB_FREE(s.cb);
        }
        mob__str_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", kinds[k][2], help[k][1],
                        kinds[k][2]);
        for (int g = 0; g < h->nnames[k]; g++) {
            struct sum s;
            if (sum_stats(h, k, g, &s) == 0)
                histogram(b, kinds[k][2], kinds[k][1], h->names[k][g], &s);
            MOB_FREE(s.cb);
        }
    }
    int64_t bots = 0;
    int st[4] = {0};
    for (const struct hrep *r = h->reps; r; r = r->next) {
        st[r->state]++;
        if (r->state == MOB__SRC_CONNECTED)
            bots += r->bots;
    }
    mob__str_printf(b, "# HELP mob_bots Bots running now.\n# TYPE mob_bots gauge\nmob_bots %lld\n"
                       "# HELP mob_reporters Reporting processes, by state.\n"
                       "# TYPE mob_reporters gauge\n",
                    (long long)bots);
    for (int i = 0; i < 4; i++)
        mob__str_printf(b, "mob_reporters{state=\"%s\"} %d\n", state_names[i], st[i]);
    mob__str_printf(b, "# HELP mob_view_lag_seconds Age of the stalest connected reporter's "
                       "numbers.\n# TYPE mob_view_lag_seconds gauge\nmob_view_lag_seconds %.3f\n",
                    mob__hub_lag(h));
    mob__str_printf(b, "# HELP mob_run_done 1 once the run is over.\n# TYPE mob_run_done gauge\n"
                       "mob_run_done %d\n",
                    h->done);
}

/* ---- the state as a result ------------------------------------------------------------- */

mob_result *mob__hub_result(struct mob__hub *h)
{
    mob_result *r = mob__result_new(h->title, "", NULL, 0);
    if (!r)
        return NULL;
    for (int k = 0; k < 2; k++) {
        for (int g = 0; g < h->nnames[k]; g++) {
            int i = k ? mob__result_span(r, h->names[k][g]) : mob__result_scenario(r, h->names[k][g]);
            struct sum s;
            if (i < 0 || sum_stats(h, k, g, &s) < 0) {
                mob_result_free(r);
                return NULL;
            }
            struct mob__sstats *d = k ? &r->spans[i] : &r->scen[i];
            d->ok = s.ok;
            memcpy(d->fail, s.fail, sizeof d->fail);
            for (int j = 0; j < s.ncb; j++)
                mob_hist_record_n(d->hist, s.cb[j].lowest, s.cb[j].count);
            if (!k)
                mob_hist_merge(r->all, d->hist);
            MOB_FREE(s.cb);
        }
    }
    for (const struct hrep *p = h->reps; p; p = p->next) {
        r->t.ok += p->ok;
        r->t.failures += p->fail;
        r->t.cancelled += p->cancelled;
        r->t.cut_graceful += p->cut_graceful;
        r->t.elapsed_ns = p->elapsed > r->t.elapsed_ns ? p->elapsed : r->t.elapsed_ns;
        r->t.processes++;
        for (int i = 0; i < p->nst[0]; i++)
            for (int c = 1; c < MOB_FAIL_NCLASS; c++)
                r->t.fail[c] += p->st[0][i].fail[c];
    }
    for (int i = 0; i < h->nsecs; i++) {
        const struct hsec *s = &h->secs[i];
        struct mob__second sec = {.ok = s->ok, .fail = s->fail, .sum_ns = s->sum, .max = s->max,
                                  .byclass = 1, .bots = (int)s->bots};
        memcpy(sec.f, s->f, sizeof sec.f);
        if (s->bots > r->t.bots_max)
            r->t.bots_max = (int)s->bots;
        if (s->ncb > 0 && !(sec.cb = MOB_MALLOC((size_t)s->ncb * sizeof *sec.cb))) {
            mob_result_free(r);
            return NULL;
        }
        if (s->ncb > 0)
            memcpy(sec.cb, s->cb, (size_t)s->ncb * sizeof *sec.cb);
        sec.ncb = s->ncb;
        static const double ps[2] = {50, 99};
        int64_t v[2];
        mob__coarse_percentiles(s->cb, s->ncb, s->max, ps, v, 2);
        sec.p50 = v[0];
        sec.p99 = v[1];
        if (mob__result_add_second(r, &sec) < 0) {
            mob_result_free(r);
            return NULL;
        }
    }
    return r;
}
