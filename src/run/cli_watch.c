/* SPDX-License-Identifier: MIT */
/*
 * cli_watch.c: the flags of the live views and of many machines, parsed beside the others
 * (cli_parse.c asks here first): --dashboard, --report-to, --token, --statsd, --csv and
 * --index (or the JOB_COMPLETION_INDEX of a Kubernetes Indexed Job). What only makes sense
 * together is checked in mob__cli_watch_check: a listener beyond loopback needs a token.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "watch.h"

/* "I/N" with 0 <= I < N. */
static int parse_index(const char *s, int *index, int *n)
{
    char *e;
    long i = strtol(s, &e, 10);
    if (e == s || *e != '/')
        return -1;
    const char *p = e + 1;
    long k = strtol(p, &e, 10);
    if (e == p || *e || i < 0 || k < 1 || i >= k || k > 100000)
        return -1;
    *index = (int)i;
    *n = (int)k;
    return 0;
}

int mob__cli_watch_flag(int argc, char **argv, int *i, mob_options *o)
{
    static const char *const names[] = {"--dashboard", "--report-to", "--token", "--statsd",
                                        "--csv",       "--index"};
    for (int k = 0; k < 6; k++) {
        int missing = 0;
        const char *v = mob__cli_flag_value(argc, argv, i, NULL, names[k], &missing);
        if (!v && !missing)
            continue;
        char host[256];
        int port, bad = !v || !*v;
        if (!bad && k == 0)
            bad = mob__parse_hostport(v, host, sizeof host, &port) < 0;
        if (!bad && k == 1)
            bad = mob__parse_hostport(v, host, sizeof host, &port) < 0 || port == 0;
        if (!bad && k == 3)
            bad = strncmp(v, "udp://", 6) != 0 ||
                  mob__parse_hostport(v + 6, host, sizeof host, &port) < 0 || port == 0;
        if (!bad && k == 5)
            bad = parse_index(v, &o->index, &o->nindex) < 0;
        if (bad) {
            if (missing)
                mob__cli_usage_error("option '%s' needs a value", names[k]);
            else
                mob__cli_usage_error(k == 5   ? "bad value '%s' for --index (I/N, 0 <= I < N)"
                                     : k == 3 ? "bad value '%s' for --statsd (udp://HOST:PORT)"
                                              : "bad value '%s' (want [HOST:]PORT or a name)",
                                     v ? v : "");
            return MOB__EXIT_USAGE;
        }
        const char **dst[] = {&o->dashboard, &o->report_to, &o->token, &o->statsd,
                              &o->csv_prefix};
        if (k < 5)
            *dst[k] = v;
        return 0;
    }
    return -1;
}

int mob__cli_watch_check(mob_options *o)
{
    char host[256];
    int port;
    if (o->dashboard && mob__parse_hostport(o->dashboard, host, sizeof host, &port) == 0 &&
        !mob__host_is_loopback(host) && !o->token) {
        mob__cli_usage_error("--dashboard on %s (beyond loopback) needs --token", host);
        return MOB__EXIT_USAGE;
    }
    static const char *const csv[3] = {"_stats.csv", "_stats_history.csv", "_failures.csv"};
    for (int i = 0; o->csv_prefix && i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", o->csv_prefix, csv[i]);
        int rc = mob_outfile_check(path);
        if (rc < 0) {
            fprintf(stderr, "mob: cannot write %s: %s\n", path, mob_strerror(rc));
            return MOB__EXIT_USAGE;
        }
    }
    const char *job = getenv("JOB_COMPLETION_INDEX");
    if (o->nindex == 0 && job && *job) {
        /* A Kubernetes Indexed Job names the index; the total comes from the Job's spec. */
        const char *total = getenv("MOB_INDEX_TOTAL");
        char spec[64];
        snprintf(spec, sizeof spec, "%s/%s", job, total && *total ? total : "");
        if (parse_index(spec, &o->index, &o->nindex) < 0) {
            mob__cli_usage_error("JOB_COMPLETION_INDEX=%s needs MOB_INDEX_TOTAL (the Job's "
                                 "completions) or --index I/N",
                                 job);
            return MOB__EXIT_USAGE;
        }
    }
    return -1;
}
