/* SPDX-License-Identifier: MIT */
/*
 * html.c: the HTML report (`--html FILE`, `mob report RUN.json --html FILE`). One file that a
 * browser opens with no network and no JavaScript: the totals, SVG charts of throughput,
 * latency percentiles and failures per second (a line per class) of the timeline, the latency
 * distribution as a percentile curve, the per-scenario, per-kind and per-span tables, failures
 * by class, the run's options and its exit status. It reads only the mob_result, so a report
 * read back from JSON (saved, or merged from other machines) gives the same page as the run
 * itself. The numbers the tests and a browser check carry ids (total-ok, total-failures, ...).
 *
 * Read next: src/run/svg.c (the charts).
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "run.h"

struct html_ctx {
    const mob_result *r;
    int exit_code;
};

static const char style[] =
    "body{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}"
    "h1{margin-bottom:0}.sub{color:#555;margin-top:4px}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:100px}"
    ".card b{display:block;font-size:22px}.card span{color:#555;font-size:12px}"
    "table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
    ".chart{margin:8px 0}.chart svg{width:100%;height:auto}"
    ".bad{color:#b00}.good{color:#070}";

static void fmt_ns(char *b, size_t n, int64_t ns)
{
    mob__svg_fmt(b, n, (double)ns, MOB__SVG_NS);
}

static void card(FILE *f, const char *id, const char *label, const char *value)
{
    fprintf(f, "<div class=\"card\"><b id=\"%s\">%s</b><span>%s</span></div>\n", id, value,
            label);
}

static void card_u64(FILE *f, const char *id, const char *label, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    card(f, id, label, b);
}

/* The timeline's per-second percentile p: from the second's coarse buckets when the report
 * kept them, else the stored p50/p99 for those two, else a gap. */
static double second_pct(const struct mob__second *s, double p)
{
    if (s->ok == 0)
        return NAN;
    if (s->ncb > 0) {
        int64_t v;
        mob__coarse_percentiles(s->cb, s->ncb, s->max, &p, &v, 1);
        return (double)v;
    }
    if (p == 50)
        return (double)s->p50;
    if (p == 99)
        return (double)s->p99;
    return NAN;
}

/* Failures per second, one line per class that failed at all, so that a burst of timeouts
 * is told from refused connections. A report without classes per second (format 1, or merged
 * with one) has only the total. fc: room for MOB_FAIL_NCLASS series of r->nsecs values. */
static void failures_chart(FILE *f, const mob_result *r, const double *x, const double *total,
                           double *fc)
{
    static const char *const colors[] = {"", "#d62728", "#ff7f0e", "#8c564b", "#9467bd",
                                         "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4"};
    _Static_assert(sizeof colors / sizeof colors[0] >= MOB_FAIL_NCLASS, "a color per class");
    int n = r->nsecs, byclass = 1, ns = 0;
    for (int i = 0; i < n; i++)
        byclass &= r->secs[i].byclass;
    struct mob__series s[MOB_FAIL_NCLASS];
    for (int c = 1; byclass && c < MOB_FAIL_NCLASS; c++) {
        double *y = fc + (size_t)c * n, any = 0;
        for (int i = 0; i < n; i++)
            any += y[i] = (double)r->secs[i].f[c];
        if (any > 0)
            s[ns++] = (struct mob__series){mob_fail_name(c), colors[c], y};
    }
    if (ns == 0)
        s[ns++] = (struct mob__series){"failures/s", "#d62728", total};
    struct mob__chart c = {byclass ? "Failures per second, by class"
                                   : "Failures per second (this report has no classes per second)",
                           "second of the run", MOB__SVG_SEC, MOB__SVG_COUNT, x, n, s, ns,
                           "failures-chart"};
    mob__svg_chart(f, &c);
}

