/* SPDX-License-Identifier: MIT */
/*
 * 10-kinds: two kinds of bot in one run (aiotest's user classes; mob_kind in mob_run.h).
 * Browsers (weight 3) only look at pages; buyers (weight 1) log in once in their own setup,
 * keep a basket in their own per-bot state, and add and pay. Over 8 bots the weights give 6
 * browsers and 2 buyers; each kind runs only its own scenarios, which the report names
 * KIND/SCENARIO. A fixed seed and 20 runs per bot make the output the same every time.
 *
 * With flags it is the whole `mob` command line, kinds included:
 *
 *     build/examples/10-kinds -w 100 -d 10s --kind buyer=2 --show-kinds
 *
 * Read next: include/mob_run.h (mob_kind), then src/run/kinds.c.
 */
#include <stdio.h>

#include "mob_run.h"

struct buyer {
    int logged_in;
    int basket;
};

static int browse(mob_worker *w)
{
    (void)w;
    return 0;
}

static int search(mob_worker *w)
{
    (void)w;
    return 0;
}

/* Only buyers have this state: the runner sizes it per kind. */
static int log_in(mob_worker *w)
{
    struct buyer *b = w->state;
    b->logged_in = 1;
    return 0;
}

static int add(mob_worker *w)
{
    struct buyer *b = w->state;
    b->basket++;
    return b->logged_in ? 0 : MOB_FAIL_OTHER;
}

/* An empty basket is a failure the report counts as "status". */
static int pay(mob_worker *w)
{
    struct buyer *b = w->state;
    if (b->basket == 0)
        return MOB_FAIL_STATUS;
    b->basket = 0;
    return 0;
}

static const mob_scenario browsing[] = {
    {"browse", browse, 4, 0},
    {"search", search, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_scenario buying[] = {
    {"add", add, 2, 0},
    {"pay", pay, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_kind kinds[] = {
    {.name = "browser", .weight = 3, .scenarios = browsing},
    {.name = "buyer", .weight = 1, .scenarios = buying, .bot_setup = log_in,
     .state_size = sizeof(struct buyer)},
    {.name = NULL},
};

static const mob_suite suite = {
    .name = "shop",
    .kinds = kinds,
};

int main(int argc, char **argv)
{
    if (argc > 1)
        return mob_main(argc, argv, &suite);

    mob_options o;
    mob_options_init(&o);
    o.bots = 8;
    o.max_runs = 20;
    o.duration_ns = 0; /* no deadline: every bot does its 20 runs */
    o.seed = 2017;
    o.quiet = 1;
    mob_result *r;
    if (mob_run_suite(&suite, &o, &r) != 0)
        return 1;
    mob_kind_stats k;
    for (int i = 0; mob_result_kind(r, i, &k) == 0; i++)
        printf("kind %-8s weight %d  bots %llu\n", k.name, k.weight,
               (unsigned long long)k.bots);
    mob_scenario_stats st;
    for (int i = 0; mob_result_scenario(r, i, &st) == 0; i++)
        printf("%-15s ok %4llu  failed %3llu\n", st.name, (unsigned long long)st.ok,
               (unsigned long long)st.failures);
    mob_result_free(r);
    return 0;
}
