/* SPDX-License-Identifier: MIT */
/* test_bot.c: spawn, yield, join, cancel, cleanup lists, ids, mob_run_bots and the leak check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>

#include "helpers.h"
#include "mob.h"

/* ---- spawn and ids ------------------------------------------------------------------------ */

static intptr_t return_id_plus_one(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_bot_id(self) + 1;
}

Test(bot, ids_are_dense_in_spawn_order_and_results_are_kept, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(mob_bot_id(mob_spawn(loop, return_id_plus_one, NULL)), i);
    cr_assert_eq(mob_bot_count(loop), 5);
    cr_assert_eq(mob_loop_run(loop), 0);
    for (int i = 0; i < 5; i++) {
        cr_assert(mob_bot_done(mob_bot_get(loop, i)));
        cr_assert_eq(mob_bot_result(mob_bot_get(loop, i)), i + 1);
    }
    cr_assert_null(mob_bot_get(loop, 5));
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t spawn_children(mob_bot *self, void *arg)
{
    int *order = arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_bot *a = mob_spawn(loop, return_id_plus_one, NULL);
    mob_bot *b = mob_spawn(loop, return_id_plus_one, NULL);
    cr_expect(!mob_bot_done(a) && !mob_bot_done(b), "children must not run before a yield");
    cr_expect_eq(mob_join_children(self, MOB_FOREVER), 0);
    cr_expect(mob_bot_done(a) && mob_bot_done(b));
    intptr_t r = 0;
    cr_expect_eq(mob_join(self, a, &r, MOB_FOREVER), 0);
    *order = (int)r;
    return 7;
}

static intptr_t return_zero(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return 0;
}

Test(bot, every_bot_starts_on_a_cache_line, .timeout = 5)
{
    /* Its hot fields (context, queue link, state, wait record) fill its first 64 bytes; a bot
     * straddling two lines costs a second miss every time it is woken. Two chunks' worth. */
    mob_loop *loop = mob_loop_new(NULL);
    for (int i = 0; i < 2100; i++) {
        mob_bot *b = mob_spawn(loop, return_zero, NULL);
        cr_assert_not_null(b);
        cr_assert_eq((uintptr_t)b % 64, 0, "bot %d at %p", i, (void *)b);
    }
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(bot, a_bot_spawns_children_and_waits_for_all_of_them, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int r = -1;
    mob_spawn(loop, spawn_children, &r);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(r, 2, "joining a finished child gives its result (id 1 + 1)");
    cr_assert_eq(mob_bot_count(loop), 3);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t user_pointer(mob_bot *self, void *arg)
{
    (void)arg;
    return (intptr_t)mob_bot_user(self);
}

Test(bot, spawn_options_set_the_user_pointer_and_stack_size, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn_options o = {.stack_size = 256 * 1024, .user = (void *)42};
    mob_bot *b = mob_spawn_ex(loop, user_pointer, NULL, &o);
    cr_assert_not_null(b);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_bot_result(b), 42);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- join --------------------------------------------------------------------------------- */

static intptr_t sleep_then_return(mob_bot *self, void *arg)
{
    mob_sleep(self, (int64_t)(intptr_t)arg);
    return 99;
}

struct join_obs {
    mob_bot *target;
    int rc;
    intptr_t result;
};

static intptr_t joiner(mob_bot *self, void *arg)
{
    struct join_obs *o = arg;
    o->rc = mob_join(self, o->target, &o->result, MOB_FOREVER);
    return 0;
}

Test(bot, many_bots_join_the_same_target_and_all_see_its_result, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *t = mob_spawn(loop, sleep_then_return, (void *)(intptr_t)(2 * MOB_NS_PER_MS));
    struct join_obs obs[3];
    for (int i = 0; i < 3; i++) {
        obs[i] = (struct join_obs){t, -1, 0};
        mob_spawn(loop, joiner, &obs[i]);
    }
    cr_assert_eq(mob_loop_run(loop), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(obs[i].rc, 0);
        cr_assert_eq(obs[i].result, 99);
    }
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t join_with_deadline(mob_bot *self, void *arg)
{
    struct join_obs *o = arg;
    o->rc = mob_join(self, o->target, &o->result, mob_now(mob_bot_loop(self)) + MOB_NS_PER_MS);
    return 0;
}

Test(bot, join_times_out_and_leaves_the_target_running, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *t = mob_spawn(loop, sleep_then_return, (void *)(intptr_t)(30 * MOB_NS_PER_MS));
    struct join_obs o = {t, 1, 0};
    mob_spawn(loop, join_with_deadline, &o);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(o.rc, -ETIMEDOUT);
    cr_assert(mob_bot_done(t), "the target still ran to its end");
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t join_self(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_join(self, self, NULL, MOB_FOREVER);
}

Test(bot, joining_itself_is_edeadlk, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *b = mob_spawn(loop, join_self, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_bot_result(b), -EDEADLK);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- cancel ------------------------------------------------------------------------------- */

struct cancel_obs {
    int first, second, yield_rc;
    int cleaned;
};

static void mark_cleaned(void *ud) { ((struct cancel_obs *)ud)->cleaned++; }

static intptr_t cancellable_sleeper(mob_bot *self, void *arg)
{
    struct cancel_obs *o = arg;
    mob_defer(self, mark_cleaned, o);
    o->first = mob_sleep(self, 10 * MOB_NS_PER_SEC);
    o->second = mob_sleep(self, MOB_NS_PER_MS); /* cancellation is sticky */
    o->yield_rc = mob_yield(self);
    return 0;
}

static intptr_t canceller(mob_bot *self, void *arg)
{
    mob_bot *victim = arg;
    mob_sleep(self, MOB_NS_PER_MS);
    cr_expect_eq(mob_cancel(victim), 0);
    cr_expect_eq(mob_cancel(victim), 0, "cancel is idempotent");
    return 0;
}

Test(bot, cancel_makes_every_blocking_call_return_ecanceled_and_runs_cleanups, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct cancel_obs o = {1, 1, 1, 0};
    mob_bot *v = mob_spawn(loop, cancellable_sleeper, &o);
    mob_spawn(loop, canceller, v);
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_lt(mob_clock_ns() - t0, MOB_NS_PER_SEC, "the 10 s sleep was interrupted");
    cr_assert_eq(o.first, -ECANCELED);
    cr_assert_eq(o.second, -ECANCELED);
    cr_assert_eq(o.yield_rc, -ECANCELED);
    cr_assert_eq(o.cleaned, 1);
    cr_assert(mob_cancelled(v));
    cr_assert_eq(mob_cancel(v), -ESRCH, "a finished bot cannot be cancelled");
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t cancel_self(mob_bot *self, void *arg)
{
    (void)arg;
    mob_cancel(self);
    return mob_sleep(self, MOB_NS_PER_SEC);
}

Test(bot, a_bot_may_cancel_itself, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *b = mob_spawn(loop, cancel_self, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_bot_result(b), -ECANCELED);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- cleanup lists ------------------------------------------------------------------------ */

static int cleanup_order[4], cleanup_n;
static void push_order(void *ud) { cleanup_order[cleanup_n++] = (int)(intptr_t)ud; }

static intptr_t three_cleanups(mob_bot *self, void *arg)
{
    (void)arg;
    mob_defer(self, push_order, (void *)1);
    int id = mob_defer(self, push_order, (void *)2);
    mob_defer(self, push_order, (void *)3);
    cr_expect_eq(mob_defer_cancel(self, id), 0);
    cr_expect_eq(mob_defer_cancel(self, id), -ENOENT);
    return 0;
}

Test(bot, cleanups_run_in_reverse_order_and_cancelled_ones_do_not_run, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    cleanup_n = 0;
    mob_spawn(loop, three_cleanups, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(cleanup_n, 2);
    cr_assert_eq(cleanup_order[0], 3);
    cr_assert_eq(cleanup_order[1], 1);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- mob_run_bots ------------------------------------------------------------------------- */

static intptr_t yield_then_id_plus_one(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    return mob_bot_id(self) + 1;
}

Test(bot, mob_run_reduces_results_like_testtoolkit_result_wrapper, .timeout = 5)
{
    for (int mode = MOB_FREE; mode <= MOB_LOCKSTEP; mode++) {
        int rc = 1;
        mob_run_bots_options o = {.mode = mode, .reduce = mob_reduce_sum};
        cr_assert_eq(mob_run_bots(4, yield_then_id_plus_one, &o, &rc), 10);
        cr_assert_eq(rc, 0);
        o.reduce = mob_reduce_product;
        o.init = 1;
        cr_assert_eq(mob_run_bots(4, yield_then_id_plus_one, &o, &rc), 24);
    }
}

static void *id_times_ten(int id, void *ud)
{
    (void)ud;
    return (void *)(intptr_t)(id * 10);
}

static intptr_t return_arg(mob_bot *self, void *arg)
{
    (void)self;
    return (intptr_t)arg;
}

Test(bot, the_factory_decides_what_each_bot_receives, .timeout = 5)
{
    mob_run_bots_options o = {.factory = id_times_ten, .reduce = mob_reduce_max};
    cr_assert_eq(mob_run_bots(5, return_arg, &o, NULL), 40);
}

/* ---- scale -------------------------------------------------------------------------------- */

static intptr_t yield_three_times(mob_bot *self, void *arg)
{
    int *count = arg;
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    (*count)++;
    return 0;
}

Test(bot, a_hundred_thousand_bots_run_in_one_loop, .timeout = 30)
{
    mob_loop_options lo = {.stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&lo);
    int count = 0;
    for (int i = 0; i < 100000; i++)
        cr_assert_not_null(mob_spawn(loop, yield_three_times, &count), "spawn %d", i);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(count, 100000);
    mob_loop_stats st;
    mob_loop_get_stats(loop, &st);
    cr_assert_eq(st.bots_spawned, 100000);
    cr_assert_eq(st.bots_alive, 0);
    cr_assert_geq(st.switches, 400000);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- leak check --------------------------------------------------------------------------- */

static intptr_t sleep_long(mob_bot *self, void *arg)
{
    int *unwound = arg;
    int rc = mob_sleep(self, 3600 * MOB_NS_PER_SEC);
    if (rc == -ECANCELED)
        (*unwound)++;
    return 0;
}

static intptr_t stop_after_a_while(mob_bot *self, void *arg)
{
    (void)arg;
    mob_sleep(self, MOB_NS_PER_MS);
    mob_loop_stop(mob_bot_loop(self));
    return 0;
}

Test(bot, leak_check_reports_live_bots_and_pending_timers_then_cleans_up, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int unwound = 0;
    mob_spawn(loop, sleep_long, &unwound);
    mob_spawn(loop, sleep_long, &unwound);
    mob_spawn(loop, stop_after_a_while, NULL);
    cr_assert_eq(mob_loop_run(loop), 1, "stopped early");
    cr_assert_eq(mob_loop_check(loop, MOB_CHECK_TIMERS, 0), 2);
    cr_assert_eq(unwound, 2, "leaked bots were cancelled and ran their unwinding");
    cr_assert_eq(mob_loop_check(loop, MOB_CHECK_ALL, 0), 0, "nothing left after the cleanup");
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(bot, loop_free_counts_leaks, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int unwound = 0;
    mob_spawn(loop, sleep_long, &unwound);
    mob_spawn(loop, stop_after_a_while, NULL);
    mob_loop_run(loop);
    cr_assert_eq(mob_loop_free(loop), 1);
    cr_assert_eq(unwound, 1);
}

static intptr_t wait_forever(mob_bot *self, void *arg)
{
    (void)arg;
    mob_sleep(self, MOB_FOREVER);
    return 0;
}

Test(bot, run_reports_a_deadlock_instead_of_hanging, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, wait_forever, NULL);
    cr_assert_eq(mob_loop_run(loop), -EDEADLK);
    cr_assert_eq(mob_loop_free(loop), 1);
}

/* ---- stacks ------------------------------------------------------------------------------- */

static uintptr_t stack_seen[2];

static intptr_t note_stack(mob_bot *self, void *arg)
{
    (void)self;
    volatile char here = 0;
    stack_seen[(intptr_t)arg] = (uintptr_t)&here;
    return here;
}

static intptr_t spawn_one_after_the_other(mob_bot *self, void *arg)
{
    (void)arg;
    for (intptr_t i = 0; i < 2; i++) {
        mob_bot *child = mob_spawn(mob_bot_loop(self), note_stack, (void *)i);
        cr_expect_eq(mob_join(self, child, NULL, MOB_FOREVER), 0);
    }
    return 0;
}

/* A returning bot cannot give back the stack it runs on; the next spawn does, before it
 * takes one, so a bot spawned right after another returned runs on that warm stack. */
Test(bot, a_stack_given_up_in_a_step_is_the_next_spawns, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, spawn_one_after_the_other, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_neq(stack_seen[0], 0);
    cr_assert_eq(stack_seen[1], stack_seen[0]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- contracts ---------------------------------------------------------------------------- */

static mob_bot *other_bot;

static intptr_t yield_for_another(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    mob_yield(other_bot);
    return 0;
}

Test(bot, yielding_on_behalf_of_another_bot_aborts, .signal = SIGABRT, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    other_bot = mob_spawn(loop, return_id_plus_one, NULL);
    mob_spawn(loop, yield_for_another, NULL);
    mob_loop_run(loop);
}

Test(bot, yielding_from_the_host_aborts, .signal = SIGABRT, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *bot = mob_spawn(loop, return_id_plus_one, NULL);
    mob_yield(bot); /* no step is running: the abort names the contract, not a NULL loop */
}

static intptr_t run_inside(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop_run(mob_bot_loop(self));
    return 0;
}

Test(bot, running_the_loop_from_a_bot_aborts, .signal = SIGABRT, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, run_inside, NULL);
    mob_loop_run(loop);
}

Test(bot, errors_have_names_and_messages)
{
    cr_assert_str_eq(mob_errname(-ETIMEDOUT), "ETIMEDOUT");
    cr_assert_str_eq(mob_errname(-ECANCELED), "ECANCELED");
    cr_assert_str_eq(mob_errname(3), "OK");
    cr_assert_not_null(mob_strerror(-ECONNREFUSED));
    cr_assert_str_neq(mob_version(), "");
}
