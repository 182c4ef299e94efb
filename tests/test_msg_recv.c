/* SPDX-License-Identifier: MIT */
/*
 * test_msg_recv.c: receiving messages (src/core/msg.c) in both scheduling modes: filters by
 * sender and by predicate, the wake-up of a waiting receiver in free mode, deadlines,
 * MOB_NOW, and cancellation while waiting. Delivery rules are in test_msg.c.
 *
 * Bots never cr_assert: they record into globals (each test runs in its own process) and the
 * test asserts after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "mob.h"

/* ---- receive filters ------------------------------------------------------------------------- */

static int got_from[4];

static intptr_t says_its_id(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    mob_send(self, 2, me, &me, sizeof me);
    return 0;
}

static intptr_t filtered_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    int from1[] = {1};
    mob_filter f = {.from = from1, .nfrom = 1};
    mob_msg m;
    /* Bot 0's message is older but only bot 1's is accepted. */
    got_from[0] = mob_recv(self, &m, &f, MOB_FOREVER) == 0 ? m.from : -9;
    got_from[1] = mob_has_message(self, &f);
    got_from[2] = mob_has_message(self, NULL);
    got_from[3] = mob_recv(self, &m, NULL, MOB_FOREVER) == 0 ? m.from : -9;
    return 0;
}

static void recv_from(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    mob_spawn(loop, says_its_id, NULL);
    mob_spawn(loop, says_its_id, NULL);
    mob_spawn(loop, filtered_receiver, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(got_from[0], 1);
    cr_assert_eq(got_from[1], 0);
    cr_assert_eq(got_from[2], 1, "the message from bot 0 stays");
    cr_assert_eq(got_from[3], 0);
}

Test(msg, recv_from_given_senders_leaves_the_others_lockstep, .timeout = 5)
{
    recv_from(MOB_LOCKSTEP);
}

Test(msg, recv_from_given_senders_leaves_the_others_free, .timeout = 5)
{
    recv_from(MOB_FREE);
}

static int pred_calls, pred_kind;

static int kind_is(const mob_msg *m, void *ud)
{
    pred_calls++;
    return m->kind == *(int *)ud;
}

static intptr_t pred_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    int want = 7;
    mob_filter f = {.pred = kind_is, .ud = &want};
    mob_msg m;
    if (mob_recv(self, &m, &f, MOB_FOREVER) == 0)
        pred_kind = m.kind;
    return 0;
}

static intptr_t pred_sender(mob_bot *self, void *arg)
{
    (void)arg;
    mob_send(self, 0, 1, NULL, 0);
    mob_yield(self);
    mob_yield(self);
    mob_send(self, 0, 7, NULL, 0);
    return 0;
}

static void recv_pred(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    mob_spawn(loop, pred_receiver, NULL);
    mob_spawn(loop, pred_sender, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(pred_kind, 7);
    /* 1: kind 1 arrives and does not match (the receiver is not woken, so it does not
     * rescan); 2: kind 7 arrives and matches; 3, 4: the woken receiver scans both. A spurious
     * wake-up on kind 1 would add a scan. */
    cr_assert_eq(pred_calls, 4);
}

Test(msg, recv_by_predicate_is_woken_only_by_a_matching_message_lockstep, .timeout = 5)
{
    recv_pred(MOB_LOCKSTEP);
}

Test(msg, recv_by_predicate_is_woken_only_by_a_matching_message_free, .timeout = 5)
{
    recv_pred(MOB_FREE);
}

/* ---- wake-up in free mode -------------------------------------------------------------------- */

static char order[16];
static int norder;

static intptr_t waiting_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    order[norder++] = 'r';
    if (mob_recv(self, &m, NULL, MOB_FOREVER) == 0)
        order[norder++] = 'R';
    return 0;
}

static intptr_t waking_sender(mob_bot *self, void *arg)
{
    (void)arg;
    order[norder++] = 's';
    mob_send(self, 0, 0, NULL, 0);
    order[norder++] = 'S'; /* a send does not switch: the receiver runs after us */
    return 0;
}

Test(msg, free_send_wakes_a_waiting_receiver, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
    mob_spawn(loop, waiting_receiver, NULL);
    mob_spawn(loop, waking_sender, NULL);
    test_loop_run_free(loop);
    cr_assert_str_eq(order, "rsSR");
}

/* ---- deadlines and cancellation -------------------------------------------------------------- */

static int recv_rc = 1;
static int64_t waited_ns;

static intptr_t times_out(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop *loop = mob_bot_loop(self);
    int64_t t0 = mob_now(loop);
    mob_msg m;
    int from2[] = {2};
    mob_filter f = {.from = from2, .nfrom = 1}; /* bot 1's message does not match */
    recv_rc = mob_recv(self, &m, &f, t0 + 15 * 60 * MOB_NS_PER_SEC);
    waited_ns = mob_now(loop) - t0;
    return 0;
}

static intptr_t sends_to_0(mob_bot *self, void *arg)
{
    (void)arg;
    mob_send(self, 0, 0, NULL, 0);
    return 0;
}

static void deadline(int mode)
{
    mob_loop_options o = {.mode = mode, .virtual_clock = 1};
    mob_loop *loop = mob_loop_new(&o);
    mob_spawn(loop, times_out, NULL);
    mob_spawn(loop, sends_to_0, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(recv_rc, -ETIMEDOUT);
    cr_assert_geq(waited_ns, 15 * 60 * MOB_NS_PER_SEC);
}

Test(msg, recv_returns_etimedout_at_its_deadline_lockstep, .timeout = 5)
{
    deadline(MOB_LOCKSTEP);
}

Test(msg, recv_returns_etimedout_at_its_deadline_free, .timeout = 5)
{
    deadline(MOB_FREE);
}

static int now_rc, try_rc;

static intptr_t no_block(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    now_rc = mob_recv(self, &m, NULL, MOB_NOW);
    try_rc = mob_try_recv(self, &m, NULL);
    return 0;
}

Test(msg, recv_with_mob_now_does_not_block)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
    mob_spawn(loop, no_block, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(now_rc, -ETIMEDOUT);
    cr_assert_eq(try_rc, -EAGAIN);
}

static int cancel_rc[2] = {1, 1};

static intptr_t recv_forever(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    cancel_rc[0] = mob_recv(self, &m, NULL, MOB_FOREVER);
    cancel_rc[1] = mob_recv(self, &m, NULL, MOB_FOREVER); /* every later call too */
    return 0;
}

static intptr_t canceller(mob_bot *self, void *arg)
{
    mob_yield(self);
    mob_cancel(arg);
    mob_yield(self);
    mob_send(self, 0, 0, NULL, 0); /* too late: the receiver has been cancelled */
    return 0;
}

static void cancel_in_recv(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    mob_bot *r = mob_spawn(loop, recv_forever, NULL);
    mob_spawn(loop, canceller, r);
    test_loop_run_free(loop);
    cr_assert_eq(cancel_rc[0], -ECANCELED);
    cr_assert_eq(cancel_rc[1], -ECANCELED);
}

Test(msg, cancel_while_waiting_in_recv_returns_ecanceled_lockstep, .timeout = 5)
{
    cancel_in_recv(MOB_LOCKSTEP);
}

Test(msg, cancel_while_waiting_in_recv_returns_ecanceled_free, .timeout = 5)
{
    cancel_in_recv(MOB_FREE);
}
