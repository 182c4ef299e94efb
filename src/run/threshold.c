/* SPDX-License-Identifier: MIT */
/*
 * threshold.c: k6's thresholds for mob runs. "p99<200ms", "failures<1%", "rps>5000",
 * "login:p99<50ms": parsed once from the command line (mob_threshold_parse), evaluated on the
 * merged result at the end of the run (mob__thresholds_apply, kept in the result for the
 * summary, the JSON report and the exit code), and, for those marked abort, on the process's
 * own numbers every second (the runner stops the run when one is crossed).
 *
 * Read next: src/run/runner.c (second_tick) for the early stop.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Parses a latency value: units as in -d, a bare number is milliseconds (k6's unit). */
static int parse_latency(const char *s, double *ns)
{
    char *e;
    double v = strtod(s, &e);
    if (e != s && *e == 0) {
        if (!(v >= 0) || isinf(v))
            return -EINVAL;
        *ns = v * 1e6;
        return 0;
    }
    int64_t d;
    if (mob_parse_duration(s, &d) < 0)
        return -EINVAL;
    *ns = (double)d;
    return 0;
}

static int parse_metric(const char *m, size_t n, mob_threshold *t)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -EINVAL;
    memcpy(buf, m, n);
    buf[n] = 0;
    static const struct {
        const char *name;
        int metric;
    } names[] = {{"mean", MOB_TH_MEAN}, {"avg", MOB_TH_MEAN},          {"min", MOB_TH_MIN},
                 {"max", MOB_TH_MAX},   {"failures", MOB_TH_FAILURES}, {"rps", MOB_TH_RPS}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(buf, names[i].name) == 0) {
            t->metric = names[i].metric;
            return 0;
        }
    }
    t->metric = MOB_TH_PERCENTILE;
    if (strcmp(buf, "med") == 0) {
        t->pct = 50;
        return 0;
    }
    /* p99, p99.9, p(95) */
    const char *p = buf + 1;
    size_t len = strlen(buf);
    if (buf[0] != 'p' || len < 2)
        return -EINVAL;
    if (*p == '(') {
        if (buf[len - 1] != ')')
            return -EINVAL;
        buf[len - 1] = 0;
        p++;
    }
    char *e;
    t->pct = strtod(p, &e);
    if (e == p || *e || !(t->pct > 0 && t->pct <= 100))
        return -EINVAL;
    return 0;
}

int mob_threshold_parse(const char *expr, mob_threshold *t)
{
    memset(t, 0, sizeof *t);
    if (!expr || strlen(expr) >= sizeof t->expr)
        return -EINVAL;
    snprintf(t->expr, sizeof t->expr, "%s", expr);
    char buf[sizeof t->expr];
    snprintf(buf, sizeof buf, "%s", expr);
    size_t blen = strlen(buf);
    if (blen > 6 && strcmp(buf + blen - 6, ",abort") == 0) {
        t->abort = 1;
        buf[blen - 6] = 0;
    }
    char *op = strpbrk(buf, "<>");
    if (!op)
        return -EINVAL;
    char *val = op + 1;
    t->op = *op;
    if (*val == '=') {
        t->op = *op == '<' ? 'l' : 'g';
        val++;
    }
    /* [SCENARIO:]METRIC: the scenario is everything before the last ':'. */
    char *colon = NULL;
    for (char *c = buf; c < op; c++)
        if (*c == ':')
            colon = c;
    const char *metric = buf;
    if (colon) {
        size_t sl = (size_t)(colon - buf);
        if (sl == 0 || sl >= sizeof t->scenario)
            return -EINVAL;
        memcpy(t->scenario, buf, sl);
        t->scenario[sl] = 0;
        metric = colon + 1;
    }
    if (parse_metric(metric, (size_t)(op - metric), t) < 0 || !*val)
        return -EINVAL;
    switch (t->metric) {
    case MOB_TH_FAILURES: {
        size_t vl = strlen(val);
        char *e;
        if (val[vl - 1] == '%') {
            val[vl - 1] = 0;
            t->percent = 1;
            t->limit = strtod(val, &e) / 100;
            if (e == val || *e || !(t->limit >= 0 && t->limit <= 1))
                return -EINVAL;
        } else if (mob_parse_count(val, &t->limit) < 0) {
            return -EINVAL;
        }
        return 0;
    }
    case MOB_TH_RPS:
        return mob_parse_count(val, &t->limit) < 0 ? -EINVAL : 0;
    default:
        return parse_latency(val, &t->limit);
    }
}

