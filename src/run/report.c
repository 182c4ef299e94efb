/* SPDX-License-Identifier: MIT */
/*
 * report.c: a result on paper. The summary is wrk's table (latency percentiles, requests/s)
 * plus per-scenario lines, failures by class, and molotov's `SUCCESSES: n | FAILURES: m` line.
 * The JSON report holds everything, histograms as [value, count] pairs of their non-empty
 * slots (mob_hist_foreach), so json.c reads it back into an identical result; it is written to
 * a temporary file and renamed, so a reader never sees half a report.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

static void fmt_lat(char *buf, size_t n, int64_t ns)
{
    if (ns < MOB_NS_PER_US)
        snprintf(buf, n, "%lldns", (long long)ns);
    else if (ns < 1000 * MOB_NS_PER_US)
        snprintf(buf, n, "%.2fus", (double)ns / 1e3);
    else if (ns < 1000 * MOB_NS_PER_MS)
        snprintf(buf, n, "%.2fms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", (double)ns / 1e9);
}

/* One line of the scenario or span table: counts, rate, p50, p99, max. */
static void print_stats_line(FILE *out, const struct mob__sstats *s, double secs)
{
    char b[3][24];
    uint64_t f = 0;
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        f += s->fail[c];
    fmt_lat(b[0], sizeof b[0], mob_hist_percentile(s->hist, 50));
    fmt_lat(b[1], sizeof b[1], mob_hist_percentile(s->hist, 99));
    fmt_lat(b[2], sizeof b[2], mob_hist_max(s->hist));
    fprintf(out, "  %-20s %12llu %10llu %12.1f %9s %9s %9s\n", s->name, (unsigned long long)s->ok,
            (unsigned long long)f, secs > 0 ? (double)(s->ok + f) / secs : 0.0, b[0], b[1], b[2]);
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

void mob_result_print(const mob_result *r, FILE *out)
{
    const mob_totals *t = &r->t;
    double secs = t->elapsed_ns > 0 ? (double)t->elapsed_ns / 1e9 : 0;
    char b[10][24];
    fprintf(out, "%s @ %s: %.2fs, %d bots max over %d process%s", r->suite, r->target, secs,
            t->bots_max, t->processes, t->processes == 1 ? "" : "es");
    if (t->interrupted)
        fprintf(out, " (interrupted by %s)", sig_name(t->interrupted));
    fputc('\n', out);
    static const double ps[] = {50, 75, 90, 99, 99.9, 99.99};
    int64_t v[6];
    mob_hist_percentiles(r->all, ps, v, 6);
    fprintf(out, "  Latency %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "mean", "stdev", "p50", "p75",
            "p90", "p99", "p99.9", "p99.99", "max");
    fmt_lat(b[0], sizeof b[0], (int64_t)mob_hist_mean(r->all));
    fmt_lat(b[1], sizeof b[1], (int64_t)mob_hist_stddev(r->all));
    for (int i = 0; i < 6; i++)
        fmt_lat(b[2 + i], sizeof b[2], v[i]);
    fmt_lat(b[8], sizeof b[8], mob_hist_max(r->all));
    fprintf(out, "          %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", b[0], b[1], b[2], b[3], b[4],
            b[5], b[6], b[7], b[8]);
    mob__result_kinds_print(r, out);
    fprintf(out, "  %-20s %12s %10s %12s %9s %9s %9s\n", "Scenario", "ok", "failed", "runs/s",
            "p50", "p99", "max");
    for (int i = 0; i < r->nscen; i++)
        print_stats_line(out, &r->scen[i], secs);
    if (r->nspans > 0)
        fprintf(out, "  %-20s %12s %10s %12s %9s %9s %9s\n", "Span", "ok", "failed", "per s",
                "p50", "p99", "max");
    for (int i = 0; i < r->nspans; i++)
        print_stats_line(out, &r->spans[i], secs);
    if (t->failures) {
        fprintf(out, "  Failures:");
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            fprintf(out, " %s %llu%s", mob_fail_name(c), (unsigned long long)t->fail[c],
                    c + 1 < MOB_FAIL_NCLASS ? "," : "\n");
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            if (t->fail[c] && r->reason[c])
                fprintf(out, "  %s: %s\n", mob_fail_name(c), r->reason[c]);
    }
    if (t->processes_lost) {
        fprintf(out, "  INCOMPLETE: %d process%s lost, %s results not counted:\n", t->processes_lost,
                t->processes_lost == 1 ? "" : "es", t->processes_lost == 1 ? "its" : "their");
        for (const char *l = r->lost; l && *l;) {
            const char *e = strchr(l, '\n');
            int len = e ? (int)(e - l) : (int)strlen(l);
            fprintf(out, "    %.*s\n", len, l);
            l += len + (e != NULL);
        }
    }
    if (t->setup_failed_rc)
        fprintf(out, "  Stopped: a bot's setup failed (%s)\n", mob_strerror(t->setup_failed_rc));
    if (t->session_setup_failed_rc)
        fprintf(out, "  Stopped: a bot's session setup failed (%s)\n",
                t->session_setup_failed_rc < 0 ? mob_strerror(t->session_setup_failed_rc)
                                               : mob_fail_name(t->session_setup_failed_rc));
    if (t->setup_failed || t->teardown_failed || t->global_teardown_failed)
        fprintf(out, "  Hooks failed: setup %llu, teardown %llu, global teardown %llu\n",
                (unsigned long long)t->setup_failed, (unsigned long long)t->teardown_failed,
                (unsigned long long)t->global_teardown_failed);
    if (t->session_setup_failed || t->session_teardown_failed)
        fprintf(out, "  Session hooks failed: setup %llu, teardown %llu\n",
                (unsigned long long)t->session_setup_failed,
                (unsigned long long)t->session_teardown_failed);
    if (t->listener_failed)
        fprintf(out, "  Listener calls failed: %llu (ignored)\n",
                (unsigned long long)t->listener_failed);
    if (r->rate > 0)
        fprintf(out, "  Rate %.1f/s: %llu scheduled, %llu late (>1ms), %llu dropped\n", r->rate,
                (unsigned long long)t->scheduled, (unsigned long long)t->late,
                (unsigned long long)t->dropped);
    if (t->cancelled) {
        fprintf(out, "  Cut short by the end of the run: %llu runs (", (unsigned long long)t->cancelled);
        for (int i = 0, first = 1; i < r->nscen; i++)
            if (r->scen[i].cut) {
                fprintf(out, "%s%s %llu", first ? "" : ", ", r->scen[i].name,
                        (unsigned long long)r->scen[i].cut);
                first = 0;
            }
        fputs(")\n", out);
    }
    if (t->stopped_on_failure)
        fprintf(out, "  Stopped on the first failure (-x)\n");
    if (r->threshold_stop[0])
        fprintf(out, "  Stopped early: threshold %s crossed\n", r->threshold_stop);
    if (r->nth)
        fprintf(out, "  %-40s %14s  %s\n", "Threshold", "value", "verdict");
    for (int i = 0; i < r->nth; i++) {
        char val[48];
        mob__threshold_format(&r->th[i], val, sizeof val);
        fprintf(out, "  %-40s %14s  %s\n", r->th[i].expr, val, r->th[i].pass ? "pass" : "FAIL");
    }
    fprintf(out, "  %llu runs in %.2fs\n", (unsigned long long)(t->ok + t->failures), secs);
    fprintf(out, "Requests/sec: %10.2f\n", secs > 0 ? (double)(t->ok + t->failures) / secs : 0.0);
    if (r->sizing.asked) {
        char line[400];
        mob__sizing_format(&r->sizing, r->sizing_basis, line, sizeof line);
        fprintf(out, "%s\n", line);
    }
    /* molotov's line, kept as it is for the scripts that read it; cut runs follow it. */
    fprintf(out, "SUCCESSES: %llu | FAILURES: %llu", (unsigned long long)t->ok,
            (unsigned long long)t->failures);
    if (t->cancelled)
        fprintf(out, " | CUT: %llu", (unsigned long long)t->cancelled);
    fputc('\n', out);
}

/* ---- JSON ----------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

struct slots_out {
    FILE *f;
    int first;
};

static int slot_out(int64_t value, uint64_t count, void *ud)
{
    struct slots_out *so = ud;
    fprintf(so->f, "%s[%lld,%llu]", so->first ? "" : ",", (long long)value,
            (unsigned long long)count);
    so->first = 0;
    return 0;
}

static void json_hist(FILE *f, const mob_hist *h)
{
    static const double ps[] = {50, 75, 90, 99, 99.9, 99.99};
    static const char *const pn[] = {"p50", "p75", "p90", "p99", "p99.9", "p99.99"};
    int64_t v[6];
    mob_hist_percentiles(h, ps, v, 6);
    fprintf(f, "{\"unit\":\"ns\",\"count\":%llu,\"min\":%lld,\"max\":%lld,\"sum\":%.17g,"
               "\"clamped\":%llu,\"mean\":%.3f,\"stddev\":%.3f",
            (unsigned long long)mob_hist_count(h), (long long)mob_hist_min(h),
            (long long)mob_hist_max(h), mob_hist_sum(h), (unsigned long long)mob_hist_clamped(h),
            mob_hist_mean(h), mob_hist_stddev(h));
    for (int i = 0; i < 6; i++)
        fprintf(f, ",\"%s\":%lld", pn[i], (long long)v[i]);
    fprintf(f, ",\"buckets\":[");
    struct slots_out so = {f, 1};
    mob_hist_foreach(h, slot_out, &so);
    fprintf(f, "]}");
}

/* Failures by class; with sparse, only the classes that have some (a second of the timeline:
 * most have none, and a reader takes a missing class as 0). */
static void json_fail(FILE *f, const uint64_t *fail, int sparse)
{
    fputc('{', f);
    const char *sep = "";
    for (int c = 1; c < MOB_FAIL_NCLASS; c++) {
        if (sparse && !fail[c])
            continue;
        fprintf(f, "%s\"%s\":%llu", sep, mob_fail_name(c), (unsigned long long)fail[c]);
        sep = ",";
    }
    fputc('}', f);
}

void mob__result_json_write(const mob_result *r, FILE *f)
{
    const mob_totals *t = &r->t;
    fprintf(f, "{\"mob\":%d,\"version\":", MOB__REPORT_FORMAT);
    json_str(f, mob_version());
    fprintf(f, ",\n\"suite\":");
    json_str(f, r->suite);
    fprintf(f, ",\"target\":");
    json_str(f, r->target);
    if (r->lost) { /* -p children whose results are missing: the report is incomplete */
        fprintf(f, ",\n\"incomplete\":true,\"lost\":[");
        int first = 1;
        for (const char *l = r->lost; *l;) {
            const char *e = strchr(l, '\n');
            size_t len = e ? (size_t)(e - l) : strlen(l);
            char line[256];
            snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), l);
            fputs(first ? "" : ",", f);
            json_str(f, line);
            first = 0;
            l += len + (e != NULL);
        }
        fputc(']', f);
    }
    fprintf(f, ",\n\"run_id\":");
    json_str(f, r->run_id);
    fprintf(f, ",\"runs\":[");
    for (int i = 0; i < r->nruns; i++) {
        fputs(i ? "," : "", f);
        json_str(f, r->runs[i]);
    }
    fputc(']', f);
    fprintf(f, ",\n\"options\":{\"bots\":%d,\"duration_ns\":%lld,\"rate\":%.17g},\n", r->bots,
            (long long)r->duration_ns, r->rate);
    for (int i = 0; i < r->nkinds; i++) { /* a suite without kinds writes none */
        fprintf(f, "%s{\"name\":", i ? "," : "\"kinds\":[");
        json_str(f, r->kinds[i].name);
        fprintf(f, ",\"weight\":%d,\"bots\":%llu}%s", r->kinds[i].weight,
                (unsigned long long)r->kinds[i].bots, i + 1 < r->nkinds ? "" : "],\n");
    }
    fprintf(f, "\"totals\":{\"ok\":%llu,\"failures\":%llu,\"fail\":", (unsigned long long)t->ok,
            (unsigned long long)t->failures);
    json_fail(f, t->fail, 0);
    fprintf(f, ",\"reasons\":{");
    for (int c = 1, n = 0; c < MOB_FAIL_NCLASS; c++) {
        if (!r->reason[c])
            continue;
        fprintf(f, "%s\"%s\":", n++ ? "," : "", mob_fail_name(c));
        json_str(f, r->reason[c]);
    }
    fprintf(f, "}");
    fprintf(f, ",\"cancelled\":%llu,\"setup_failed\":%llu,\"teardown_failed\":%llu,"
               "\"global_teardown_failed\":%llu,\"scheduled\":%llu,\"late\":%llu,"
               "\"dropped\":%llu,\"elapsed_ns\":%lld,\"bots_max\":%d,\"processes\":%d,"
               "\"interrupted\":%d,\"stopped_on_failure\":%d,\"setup_failed_rc\":%d,\"processes_lost\":%d,"
               "\"cut_graceful\":%llu,\"session_setup_failed\":%llu,"
               "\"session_teardown_failed\":%llu,\"session_setup_failed_rc\":%d,"
               "\"listener_failed\":%llu,"
               "\"seed\":\"%llu\"},\n",
            (unsigned long long)t->cancelled, (unsigned long long)t->setup_failed,
            (unsigned long long)t->teardown_failed, (unsigned long long)t->global_teardown_failed,
            (unsigned long long)t->scheduled, (unsigned long long)t->late,
            (unsigned long long)t->dropped, (long long)t->elapsed_ns, t->bots_max, t->processes,
            t->interrupted, t->stopped_on_failure, t->setup_failed_rc, t->processes_lost,
            (unsigned long long)t->cut_graceful, (unsigned long long)t->session_setup_failed,
            (unsigned long long)t->session_teardown_failed, t->session_setup_failed_rc,
            (unsigned long long)t->listener_failed,
            (unsigned long long)t->seed);
    fprintf(f, "\"thresholds\":[");
    for (int i = 0; i < r->nth; i++) {
        fprintf(f, "%s{\"expr\":", i ? "," : "");
        json_str(f, r->th[i].expr);
        if (isnan(r->th[i].value))
            fprintf(f, ",\"value\":null");
        else
            fprintf(f, ",\"value\":%.17g", r->th[i].value);
        fprintf(f, ",\"pass\":%s}", r->th[i].pass ? "true" : "false");
    }
    fprintf(f, "],\"threshold_stop\":");
    json_str(f, r->threshold_stop);
    const mob_sizing_result *z = &r->sizing;
    if (z->asked)
        fprintf(f, ",\n\"sizing\":{\"reached\":%s,\"ratio\":%.17g,\"bots\":%d,\"ok\":%llu,"
                   "\"failures\":%llu,\"at_ns\":%lld,\"tolerance\":%.17g,\"window_ns\":%lld,"
                   "\"basis\":\"%s\"}",
                z->reached ? "true" : "false", z->ratio, z->bots, (unsigned long long)z->ok,
                (unsigned long long)z->failures, (long long)z->at_ns, z->tolerance,
                (long long)z->window_ns, mob__sizing_basis_names[r->sizing_basis]);
    fprintf(f, ",\n\"latency\":");
    json_hist(f, r->all);
    fprintf(f, ",\n\"scenarios\":[");
    for (int i = 0; i < r->nscen; i++) {
        const struct mob__sstats *s = &r->scen[i];
        fprintf(f, "%s\n{\"name\":", i ? "," : "");
        json_str(f, s->name);
        fprintf(f, ",\"ok\":%llu,\"cut\":%llu,\"fail\":", (unsigned long long)s->ok,
                (unsigned long long)s->cut);
        json_fail(f, s->fail, 0);
        fprintf(f, ",\"latency\":");
        json_hist(f, s->hist);
        fprintf(f, ",\"timeline\":[");
        for (int k = 0; k < s->ntl; k++)
            fprintf(f, "%s[%llu,%llu]", k ? "," : "", (unsigned long long)s->tl[2 * k],
                    (unsigned long long)s->tl[2 * k + 1]);
        fprintf(f, "]}");
    }
    fprintf(f, "],\n\"spans\":[");
    for (int i = 0; i < r->nspans; i++) {
        const struct mob__sstats *s = &r->spans[i];
        fprintf(f, "%s\n{\"name\":", i ? "," : "");
        json_str(f, s->name);
        fprintf(f, ",\"ok\":%llu,\"fail\":", (unsigned long long)s->ok);
        json_fail(f, s->fail, 0);
        fprintf(f, ",\"latency\":");
        json_hist(f, s->hist);
        fputc('}', f);
    }
    fprintf(f, "],\n\"messages\":{\"dropped\":%llu,\"last\":[",
            (unsigned long long)r->msgs_dropped);
    for (int i = 0; i < r->nmsgs; i++) {
        fprintf(f, "%s\n{\"t_ms\":%lld,\"bot\":%d,\"text\":", i ? "," : "",
                (long long)r->msgs[i].t_ms, r->msgs[i].bot);
        json_str(f, r->msgs[i].text);
        fputc('}', f);
    }
    fprintf(f, "]},\n\"timeline\":[");
    for (int i = 0; i < r->nsecs; i++) {
        const struct mob__second *s = &r->secs[i];
        fprintf(f, "%s\n{\"ok\":%llu,\"failures\":%llu,\"sum_ns\":%.17g,\"p50_ns\":%lld,"
                   "\"p99_ns\":%lld,\"max_ns\":%lld",
                i ? "," : "", (unsigned long long)s->ok, (unsigned long long)s->fail, s->sum_ns,
                (long long)s->p50, (long long)s->p99, (long long)s->max);
        /* The second's latencies in coarse buckets [lowest ns, count], so that merged reports
         * get true per-second percentiles (stats.c). */
        if (s->ncb >= 0) {
            fprintf(f, ",\"hist\":[");
            for (int k = 0; k < s->ncb; k++)
                fprintf(f, "%s[%lld,%llu]", k ? "," : "", (long long)s->cb[k].lowest,
                        (unsigned long long)s->cb[k].count);
            fputc(']', f);
        }
        if (s->bots >= 0)
            fprintf(f, ",\"bots\":%d", s->bots);
        /* Present only when known, so that a reader tells "none" from "not recorded". */
        if (s->byclass) {
            fprintf(f, ",\"fail\":");
            json_fail(f, s->f, 1);
        }
        fputc('}', f);
    }
    fprintf(f, "]}\n");
}

static void json_write_cb(FILE *f, const void *r)
{
    mob__result_json_write(r, f);
}

int mob_result_write_json(const mob_result *r, const char *path)
{
    return mob_outfile_write(path, json_write_cb, r);
}
