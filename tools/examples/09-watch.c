/* SPDX-License-Identifier: MIT */
/*
 * 09-watch: what a bot tells the people watching. Spans (mob_span_enter / mob_span_exit,
 * nestable) time the parts of a scenario and get their own counts and latency histograms in
 * every report; mob_info sends a line to the live views and the reports (rate-limited:
 * 20 a second per process). Without flags it runs 4 bots x 50 runs with a fixed seed and
 * prints the span counts. With flags it is the whole `mob` command line; watch it live:
 *
 *     build/examples/09-watch -w 200 -d 30s --dashboard 8089     # then open 127.0.0.1:8089
 *
 * Read next: src/run/span.c, then src/run/watch.c.
 */
#include <stdio.h>

#include "mob_run.h"

/* Think for 0 to max_ms milliseconds, as a server would take to answer. */
static int work(mob_worker *w, int max_ms)
{
    int64_t ns = (int64_t)(mob_worker_rand(w) % (uint64_t)(max_ms + 1)) * MOB_NS_PER_MS;
    return ns ? mob_sleep(w->bot, ns) : 0;
}

/* A page: a database query, then rendering, each a span inside the "page" span. */
static int browse(mob_worker *w)
{
    mob_span_enter(w, "page");
    mob_span_enter(w, "db");
    int rc = work(w, 3);
    mob_span_exit(w, rc);
    mob_span_enter(w, "render");
    rc = rc ? rc : work(w, 1);
    mob_span_exit(w, rc);
    mob_span_exit(w, rc);
    return rc;
}

/* Paying: one in five is declined, which the reports count as a "status" failure. */
static int buy(mob_worker *w)
{
    mob_span_enter(w, "payment");
    int rc = work(w, 5);
    int declined = rc == 0 && mob_worker_rand(w) % 5 == 0;
    mob_span_exit(w, declined ? MOB_FAIL_STATUS : rc);
    if (declined)
        mob_info(w, "bot %d: card declined on run %lld", w->id, (long long)w->step);
    return declined ? MOB_FAIL_STATUS : rc;
}

static const mob_scenario shop[] = {
    {"browse", browse, 4, 0},
    {"buy", buy, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_suite suite = {.name = "watched-shop", .scenarios = shop};

int main(int argc, char **argv)
{
    if (argc > 1)
        return mob_main(argc, argv, &suite);

    mob_options o;
    mob_options_init(&o);
    o.bots = 4;
    o.max_runs = 50;
    o.duration_ns = 0;
    o.seed = 2017;
    o.quiet = 1;
    mob_result *r;
    if (mob_run_suite(&suite, &o, &r) != 0)
        return 1;
    mob_scenario_stats st;
    for (int i = 0; mob_result_span(r, i, &st) == 0; i++)
        printf("span %-8s ok %4llu  failed %3llu\n", st.name, (unsigned long long)st.ok,
               (unsigned long long)st.failures);
    mob_result_free(r);
    return 0;
}