int mob_threshold_eval(const mob_threshold *t, const mob_result *r, int64_t elapsed_ns,
                       double *value)
{
    const mob_hist *h = r->all;
    uint64_t ok = r->t.ok, failures = r->t.failures;
    if (t->scenario[0]) {
        int i = 0;
        while (i < r->nscen && strcmp(r->scen[i].name, t->scenario) != 0)
            i++;
        if (i == r->nscen)
            return -ENOENT;
        h = r->scen[i].hist;
        ok = r->scen[i].ok;
        failures = 0;
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            failures += r->scen[i].fail[c];
    }
    double v;
    int have = 1;
    switch (t->metric) {
    case MOB_TH_FAILURES:
        v = t->percent ? (ok + failures ? (double)failures / (double)(ok + failures) : 0)
                       : (double)failures;
        break;
    case MOB_TH_RPS: {
        int64_t el = elapsed_ns > 0 ? elapsed_ns : r->t.elapsed_ns;
        v = el > 0 ? (double)(ok + failures) * 1e9 / (double)el : 0;
        break;
    }
    default:
        have = mob_hist_count(h) > 0;
        v = t->metric == MOB_TH_MEAN  ? mob_hist_mean(h)
            : t->metric == MOB_TH_MIN ? (double)mob_hist_min(h)
            : t->metric == MOB_TH_MAX ? (double)mob_hist_max(h)
                                      : (double)mob_hist_percentile(h, t->pct);
        break;
    }
    if (value)
        *value = have ? v : NAN;
    if (!have)
        return 0;
    switch (t->op) {
    case '<':
        return v < t->limit;
    case 'l':
        return v <= t->limit;
    case '>':
        return v > t->limit;
    default:
        return v >= t->limit;
    }
}

int mob__thresholds_apply(mob_result *r, const mob_options *o)
{
    MOB_FREE(r->th);
    r->th = NULL;
    r->nth = 0;
    if (o->nthresholds == 0)
        return 0;
    r->th = MOB_CALLOC((size_t)o->nthresholds, sizeof *r->th);
    if (!r->th)
        return -ENOMEM;
    for (int i = 0; i < o->nthresholds; i++) {
        struct mob__th *out = &r->th[i];
        snprintf(out->expr, sizeof out->expr, "%s", o->thresholds[i].expr);
        out->pass = mob_threshold_eval(&o->thresholds[i], r, 0, &out->value) == 1;
        out->metric = o->thresholds[i].metric;
        out->percent = o->thresholds[i].percent;
    }
    r->nth = o->nthresholds;
    return 0;
}

const char *mob__thresholds_crossed(const mob_result *r, const mob_options *o,
                                    int64_t elapsed_ns)
{
    for (int i = 0; i < o->nthresholds; i++) {
        const mob_threshold *t = &o->thresholds[i];
        if (!(t->abort || o->threshold_abort))
            continue;
        double v;
        /* No data yet is not a crossing: the first successful run may still come. */
        if (mob_threshold_eval(t, r, elapsed_ns, &v) == 0 && !isnan(v))
            return t->expr;
    }
    return NULL;
}

int mob_result_threshold(const mob_result *r, int i, const char **expr, double *value,
                         int *pass)
{
    if (i < 0 || i >= r->nth)
        return -ENOENT;
    if (expr)
        *expr = r->th[i].expr;
    if (value)
        *value = r->th[i].value;
    if (pass)
        *pass = r->th[i].pass;
    return r->nth;
}

/* A threshold's value in the unit its limit was given in. */
void mob__threshold_format(const struct mob__th *t, char *buf, size_t cap)
{
    if (isnan(t->value))
        snprintf(buf, cap, "no data");
    else if (t->metric == MOB_TH_FAILURES)
        snprintf(buf, cap, t->percent ? "%.3f%%" : "%.0f", t->percent ? t->value * 100 : t->value);
    else if (t->metric == MOB_TH_RPS)
        snprintf(buf, cap, "%.1f/s", t->value);
    else if (t->value >= 1e9)
        snprintf(buf, cap, "%.2fs", t->value / 1e9);
    else if (t->value >= 1e6)
        snprintf(buf, cap, "%.2fms", t->value / 1e6);
    else
        snprintf(buf, cap, "%.2fus", t->value / 1e3);
}
