/* SPDX-License-Identifier: MIT */
/*
 * 08-scenarios: a load test in C (mob_run.h). Three named scenarios with weights, as molotov's
 * @scenario(weight) does; per-bot state on the bot's stack; a run of 4 bots x 250 runs with a
 * fixed seed, so the picks (and this program's output) are the same every time.
 *
 * Run it with flags and it becomes the whole `mob` command line for these scenarios:
 *
 *     build/examples/08-scenarios -w 100 -d 10s --json out.json
 *
 * Read next: include/mob_run.h, then src/run/runner.c.
 */
#include <stdio.h>

#include "mob_run.h"

struct shopper {
    int basket; /* items in this bot's basket */
};

/* Weight 6: look at a page. */
static int browse(mob_worker *w)
{
    (void)w;
    return 0;
}

/* Weight 3: put something in the basket. */
static int add(mob_worker *w)
{
    struct shopper *s = w->state;
    s->basket++;
    return 0;
}

/* Weight 1: pay; an empty basket is a failure the report counts as "status". */
static int buy(mob_worker *w)
{
    struct shopper *s = w->state;
    if (s->basket == 0)
        return MOB_FAIL_STATUS;
    s->basket = 0;
    return 0;
}

static const mob_scenario shop[] = {
    {"browse", browse, 6, 0},
    {"add", add, 3, 0},
    {"buy", buy, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_suite suite = {
    .name = "shop",
    .scenarios = shop,
    .state_size = sizeof(struct shopper),
};

int main(int argc, char **argv)
{
    if (argc > 1)
        return mob_main(argc, argv, &suite);

    mob_options o;
    mob_options_init(&o);
    o.bots = 4;
    o.max_runs = 250;
    o.duration_ns = 0; /* no deadline: every bot does its 250 runs */
    o.seed = 2017;
    o.quiet = 1;
    mob_result *r;
    if (mob_run_suite(&suite, &o, &r) != 0)
        return 1;
    mob_scenario_stats st;
    for (int i = 0; mob_result_scenario(r, i, &st) == 0; i++)
        printf("%-7s ok %4llu  failed %3llu\n", st.name, (unsigned long long)st.ok,
               (unsigned long long)st.failures);
    mob_totals t;
    mob_result_totals(r, &t);
    printf("SUCCESSES: %llu | FAILURES: %llu\n", (unsigned long long)t.ok,
           (unsigned long long)t.failures);
    mob_result_free(r);
    return 0;
}
