/* SPDX-License-Identifier: MIT */
/*
 * test_sync.c: events and barriers (src/core/sync.c): set wakes every waiter, timeouts and
 * cancellation undo the wait, barriers release generation after generation and forget bots
 * that give up. Bots record into globals; the tests assert after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "mob.h"

static mob_loop *new_loop(int mode, int virtual_clock)
{
    mob_loop_options o = {.mode = mode, .virtual_clock = virtual_clock};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    return loop;
}

static void run_and_free(mob_loop *loop)
{
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- events ---------------------------------------------------------------------------------- */

static mob_event *ev;
static int ev_rc[8];
static char trail[32];
static int ntrail;

static intptr_t ev_waiter(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    ev_rc[me] = mob_event_wait(self, ev, MOB_FOREVER);
    trail[ntrail++] = (char)('0' + me);
    return 0;
}

static intptr_t ev_setter(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    trail[ntrail++] = 's';
    mob_event_set(ev);
    trail[ntrail++] = 'S'; /* set does not switch */
    return 0;
}

static void set_wakes_all(int mode)
{
    mob_loop *loop = new_loop(mode, 0);
    ev = mob_event_new(loop);
    cr_assert_not_null(ev);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, ev_waiter, NULL);
    mob_spawn(loop, ev_setter, NULL);
    run_and_free(loop);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ev_rc[i], 0);
    cr_assert_str_eq(trail, "sS012");
    cr_assert(mob_event_is_set(ev));
    mob_event_free(ev);
}

Test(event, set_wakes_every_waiter_lockstep, .timeout = 5)
{
    set_wakes_all(MOB_LOCKSTEP);
}

Test(event, set_wakes_every_waiter_free, .timeout = 5)
{
    set_wakes_all(MOB_FREE);
}

static int set_rc = 1, cleared_rc = 1;

static intptr_t checks_set_and_cleared(mob_bot *self, void *arg)
{
    (void)arg;
    mob_event_set(ev);
    set_rc = mob_event_wait(self, ev, MOB_NOW);
    mob_event_clear(ev);
    cleared_rc = mob_event_wait(self, ev, MOB_NOW);
    return 0;
}

Test(event, a_set_event_returns_at_once_and_clear_resets_it, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE, 0);
    ev = mob_event_new(loop);
    mob_spawn(loop, checks_set_and_cleared, NULL);
    run_and_free(loop);
    cr_assert_eq(set_rc, 0);
    cr_assert_eq(cleared_rc, -ETIMEDOUT);
    cr_assert_not(mob_event_is_set(ev));
    mob_event_free(ev);
}

static int64_t waited;

static intptr_t ev_timeout(mob_bot *self, void *arg)
{
    (void)arg;
    int64_t t0 = mob_now(mob_bot_loop(self));
    ev_rc[0] = mob_event_wait(self, ev, t0 + 60 * MOB_NS_PER_SEC);
    waited = mob_now(mob_bot_loop(self)) - t0;
    return 0;
}

static intptr_t sets_late(mob_bot *self, void *arg)
{
    (void)arg;
    mob_sleep(self, 120 * MOB_NS_PER_SEC);
    mob_event_set(ev); /* the timed-out bot is no longer on the wait list */
    return 0;
}

static void event_timeout(int mode)
{
    mob_loop *loop = new_loop(mode, 1);
    ev = mob_event_new(loop);
    mob_spawn(loop, ev_timeout, NULL);
    mob_spawn(loop, sets_late, NULL);
    run_and_free(loop);
    cr_assert_eq(ev_rc[0], -ETIMEDOUT);
    cr_assert_geq(waited, 60 * MOB_NS_PER_SEC);
    cr_assert_lt(waited, 120 * MOB_NS_PER_SEC, "woken by its deadline, not by the late set");
    mob_event_free(ev);
}

Test(event, wait_times_out_at_its_deadline_lockstep, .timeout = 5)
{
    event_timeout(MOB_LOCKSTEP);
}

Test(event, wait_times_out_at_its_deadline_free, .timeout = 5)
{
    event_timeout(MOB_FREE);
}

static intptr_t cancels_bot0(mob_bot *self, void *arg)
{
    mob_yield(self);
    mob_cancel(arg);
    return 0;
}

static void event_cancel(int mode)
{
    mob_loop *loop = new_loop(mode, 0);
    ev = mob_event_new(loop);
    mob_bot *w = mob_spawn(loop, ev_waiter, NULL);
    mob_spawn(loop, cancels_bot0, w);
    run_and_free(loop);
    cr_assert_eq(ev_rc[0], -ECANCELED);
    mob_event_free(ev); /* no waiter left: does not abort */
}

Test(event, cancel_while_waiting_returns_ecanceled_lockstep, .timeout = 5)
{
    event_cancel(MOB_LOCKSTEP);
}

Test(event, cancel_while_waiting_returns_ecanceled_free, .timeout = 5)
{
    event_cancel(MOB_FREE);
}

/* ---- barriers -------------------------------------------------------------------------------- */

static mob_barrier *bar;
static int bar_rc[8][4];
static int after_release[8][4];
static int arrivals;

/* Bot i arrives i yields late, three generations in a row; after each release, records how
 * many had arrived (all of them, or the barrier let someone through early). */
static intptr_t bar_bot(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    for (int gen = 0; gen < 3; gen++) {
        for (int i = 0; i < me; i++)
            mob_yield(self);
        arrivals++;
        bar_rc[me][gen] = mob_barrier_wait(self, bar, MOB_FOREVER);
        after_release[me][gen] = arrivals;
    }
    return 0;
}