static void charts(FILE *f, const mob_result *r)
{
    int n = r->nsecs;
    double *v = MOB_CALLOC((size_t)(n > 0 ? n : 1) * (6 + MOB_FAIL_NCLASS), sizeof *v);
    if (!v)
        return;
    double *ok = v, *fail = v + n, *p50 = v + 2 * n, *p90 = v + 3 * n, *p99 = v + 4 * n,
           *x = v + 5 * n;
    for (int i = 0; i < n; i++) {
        const struct mob__second *s = &r->secs[i];
        x[i] = i + 1;
        ok[i] = (double)s->ok;
        fail[i] = (double)s->fail;
        p50[i] = second_pct(s, 50);
        p90[i] = second_pct(s, 90);
        p99[i] = second_pct(s, 99);
    }
    struct mob__series tput[2] = {{"ok/s", "#1f77b4", ok}, {"failed/s", "#d62728", fail}};
    struct mob__chart c = {"Throughput (runs per second)", "second of the run", MOB__SVG_SEC,
                           MOB__SVG_COUNT, x, n, tput, 2, "throughput-chart"};
    mob__svg_chart(f, &c);
    struct mob__series lat[3] = {
        {"p50", "#2ca02c", p50}, {"p90", "#ff7f0e", p90}, {"p99", "#9467bd", p99}};
    struct mob__chart c2 = {"Latency per second (successful runs)", "second of the run",
                            MOB__SVG_SEC, MOB__SVG_NS, x, n, lat, 3, "latency-chart"};
    mob__svg_chart(f, &c2);
    failures_chart(f, r, x, fail, v + 6 * n);
    MOB_FREE(v);
}

