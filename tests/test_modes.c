/* SPDX-License-Identifier: MIT */
/*
 * test_modes.c: the order in which the two scheduling modes run bots. The testtoolkit README
 * examples print the documented order in both modes when bots only yield; lockstep runs every
 * tick in id order whatever woke the bots (a yield, a timer, a message); free mode is FIFO;
 * hooks nest like testtoolkit's main-loop wrappers.
 *
 * Bots append to a trace string (each test runs in its own process, so globals are safe) and
 * the tests compare it after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mob.h"

static char out[4096];
static size_t nout;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + nout, sizeof out - nout, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof out - nout)
        nout += (size_t)n;
}

static mob_loop *new_loop(int mode, int virtual_clock)
{
    mob_loop_options o = {.mode = mode, .virtual_clock = virtual_clock};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    return loop;
}

static void run_n(int mode, int n, mob_bot_fn fn)
{
    mob_loop *loop = new_loop(mode, 0);
    for (int i = 0; i < n; i++)
        cr_assert_not_null(mob_spawn(loop, fn, NULL));
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- the testtoolkit README examples --------------------------------------------------------- */

static intptr_t sequential(mob_bot *self, void *arg)
{
    (void)arg;
    say("process %d: %d\n", mob_bot_id(self), 1);
    say("process %d: %d\n", mob_bot_id(self), 2);
    return 0;
}

static intptr_t with_yield(mob_bot *self, void *arg)
{
    (void)arg;
    say("process %d: %d\n", mob_bot_id(self), 1);
    mob_yield(self);
    say("process %d: %d\n", mob_bot_id(self), 2);
    return 0;
}

static const char readme_sequential[] = "process 0: 1\nprocess 0: 2\nprocess 1: 1\nprocess 1: 2\n";
static const char readme_yield[] = "process 0: 1\nprocess 1: 1\nprocess 0: 2\nprocess 1: 2\n";

Test(modes, readme_sequential_example_in_lockstep, .timeout = 5)
{
    run_n(MOB_LOCKSTEP, 2, sequential);
    cr_assert_str_eq(out, readme_sequential);
}

Test(modes, readme_sequential_example_in_free_mode, .timeout = 5)
{
    run_n(MOB_FREE, 2, sequential);
    cr_assert_str_eq(out, readme_sequential);
}

Test(modes, readme_yield_example_in_lockstep, .timeout = 5)
{
    run_n(MOB_LOCKSTEP, 2, with_yield);
    cr_assert_str_eq(out, readme_yield);
}

Test(modes, readme_yield_example_in_free_mode, .timeout = 5)
{
    run_n(MOB_FREE, 2, with_yield);
    cr_assert_str_eq(out, readme_yield);
}

/* The talk example (testtoolkit's test_example): even bots send "Hello" to their pair's group,
 * odd bots poll has_message and yield until it comes. */
static intptr_t talk(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    mob_group_join(self, me / 2);
    mob_yield(self);
    if (me % 2 == 0) {
        int to[4];
        int n = mob_group_members(mob_bot_loop(self), me / 2, to, 4);
        mob_send_group(self, me / 2, 0, "Hello", 5);
        for (int i = 0; i < n; i++)
            if (to[i] != me)
                say("process %d: sent \"Hello\" to process %d\n", me, to[i]);
    } else {
        while (!mob_has_message(self, NULL))
            mob_yield(self);
        mob_msg m;
        mob_try_recv(self, &m, NULL);
        say("process %d: received \"%.*s\" from process %d\n", me, (int)m.len,
            (const char *)m.data, m.from);
    }
    return 0;
}

Test(modes, readme_talk_example_in_lockstep, .timeout = 5)
{
    run_n(MOB_LOCKSTEP, 4, talk);
    cr_assert_str_eq(out, "process 0: sent \"Hello\" to process 1\n"
                          "process 2: sent \"Hello\" to process 3\n"
                          "process 1: received \"Hello\" from process 0\n"
                          "process 3: received \"Hello\" from process 2\n");
}

Test(modes, talk_example_in_free_mode_receives_within_the_same_round, .timeout = 5)
{
    /* Free mode delivers at once: bot 1 sees bot 0's message in the same round. This is the
     * one README example whose order depends on the mode, by design. */
    run_n(MOB_FREE, 4, talk);
    cr_assert_str_eq(out, "process 0: sent \"Hello\" to process 1\n"
                          "process 1: received \"Hello\" from process 0\n"
                          "process 2: sent \"Hello\" to process 3\n"
                          "process 3: received \"Hello\" from process 2\n");
}

/* ---- lockstep: id order in every tick -------------------------------------------------------- */

static int tick;
static int runs[4096][2]; /* (tick, bot id) for each time a bot got the CPU in a tick */
static int nruns;

static void count_tick(mob_loop *loop, void *ud)
{
    (void)loop;
    (void)ud;
    tick++;
}

static void ran(mob_bot *self)
{
    if (nruns < 4096) {
        runs[nruns][0] = tick;
        runs[nruns][1] = mob_bot_id(self);
        nruns++;
    }
}

/* Bot i yields, sleeps a little (real clock) or waits for a message, in a pattern that depends
 * on i, so bots are made runnable by different causes and in shuffled order. */
static intptr_t mixed(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    for (int k = 0; k < 12; k++) {
        ran(self);
        switch ((k + me) % 4) {
        case 0:
            mob_yield(self);
            break;
        case 1:
            mob_sleep(self, (int64_t)(7 - me) * 50 * MOB_NS_PER_US);
            break;
        case 2:
            /* A message to the next bot, then a wait for one from anyone (or a short timeout). */
            mob_send(self, (me + 1) % 7, 0, NULL, 0);
            {
                mob_msg m;
                mob_recv(self, &m, NULL, mob_now(mob_bot_loop(self)) + 300 * MOB_NS_PER_US);
            }
            break;
        default:
            mob_yield(self);
            mob_yield(self);
        }
    }
    return 0;
}

