/* SPDX-License-Identifier: MIT */
/*
 * test_run.h: what the load-layer tests (test_run.c, test_run_procs.c) share: quiet options,
 * two scenario functions, and the forked test server of test_run_server.c.
 */
#ifndef MOB_TEST_RUN_H
#define MOB_TEST_RUN_H

#include <criterion/criterion.h>
#include <sys/types.h>

#include "mob_run.h"

#define MS MOB_NS_PER_MS

/* A server in a forked child on 127.0.0.1 (test_run_server.c): answers after delay_ns, and
 * stalls for stall_len_ns at stall_at_ns. */
pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

static inline mob_options quiet_options(void)
{
    mob_options o;
    mob_options_init(&o);
    o.quiet = 1;
    o.live = 0;
    o.seed = 42;
    return o;
}

/* Runs the built-in suite of url (mob_builtin_suite) with these listeners (mob_events.h),
 * bots x runs with a 2 s timeout, quietly; returns the run's totals (helpers.c). */
struct mob_listener;
mob_totals test_run_builtin(const char *url, const struct mob_listener *ls, int bots, int runs);

static inline int ok_fn(mob_worker *w)
{
    (void)w;
    return 0;
}

static inline int fail_every_5th(mob_worker *w)
{
    return w->step % 5 == 4 ? MOB_FAIL_STATUS : 0;
}

/* Runs s with o (asserted to run), its totals in *t. Host side only. */
static inline mob_result *run_totals(const mob_suite *s, const mob_options *o, mob_totals *t)
{
    mob_result *r;
    cr_assert_eq(mob_run_suite(s, o, &r), 0);
    mob_result_totals(r, t);
    return r;
}

/* The same for a suite of one scenario, "f", that runs fn. */
static inline mob_result *run_one(mob_scenario_fn fn, const mob_options *o, mob_totals *t)
{
    const mob_scenario sc[] = {{"f", fn, 1, 0}, {NULL, 0, 0, 0}};
    mob_suite s = {.scenarios = sc};
    return run_totals(&s, o, t);
}

#endif /* MOB_TEST_RUN_H */
