/* SPDX-License-Identifier: MIT */
/*
 * test_events_workers.c: molotov's current_workers event (src/run/events.c, sent by
 * src/run/runner.c): the live bot count at the start, then once a second, and 0 at the end,
 * however many bots come and go in between. The listener only records, on the bots' fibers;
 * the asserts come after the run.
 */
#include <criterion/criterion.h>

#include "mob_events.h"
#include "test_run.h"

static struct {
    int n;
    int value[64];
    int64_t at[64];
} said;

static int record(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ud;
    if (ev->kind == MOB_EV_CURRENT_WORKERS && said.n < 64) {
        said.value[said.n] = ev->workers;
        said.at[said.n++] = mob_clock_ns();
    }
    return 0;
}

static int nap(mob_worker *w)
{
    return mob_sleep(w->bot, 20 * MS);
}

Test(events_workers, a_ramp_of_200_bots_over_2_s_says_the_count_a_few_times_not_400,
     .timeout = 20)
{
    static const mob_scenario sc[] = {{"nap", nap, 1, 0}, {NULL, NULL, 0, 0}};
    static const mob_listener one[] = {{record, NULL, "record", 0}, {0}};
    mob_suite s = {.scenarios = sc, .listeners = one};
    mob_options o = quiet_options();
    o.bots = 200;
    o.ramp_up_ns = 2 * MOB_NS_PER_SEC;
    o.duration_ns = 2 * MOB_NS_PER_SEC;
    mob_result *r;
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    cr_assert_gt(t.ok, 1000, "the bots ran");
    /* The start, the tick at 1 s, perhaps the one at 2 s while runs in flight end, and the end;
     * a late tick caught up may add one. Every spawn and every end would be 400. */
    cr_assert_geq(said.n, 3, "start, 1 s, end: %d", said.n);
    cr_assert_leq(said.n, 5, "at most once a second, and the end: %d", said.n);
    cr_assert_lt(said.value[0], 20, "at the start, the first of the ramp: %d", said.value[0]);
    cr_assert_lt(said.at[0] - t0, 500 * MS);
    cr_assert_geq(said.value[1], 50, "about half the ramp at 1 s: %d", said.value[1]);
    cr_assert_leq(said.value[1], 150, "about half the ramp at 1 s: %d", said.value[1]);
    cr_assert_geq(said.at[1] - said.at[0], 900 * MS, "a second apart");
    cr_assert_eq(said.value[said.n - 1], 0, "0 once every bot ended");
    for (int i = 1; i + 1 < said.n; i++)
        cr_assert_geq(said.value[i], said.value[i - 1], "the ramp only goes up");
}