Test(modes, lockstep_runs_each_tick_in_id_order_whatever_woke_the_bots, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_LOCKSTEP, 0);
    cr_assert_eq(mob_loop_add_hook(loop, count_tick, NULL, NULL), 0);
    for (int i = 0; i < 7; i++)
        mob_spawn(loop, mixed, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_eq(nruns, 7 * 12);
    for (int i = 1; i < nruns; i++) {
        /* Equal ids: a recv that found its message at once did not end the bot's turn. */
        if (runs[i][0] == runs[i - 1][0])
            cr_assert_geq(runs[i][1], runs[i - 1][1], "tick %d: bot %d ran after bot %d",
                          runs[i][0], runs[i][1], runs[i - 1][1]);
        else
            cr_assert_gt(runs[i][0], runs[i - 1][0]);
    }
}

/* Bots 0, 1, 2 sleep with deadlines in the reverse order of their ids; bot 3 keeps the loop
 * busy, then moves the virtual clock past all three deadlines at once. The timers fire in
 * deadline order (2, 1, 0). */
static intptr_t sleeper(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    mob_sleep(self, (int64_t)(3 - me) * 60 * MOB_NS_PER_SEC);
    say("%d", me);
    return 0;
}

static intptr_t clock_mover(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    say("+");
    mob_clock_advance(mob_bot_loop(self), 3600 * MOB_NS_PER_SEC);
    mob_yield(self);
    say("3");
    return 0;
}

static void timer_order(int mode)
{
    mob_loop *loop = new_loop(mode, 1);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, sleeper, NULL);
    mob_spawn(loop, clock_mover, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(modes, lockstep_runs_timer_woken_bots_in_id_order, .timeout = 5)
{
    timer_order(MOB_LOCKSTEP);
    cr_assert_str_eq(out, "+0123");
}

Test(modes, free_mode_runs_timer_woken_bots_in_wake_order_fifo, .timeout = 5)
{
    timer_order(MOB_FREE);
    cr_assert_str_eq(out, "+2103", "woken in deadline order, queued behind nobody, ahead of "
                                   "the bot that yielded after waking them");
}

/* ---- free mode: FIFO ------------------------------------------------------------------------- */

static intptr_t yield3(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        say("%c", 'a' + mob_bot_id(self));
        mob_yield(self);
    }
    return 0;
}

Test(modes, free_mode_yield_goes_to_the_back_of_the_queue, .timeout = 5)
{
    run_n(MOB_FREE, 3, yield3);
    cr_assert_str_eq(out, "abcabcabc");
}

static intptr_t fifo_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    say("r");
    mob_recv(self, &m, NULL, MOB_FOREVER);
    say("R");
    return 0;
}

static intptr_t fifo_sender(mob_bot *self, void *arg)
{
    (void)arg;
    say("s");
    mob_send(self, 0, 0, NULL, 0);
    mob_yield(self);
    say("S");
    return 0;
}

static intptr_t fifo_other(mob_bot *self, void *arg)
{
    (void)arg;
    say("o");
    mob_yield(self);
    say("O");
    return 0;
}

Test(modes, free_mode_a_woken_bot_queues_behind_those_already_ready, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE, 0);
    mob_spawn(loop, fifo_receiver, NULL);
    mob_spawn(loop, fifo_sender, NULL);
    mob_spawn(loop, fifo_other, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    /* r parks; s wakes r (queued after o, which was spawned ready), then yields behind r. */
    cr_assert_str_eq(out, "rsoRSO");
}

Test(modes, lockstep_the_same_bots_run_in_id_order_each_tick, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_LOCKSTEP, 0);
    mob_spawn(loop, fifo_receiver, NULL);
    mob_spawn(loop, fifo_sender, NULL);
    mob_spawn(loop, fifo_other, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    /* Tick 1: r parks, s sends (held to the end of the tick), o. Tick 2: R, S, O. */
    cr_assert_str_eq(out, "rsoRSO");
}

/* ---- hooks ----------------------------------------------------------------------------------- */

static void before1(mob_loop *l, void *ud) { (void)l; (void)ud; say("("); }
static void after1(mob_loop *l, void *ud) { (void)l; (void)ud; say(")"); }
static void before2(mob_loop *l, void *ud) { (void)l; (void)ud; say("["); }
static void after2(mob_loop *l, void *ud) { (void)l; (void)ud; say("]"); }

static intptr_t two_yields(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        say("x");
        mob_yield(self);
    }
    say("x");
    return 0;
}

static void hooks(int mode, const char *want)
{
    mob_loop *loop = new_loop(mode, 0);
    cr_assert_eq(mob_loop_add_hook(loop, before1, after1, NULL), 0);
    cr_assert_eq(mob_loop_add_hook(loop, before2, after2, NULL), 0);
    mob_spawn(loop, two_yields, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_str_eq(out, want);
}

Test(modes, lockstep_hooks_nest_like_wrappers_around_every_tick, .timeout = 5)
{
    /* One tick per yield: befores in order of addition, afters in reverse. */
    hooks(MOB_LOCKSTEP, "([x])([x])([x])");
}

Test(modes, free_mode_hooks_nest_like_wrappers_around_every_step, .timeout = 5)
{
    /* A lone bot that yields keeps the CPU within one step (nobody else is ready). */
    hooks(MOB_FREE, "([xxx])");
}