static void barrier_generations(int mode)
{
    mob_loop *loop = new_loop(mode, 0);
    bar = mob_barrier_new(loop, 3);
    cr_assert_not_null(bar);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, bar_bot, NULL);
    run_and_free(loop);
    for (int gen = 0; gen < 3; gen++) {
        for (int b = 0; b < 3; b++) {
            cr_assert_eq(bar_rc[b][gen], b == 2 ? 1 : 0, "bot %d gen %d", b, gen);
            cr_assert_geq(after_release[b][gen], 3 * (gen + 1), "bot %d gen %d released early",
                          b, gen);
        }
    }
    mob_barrier_free(bar);
}

Test(barrier, releases_each_generation_and_returns_1_to_the_last_lockstep, .timeout = 5)
{
    barrier_generations(MOB_LOCKSTEP);
}

Test(barrier, releases_each_generation_and_returns_1_to_the_last_free, .timeout = 5)
{
    barrier_generations(MOB_FREE);
}

/* n = 2. Bot 0 arrives and gives up at 1 s; bot 1 arrives at 10 s, bot 2 at 20 s. Had bot 0
 * still counted, bot 1 would have been the last of two and gone through alone at 10 s. */
static intptr_t bar_gives_up(mob_bot *self, void *arg)
{
    (void)arg;
    int64_t now = mob_now(mob_bot_loop(self));
    bar_rc[0][0] = mob_barrier_wait(self, bar, now + MOB_NS_PER_SEC);
    return 0;
}

static intptr_t bar_late(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    mob_sleep(self, (int64_t)me * 10 * MOB_NS_PER_SEC);
    arrivals++;
    bar_rc[me][0] = mob_barrier_wait(self, bar, MOB_FOREVER);
    after_release[me][0] = arrivals;
    return 0;
}

static void barrier_timeout(int mode)
{
    mob_loop *loop = new_loop(mode, 1);
    bar = mob_barrier_new(loop, 2);
    mob_spawn(loop, bar_gives_up, NULL);
    mob_spawn(loop, bar_late, NULL);
    mob_spawn(loop, bar_late, NULL);
    run_and_free(loop);
    cr_assert_eq(bar_rc[0][0], -ETIMEDOUT);
    cr_assert_eq(bar_rc[1][0], 0);
    cr_assert_eq(after_release[1][0], 2, "bot 1 was released before bot 2 arrived");
    cr_assert_eq(bar_rc[2][0], 1);
    mob_barrier_free(bar);
}

Test(barrier, a_bot_that_times_out_no_longer_counts_lockstep, .timeout = 5)
{
    barrier_timeout(MOB_LOCKSTEP);
}

Test(barrier, a_bot_that_times_out_no_longer_counts_free, .timeout = 5)
{
    barrier_timeout(MOB_FREE);
}

static intptr_t bar_cancelled(mob_bot *self, void *arg)
{
    (void)arg;
    bar_rc[0][0] = mob_barrier_wait(self, bar, MOB_FOREVER);
    bar_rc[0][1] = mob_barrier_wait(self, bar, MOB_FOREVER);
    return 0;
}

static intptr_t bar_canceller(mob_bot *self, void *arg)
{
    mob_yield(self);
    mob_cancel(arg);
    mob_yield(self);
    mob_yield(self);
    /* Bot 0 left: with n = 2 this bot is not the last. Bot 2 is. */
    arrivals++;
    bar_rc[1][0] = mob_barrier_wait(self, bar, MOB_FOREVER);
    after_release[1][0] = arrivals;
    return 0;
}

static intptr_t bar_third(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 6; i++)
        mob_yield(self);
    arrivals++;
    bar_rc[2][0] = mob_barrier_wait(self, bar, MOB_FOREVER);
    return 0;
}

static void barrier_cancel(int mode)
{
    mob_loop *loop = new_loop(mode, 0);
    bar = mob_barrier_new(loop, 2);
    mob_bot *c = mob_spawn(loop, bar_cancelled, NULL);
    mob_spawn(loop, bar_canceller, c);
    mob_spawn(loop, bar_third, NULL);
    run_and_free(loop);
    cr_assert_eq(bar_rc[0][0], -ECANCELED);
    cr_assert_eq(bar_rc[0][1], -ECANCELED, "later waits by a cancelled bot fail too");
    cr_assert_eq(bar_rc[1][0], 0);
    cr_assert_eq(after_release[1][0], 2);
    cr_assert_eq(bar_rc[2][0], 1);
    mob_barrier_free(bar);
}

Test(barrier, a_cancelled_bot_returns_ecanceled_and_no_longer_counts_lockstep, .timeout = 5)
{
    barrier_cancel(MOB_LOCKSTEP);
}

Test(barrier, a_cancelled_bot_returns_ecanceled_and_no_longer_counts_free, .timeout = 5)
{
    barrier_cancel(MOB_FREE);
}

Test(barrier, new_with_fewer_than_one_party_is_einval)
{
    mob_loop *loop = new_loop(MOB_FREE, 0);
    errno = 0;
    cr_assert_null(mob_barrier_new(loop, 0));
    cr_assert_eq(errno, EINVAL);
    mob_barrier *one = mob_barrier_new(loop, 1);
    cr_assert_not_null(one);
    mob_barrier_free(one);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t single_party(mob_bot *self, void *arg)
{
    (void)arg;
    bar_rc[0][0] = mob_barrier_wait(self, bar, MOB_FOREVER);
    bar_rc[0][1] = mob_barrier_wait(self, bar, MOB_NOW);
    return 0;
}

Test(barrier, a_one_party_barrier_never_blocks, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE, 0);
    bar = mob_barrier_new(loop, 1);
    mob_spawn(loop, single_party, NULL);
    run_and_free(loop);
    cr_assert_eq(bar_rc[0][0], 1);
    cr_assert_eq(bar_rc[0][1], 1);
    mob_barrier_free(bar);
}
