/* SPDX-License-Identifier: MIT */
/*
 * csv.c: `--csv PREFIX` (and `mob report ... --csv`, `mob view --csv`): Locust's three CSV
 * files, so the spreadsheets and scripts people keep for Locust read mob's runs:
 *
 *   PREFIX_stats.csv          a row per scenario and an "Aggregated" row: counts, latency
 *                             (ms: median, average, min, max, 50% ... 100%), requests/s
 *   PREFIX_stats_history.csv  a row per second of the timeline: requests/s, failures/s and
 *                             that second's percentiles, then the running totals
 *   PREFIX_failures.csv       a row per scenario and failure class that happened
 *
 * Differences from Locust, stated in README: "Type" is the suite's name (Locust: the HTTP
 * method); the history's Timestamp counts seconds from the run's start (a result keeps no
 * wall-clock start); its User Count is the most bots at once; content size is 0 (not kept).
 * Each file goes through mob_outfile_write (outfile.c).
 */
#include <errno.h>
#include <string.h>

#include "run.h"

static const double pcts[] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
#define NPCT 11

static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static void stats_row(FILE *f, const char *type, const char *name, uint64_t ok, uint64_t fails,
                      const mob_hist *h, double secs)
{
    csv_str(f, type);
    fputc(',', f);
    csv_str(f, name);
    int64_t v[NPCT];
    mob_hist_percentiles(h, pcts, v, NPCT);
    fprintf(f, ",%llu,%llu,%.3f,%.3f,%.3f,%.3f,0,%.3f,%.3f", (unsigned long long)(ok + fails),
            (unsigned long long)fails, ms(v[0]), mob_hist_mean(h) / 1e6, ms(mob_hist_min(h)),
            ms(mob_hist_max(h)), secs > 0 ? (double)(ok + fails) / secs : 0.0,
            secs > 0 ? (double)fails / secs : 0.0);
    for (int i = 0; i < NPCT; i++)
        fprintf(f, ",%.3f", ms(v[i]));
    fputc('\n', f);
}

static void write_stats(FILE *f, const void *ud)
{
    const mob_result *r = ud;
    double secs = (double)r->t.elapsed_ns / 1e9;
    fputs("\"Type\",\"Name\",\"Request Count\",\"Failure Count\",\"Median Response Time\","
          "\"Average Response Time\",\"Min Response Time\",\"Max Response Time\","
          "\"Average Content Size\",\"Requests/s\",\"Failures/s\",\"50%\",\"66%\",\"75%\","
          "\"80%\",\"90%\",\"95%\",\"98%\",\"99%\",\"99.9%\",\"99.99%\",\"100%\"\n",
          f);
    for (int i = 0; i < r->nscen; i++) {
        uint64_t fails = 0;
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            fails += r->scen[i].fail[c];
        stats_row(f, r->suite, r->scen[i].name, r->scen[i].ok, fails, r->scen[i].hist, secs);
    }
    stats_row(f, "", "Aggregated", r->t.ok, r->t.failures, r->all, secs);
}

static void write_history(FILE *f, const void *ud)
{
    const mob_result *r = ud;
    fputs("\"Timestamp\",\"User Count\",\"Type\",\"Name\",\"Requests/s\",\"Failures/s\","
          "\"50%\",\"66%\",\"75%\",\"80%\",\"90%\",\"95%\",\"98%\",\"99%\",\"99.9%\",\"99.99%\","
          "\"100%\",\"Total Request Count\",\"Total Failure Count\"\n",
          f);
    uint64_t total = 0, fails = 0;
    for (int i = 0; i < r->nsecs; i++) {
        const struct mob__second *s = &r->secs[i];
        total += s->ok + s->fail;
        fails += s->fail;
        fprintf(f, "%d,%d,\"\",\"Aggregated\",%llu,%llu", i + 1, r->t.bots_max,
                (unsigned long long)(s->ok + s->fail), (unsigned long long)s->fail);
        int64_t v[NPCT];
        if (s->ncb > 0)
            mob__coarse_percentiles(s->cb, s->ncb, s->max, pcts, v, NPCT);
        for (int k = 0; k < NPCT; k++) {
            if (s->ncb > 0)
                fprintf(f, ",%.3f", ms(v[k]));
            else
                fputs(",\"N/A\"", f);
        }
        fprintf(f, ",%llu,%llu\n", (unsigned long long)total, (unsigned long long)fails);
    }
}

static void write_failures(FILE *f, const void *ud)
{
    const mob_result *r = ud;
    fputs("\"Method\",\"Name\",\"Error\",\"Occurrences\"\n", f);
    for (int i = 0; i < r->nscen; i++) {
        for (int c = 1; c < MOB_FAIL_NCLASS; c++) {
            if (!r->scen[i].fail[c])
                continue;
            csv_str(f, r->suite);
            fputc(',', f);
            csv_str(f, r->scen[i].name);
            fputc(',', f);
            csv_str(f, mob_fail_name(c));
            fprintf(f, ",%llu\n", (unsigned long long)r->scen[i].fail[c]);
        }
    }
}

int mob_result_write_csv(const mob_result *r, const char *prefix)
{
    static const char *const suffix[3] = {"_stats.csv", "_stats_history.csv",
                                          "_failures.csv"};
    void (*const fn[3])(FILE *, const void *) = {write_stats, write_history, write_failures};
    size_t n = strlen(prefix) + 32;
    char *path = MOB_MALLOC(n);
    if (!path)
        return -ENOMEM;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        snprintf(path, n, "%s%s", prefix, suffix[i]);
        rc = mob_outfile_write(path, fn[i], r);
    }
    MOB_FREE(path);
    return rc;
}
