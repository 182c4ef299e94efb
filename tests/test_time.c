/* SPDX-License-Identifier: MIT */
/* test_time.c: sleeps and deadlines on the real clock, the virtual clock, and generators. */
#include <criterion/criterion.h>
#include <errno.h>

#include "helpers.h"
#include "mob.h"

/* ---- real clock --------------------------------------------------------------------------- */

static intptr_t sleep_arg_ns(mob_bot *self, void *arg)
{
    int64_t t0 = mob_clock_ns();
    int rc = mob_sleep(self, (int64_t)(intptr_t)arg);
    cr_expect_eq(rc, 0);
    return (intptr_t)(mob_clock_ns() - t0);
}

Test(time, sleep_lasts_at_least_its_duration_and_not_much_more, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *b = mob_spawn(loop, sleep_arg_ns, (void *)(intptr_t)(20 * MOB_NS_PER_MS));
    cr_assert_eq(mob_loop_run(loop), 0);
    TIME_EXPECT((int64_t)mob_bot_result(b), 20 * MOB_NS_PER_MS, 15);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static int wake_order[8], nwoke;

static intptr_t sleep_and_record(mob_bot *self, void *arg)
{
    mob_sleep_until(self, (int64_t)(intptr_t)arg);
    wake_order[nwoke++] = mob_bot_id(self);
    return 0;
}

Test(time, sleepers_wake_in_deadline_order_on_the_real_clock, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int64_t now = mob_now(loop);
    int64_t ms[] = {9, 3, 6, 1};
    nwoke = 0;
    for (int i = 0; i < 4; i++)
        mob_spawn(loop, sleep_and_record, (void *)(intptr_t)(now + ms[i] * MOB_NS_PER_MS));
    cr_assert_eq(mob_loop_run(loop), 0);
    int expect[] = {3, 1, 2, 0};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(wake_order[i], expect[i]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t sleep_in_the_past(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_sleep_until(self, mob_now(mob_bot_loop(self)) - MOB_NS_PER_SEC);
}

Test(time, a_deadline_in_the_past_does_not_block, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *b = mob_spawn(loop, sleep_in_the_past, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_bot_result(b), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- virtual clock ------------------------------------------------------------------------ */

Test(time, virtual_clock_jumps_to_deadlines_so_hours_take_microseconds, .timeout = 5)
{
    mob_loop_options lo = {.virtual_clock = 1, .virtual_start = 1000};
    mob_loop *loop = mob_loop_new(&lo);
    int64_t hours[] = {3, 1, 2};
    nwoke = 0;
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, sleep_and_record,
                  (void *)(intptr_t)(1000 + hours[i] * 3600 * MOB_NS_PER_SEC));
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_lt(mob_clock_ns() - t0, 500 * MOB_NS_PER_MS);
    cr_assert_eq(mob_now(loop), 1000 + 3 * 3600 * MOB_NS_PER_SEC);
    cr_assert_eq(wake_order[0], 1);
    cr_assert_eq(wake_order[1], 2);
    cr_assert_eq(wake_order[2], 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(time, advancing_the_virtual_clock_wakes_due_sleepers_in_order, .timeout = 5)
{
    mob_loop_options lo = {.virtual_clock = 1};
    mob_loop *loop = mob_loop_new(&lo);
    nwoke = 0;
    mob_spawn(loop, sleep_and_record, (void *)(intptr_t)(50 * MOB_NS_PER_SEC));
    mob_spawn(loop, sleep_and_record, (void *)(intptr_t)(10 * MOB_NS_PER_SEC));
    mob_spawn(loop, sleep_and_record, (void *)(intptr_t)(900 * MOB_NS_PER_SEC));
    mob_loop_step(loop, 0); /* everyone parks */
    cr_assert_eq(nwoke, 0);
    cr_assert_eq(mob_clock_advance(loop, 60 * MOB_NS_PER_SEC), 0);
    mob_loop_step(loop, 0);
    cr_assert_eq(nwoke, 2, "the 10 s and 50 s sleepers woke, not the 900 s one");
    cr_assert_eq(wake_order[0], 1);
    cr_assert_eq(wake_order[1], 0);
    cr_assert_eq(mob_clock_advance(loop, -1), -EINVAL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(nwoke, 3);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(time, the_real_clock_cannot_be_advanced)
{
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_eq(mob_clock_advance(loop, 1), -EINVAL);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- generators --------------------------------------------------------------------------- */

static intptr_t count_to_arg(mob_bot *self, void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 1; i <= n; i++)
        if (mob_gen_yield(self, i * i) < 0)
            return -1;
    return 1000;
}

struct consume {
    mob_bot *gen;
    intptr_t values[8];
    int n, last_rc;
};

static intptr_t consumer(mob_bot *self, void *arg)
{
    struct consume *c = arg;
    intptr_t v;
    int rc;
    while ((rc = mob_gen_next(self, c->gen, &v)) == 1)
        c->values[c->n++] = v;
    c->last_rc = rc;
    return 0;
}

Test(gen, a_bot_pulls_values_from_a_generator_one_at_a_time, .timeout = 5)
{
    for (int mode = MOB_FREE; mode <= MOB_LOCKSTEP; mode++) {
        mob_loop_options lo = {.mode = mode};
        mob_loop *loop = mob_loop_new(&lo);
        struct consume c = {.gen = mob_gen_spawn(loop, count_to_arg, (void *)4)};
        mob_spawn(loop, consumer, &c);
        cr_assert_eq(mob_loop_run(loop), 0);
        cr_assert_eq(c.n, 4);
        for (int i = 0; i < 4; i++)
            cr_assert_eq(c.values[i], (i + 1) * (i + 1));
        cr_assert_eq(c.last_rc, 0);
        cr_assert_eq(mob_bot_result(c.gen), 1000, "the return value is not a yielded value");
        cr_assert_eq(mob_loop_free(loop), 0);
    }
}

Test(gen, the_host_pulls_values_too, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *g = mob_gen_spawn(loop, count_to_arg, (void *)3);
    intptr_t v, sum = 0;
    while (mob_gen_next(NULL, g, &v) == 1)
        sum += v;
    cr_assert_eq(sum, 1 + 4 + 9);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static int turns_after_cancel;

static intptr_t cancel_self_after_a_value(mob_bot *self, void *arg)
{
    intptr_t v;
    cr_expect_eq(mob_gen_next(self, arg, &v), 1); /* handed straight back by the generator */
    mob_cancel(self); /* it runs, so it is only flagged, not woken as if it still waited */
    for (int i = 0; i < 3; i++)
        turns_after_cancel += mob_yield(self) == -ECANCELED;
    return 0;
}

static intptr_t yield_thrice(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    return 0;
}

/* A generator hands its value by switching straight to the parked consumer: from then on the
 * consumer is runnable, whatever state it waited in, or a wake-up would queue it twice. */
Test(gen, a_consumer_handed_a_value_is_runnable_again, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *g = mob_gen_spawn(loop, count_to_arg, (void *)4);
    mob_spawn(loop, cancel_self_after_a_value, g);
    mob_spawn(loop, yield_thrice, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(turns_after_cancel, 3);
    cr_assert_eq(mob_loop_free(loop), 1, "the generator was left with values to give");
}

static intptr_t sleepy_generator(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        mob_sleep(self, MOB_NS_PER_MS);
        mob_gen_yield(self, i);
    }
    return 0;
}

Test(gen, a_generator_may_sleep_between_values, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct consume c = {.gen = mob_gen_spawn(loop, sleepy_generator, NULL)};
    mob_spawn(loop, consumer, &c);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.values[2], 2);
    mob_bot *h = mob_gen_spawn(loop, sleepy_generator, NULL);
    intptr_t v;
    cr_assert_eq(mob_gen_next(NULL, h, &v), 1);
    cr_assert_eq(v, 0);
    cr_assert_eq(mob_loop_free(loop), 1, "an unfinished generator is a leak");
}

Test(gen, an_untouched_generator_does_not_keep_the_loop_running, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_gen_spawn(loop, count_to_arg, (void *)3);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 1);
}