/* The bots' latest info messages (mob_info), oldest first, in UTC. */
static void messages(FILE *f, const mob_result *r)
{
    fprintf(f, "<h2>Messages</h2>\n<p id=\"messages-dropped\">%d kept, %llu more not kept"
               "</p>\n",
            r->nmsgs, (unsigned long long)r->msgs_dropped);
    if (r->nmsgs == 0)
        return;
    fputs("<table id=\"messages\"><tr><th>time (UTC)</th><th>bot</th><th>message</th></tr>\n",
          f);
    for (int i = 0; i < r->nmsgs; i++) {
        time_t sec = (time_t)(r->msgs[i].t_ms / 1000);
        struct tm tm;
        char when[32] = "?";
        if (gmtime_r(&sec, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(f, "<tr><td>%s.%03d</td><td>%d</td><td>", when,
                (int)(r->msgs[i].t_ms % 1000 + 1000) % 1000, r->msgs[i].bot);
        mob__html_text(f, r->msgs[i].text);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The percentile curve of every successful run (HdrHistogram's plot), then a table of it. */
static void distribution(FILE *f, const mob_result *r)
{
    static const double ps[] = {0,    10,   20,    30,     40,      50,   60,   70,
                                75,   80,   85,    90,     92.5,    95,   96,   97,
                                97.5, 98,   98.5,  99,     99.25,   99.5, 99.75, 99.9,
                                99.95, 99.99, 99.995, 99.999, 100};
    enum { NP = sizeof ps / sizeof ps[0] };
    int64_t v[NP];
    double y[NP];
    mob_hist_percentiles(r->all, ps, v, NP);
    int n = 0;
    uint64_t count = mob_hist_count(r->all);
    for (int i = 0; i < NP; i++) {
        /* Past the last value the curve is flat: stop where a count this small still
         * resolves the percentile. */
        if (ps[i] > 0 && count > 0 && (100 - ps[i]) / 100 * (double)count < 1 && ps[i] < 100)
            continue;
        y[n] = (double)v[i];
        n++;
    }
    double xs[NP];
    for (int i = 0, k = 0; i < NP && k < n; i++)
        if (!(ps[i] > 0 && count > 0 && (100 - ps[i]) / 100 * (double)count < 1 && ps[i] < 100))
            xs[k++] = ps[i] >= 100 ? 99.9999 : ps[i];
    struct mob__series s = {"latency", "#1f77b4", y};
    struct mob__chart c = {"Latency by percentile (all successful runs)", "percentile",
                           MOB__SVG_PCT, MOB__SVG_NS, xs, count ? n : 0, &s, 1,
                           "percentile-chart"};
    mob__svg_chart(f, &c);
    fputs("<table id=\"percentiles\"><tr><th>percentile</th><th>latency</th></tr>\n", f);
    static const double shown[] = {50, 75, 90, 95, 99, 99.9, 99.99, 100};
    for (int i = 0; i < 8; i++) {
        char b[32];
        fmt_ns(b, sizeof b, mob_hist_percentile(r->all, shown[i]));
        fprintf(f, "<tr><td>p%g</td><td>%s</td></tr>\n", shown[i], b);
    }
    fputs("</table>\n", f);
}

/* One table of named stats (scenarios or spans): count, failures by class, rate, latency. */
static void stats_table(FILE *f, const char *id, const char *what,
                        const struct mob__sstats *s, int n, double secs)
{
    fprintf(f, "<table id=\"%s\"><tr><th>%s</th><th>ok</th><th>failed</th>", id, what);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        fprintf(f, "<th>%s</th>", mob_fail_name(c));
    fputs("<th>per s</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n", f);
    for (int i = 0; i < n; i++) {
        uint64_t fails = 0;
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            fails += s[i].fail[c];
        fputs("<tr><td>", f);
        mob__html_text(f, s[i].name);
        fprintf(f, "</td><td>%llu</td><td%s>%llu</td>", (unsigned long long)s[i].ok,
                fails ? " class=\"bad\"" : "", (unsigned long long)fails);
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            fprintf(f, "<td>%llu</td>", (unsigned long long)s[i].fail[c]);
        static const double ps[3] = {50, 90, 99};
        int64_t v[3];
        mob_hist_percentiles(s[i].hist, ps, v, 3);
        char a[32], b[32], c3[32], d[32];
        fmt_ns(a, sizeof a, v[0]);
        fmt_ns(b, sizeof b, v[1]);
        fmt_ns(c3, sizeof c3, v[2]);
        fmt_ns(d, sizeof d, mob_hist_max(s[i].hist));
        fprintf(f, "<td>%.1f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                secs > 0 ? (double)(s[i].ok + fails) / secs : 0.0, a, b, c3, d);
    }
    fputs("</table>\n", f);
}

/* The kinds of bot, when the suite has them; their scenarios are the KIND/... rows above. */
static void kinds_table(FILE *f, const mob_result *r)
{
    if (r->nkinds == 0)
        return;
    fputs("<h2>Kinds of bot</h2>\n<table id=\"kinds\"><tr><th>kind</th><th>weight</th>"
          "<th>bots</th></tr>\n", f);
    for (int i = 0; i < r->nkinds; i++) {
        fputs("<tr><td>", f);
        mob__html_text(f, r->kinds[i].name);
        fprintf(f, "</td><td>%d</td><td>%llu</td></tr>\n", r->kinds[i].weight,
                (unsigned long long)r->kinds[i].bots);
    }
    fputs("</table>\n", f);
}

static void run_table(FILE *f, const mob_result *r, int exit_code)
{
    const mob_totals *t = &r->t;
    char b[64];
    fputs("<table id=\"run\">\n<tr><td>target</td><td>", f);
    mob__html_text(f, r->target);
    fputs("</td></tr>\n<tr><td>suite</td><td>", f);
    mob__html_text(f, r->suite);
    fprintf(f, "</td></tr>\n<tr><td>bots per process</td><td>%d</td></tr>\n", r->bots);
    fprintf(f, "<tr><td>most bots at once</td><td>%d</td></tr>\n", t->bots_max);
    fprintf(f, "<tr><td>processes</td><td>%d</td></tr>\n", t->processes);
    fmt_ns(b, sizeof b, r->duration_ns);
    fprintf(f, "<tr><td>duration asked</td><td>%s</td></tr>\n",
            r->duration_ns > 0 ? b : "none");
    fmt_ns(b, sizeof b, t->elapsed_ns);
    fprintf(f, "<tr><td>elapsed</td><td>%s</td></tr>\n", b);
    if (r->rate > 0)
        fprintf(f, "<tr><td>rate</td><td>%.1f/s: %llu scheduled, %llu late, %llu dropped"
                   "</td></tr>\n",
                r->rate, (unsigned long long)t->scheduled, (unsigned long long)t->late,
                (unsigned long long)t->dropped);
    fprintf(f, "<tr><td>seed</td><td>%llu</td></tr>\n", (unsigned long long)t->seed);
    fprintf(f, "<tr><td>runs cut by the end</td><td>%llu</td></tr>\n",
            (unsigned long long)t->cancelled);
    fprintf(f, "<tr><td>hooks failed</td><td>setup %llu, teardown %llu, global teardown %llu, "
               "session setup %llu, session teardown %llu; listener calls %llu</td></tr>\n",
            (unsigned long long)t->setup_failed, (unsigned long long)t->teardown_failed,
            (unsigned long long)t->global_teardown_failed,
            (unsigned long long)t->session_setup_failed,
            (unsigned long long)t->session_teardown_failed,
            (unsigned long long)t->listener_failed);
    fprintf(f, "<tr><td>ended</td><td>%s%s</td></tr>\n",
            t->interrupted ? "interrupted by a signal" : "normally",
            t->stopped_on_failure ? ", stopped on the first failure (-x)" : "");
    if (r->sizing.asked) {
        char line[400];
        mob__sizing_format(&r->sizing, r->sizing_basis, line, sizeof line);
        fprintf(f, "<tr><td>sizing</td><td id=\"sizing\" class=\"%s\">",
                r->sizing.reached ? "good" : "bad");
        mob__html_text(f, line);
        fputs("</td></tr>\n", f);
    }
    if (exit_code >= 0)
        fprintf(f, "<tr><td>exit status</td><td id=\"exit-status\" class=\"%s\">%d</td></tr>\n",
                exit_code ? "bad" : "good", exit_code);
    else
        fputs("<tr><td>exit status</td><td id=\"exit-status\">not recorded</td></tr>\n", f);
    fprintf(f, "<tr><td>mob version</td><td>%s</td></tr>\n</table>\n", mob_version());
}

static void html_write(FILE *f, const void *ud)
{
    const struct html_ctx *h = ud;
    const mob_result *r = h->r;
    const mob_totals *t = &r->t;
    double secs = t->elapsed_ns > 0 ? (double)t->elapsed_ns / 1e9 : 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mob: ", f);
    mob__html_text(f, r->suite);
    fputs(" @ ", f);
    mob__html_text(f, r->target);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>mob report</h1>\n"
               "<p class=\"sub\">",
            style);
    mob__html_text(f, r->suite);
    fputs(" @ ", f);
    mob__html_text(f, r->target);
    fprintf(f, ": %.2f s, %d bots max over %d process%s</p>\n<div class=\"cards\">\n", secs,
            t->bots_max, t->processes, t->processes == 1 ? "" : "es");
    card_u64(f, "total-ok", "successes", t->ok);
    card_u64(f, "total-failures", "failures", t->failures);
    char b[32];
    snprintf(b, sizeof b, "%.1f", secs > 0 ? (double)(t->ok + t->failures) / secs : 0.0);
    card(f, "total-rate", "runs per second", b);
    static const double ps[3] = {50, 90, 99};
    static const char *const ids[3] = {"total-p50", "total-p90", "total-p99"};
    int64_t v[3];
    mob_hist_percentiles(r->all, ps, v, 3);
    for (int i = 0; i < 3; i++) {
        char label[32];
        snprintf(label, sizeof label, "p%g latency", ps[i]);
        fmt_ns(b, sizeof b, v[i]);
        card(f, ids[i], label, b);
    }
    fmt_ns(b, sizeof b, mob_hist_max(r->all));
    card(f, "total-max", "max latency", b);
    fputs("</div>\n<h2>Over time</h2>\n", f);
    charts(f, r);
    fputs("<h2>Latency distribution</h2>\n", f);
    distribution(f, r);
    fputs("<h2>Scenarios</h2>\n", f);
    stats_table(f, "scenarios", "scenario", r->scen, r->nscen, secs);
    kinds_table(f, r);
    fputs("<h2>Spans</h2>\n", f);
    if (r->nspans > 0)
        stats_table(f, "spans", "span", r->spans, r->nspans, secs);
    else
        fputs("<p>No span was marked in this run (mob_span_enter / mob_span_exit).</p>\n", f);
    fputs("<h2>Failures by class</h2>\n<table id=\"failures\"><tr>", f);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        fprintf(f, "<th>%s</th>", mob_fail_name(c));
    fputs("</tr><tr>", f);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        fprintf(f, "<td>%llu</td>", (unsigned long long)t->fail[c]);
    fputs("</tr></table>\n", f);
    messages(f, r);
    fputs("<h2>Run</h2>\n", f);
    run_table(f, r, h->exit_code);
    fputs("</body></html>\n", f);
}

int mob_result_write_html(const mob_result *r, const char *path, int exit_code)
{
    struct html_ctx h = {r, exit_code};
    return mob_outfile_write(path, html_write, &h);
}
