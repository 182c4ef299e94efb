/* SPDX-License-Identifier: MIT */
/*
 * test_msg.c: mailboxes (src/core/msg.c) in both scheduling modes: testtoolkit's delivery
 * rules (lockstep: visible the tick after the send whatever the order of sender and receiver;
 * read messages are gone, unread ones stay), immediate delivery with wake-up in free mode,
 * and a 100,000-bot exchange. Receiving (filters, deadlines, cancellation) is in
 * test_msg_recv.c, groups in test_group.c.
 *
 * Bots never cr_assert: they record into globals (each test runs in its own process) and the
 * test asserts after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "mob.h"

/* Lockstep tick counter, kept by a before-hook. */
static int tick;
static void count_tick(mob_loop *loop, void *ud)
{
    (void)loop;
    (void)ud;
    tick++;
}

/* ---- lockstep visibility --------------------------------------------------------------------- */

/* seen[bot][t]: what mob_has_message said in tick t+1. */
static int seen[4][6];

static intptr_t exchange_bot(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self), peer = 1 - me;
    cr_expect_eq(mob_send(self, peer, 0, "x", 1), 1);
    for (int t = 0; t < 4; t++) {
        seen[me][t] = mob_has_message(self, NULL);
        mob_yield(self);
    }
    return 0;
}

Test(msg, lockstep_send_is_visible_next_tick_whatever_the_order, .timeout = 5)
{
    /* Bot 0 sends to bot 1, which runs later in the same tick, and bot 1 sends to bot 0, which
     * ran earlier: both see their message in tick 2, neither in tick 1. */
    mob_loop *loop = test_loop_new(MOB_LOCKSTEP);
    mob_spawn(loop, exchange_bot, NULL);
    mob_spawn(loop, exchange_bot, NULL);
    test_loop_run_free(loop);
    for (int b = 0; b < 2; b++) {
        cr_assert_eq(seen[b][0], 0, "bot %d saw a message in the tick it was sent", b);
        for (int t = 1; t < 4; t++)
            cr_assert_eq(seen[b][t], 1, "bot %d tick %d: unread message should stay", b, t + 1);
    }
}

static intptr_t free_sender(mob_bot *self, void *arg)
{
    (void)arg;
    mob_send(self, 1, 0, "x", 1);
    return 0;
}

static intptr_t free_checker(mob_bot *self, void *arg)
{
    (void)arg;
    seen[1][0] = mob_has_message(self, NULL);
    return 0;
}

Test(msg, free_send_is_visible_at_once)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
    mob_spawn(loop, free_sender, NULL);
    mob_spawn(loop, free_checker, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(seen[1][0], 1);
}

/* ---- read messages are gone, unread ones stay ------------------------------------------------ */

static intptr_t burst_sender(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        mob_send(self, 1, i, NULL, 0);
    return 0;
}

static int counts[8];
static int kinds[8];

static intptr_t one_per_tick_reader(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self); /* lockstep: the burst is visible from the next tick */
    for (int t = 0; t < 4; t++) {
        counts[t] = mob_has_message(self, NULL);
        mob_msg m;
        kinds[t] = mob_try_recv(self, &m, NULL) == 0 ? m.kind : -1;
        mob_yield(self);
    }
    return 0;
}

static void read_one_per_tick(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    mob_spawn(loop, burst_sender, NULL);
    mob_spawn(loop, one_per_tick_reader, NULL);
    test_loop_run_free(loop);
    int want_counts[] = {3, 2, 1, 0}, want_kinds[] = {0, 1, 2, -1};
    for (int t = 0; t < 4; t++) {
        cr_assert_eq(counts[t], want_counts[t], "step %d", t);
        cr_assert_eq(kinds[t], want_kinds[t], "step %d: messages come out oldest first", t);
    }
}

Test(msg, lockstep_read_messages_are_gone_unread_ones_stay, .timeout = 5)
{
    read_one_per_tick(MOB_LOCKSTEP);
}

Test(msg, free_read_messages_are_gone_unread_ones_stay, .timeout = 5)
{
    read_one_per_tick(MOB_FREE);
}

/* ---- testtoolkit's test_send ----------------------------------------------------------------- */

static int send_all_rc;
static int has[3][3];

static intptr_t tt_send_bot(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    if (me == 0)
        send_all_rc = mob_send_all(self, 0, "hi", 2);
    has[me][0] = mob_has_message(self, NULL);
    mob_yield(self);
    has[me][1] = mob_has_message(self, NULL);
    mob_msg m;
    while (mob_try_recv(self, &m, NULL) == 0)
        cr_expect(m.from == 0 && m.len == 2 && memcmp(m.data, "hi", 2) == 0);
    mob_yield(self);
    has[me][2] = mob_has_message(self, NULL);
    return 0;
}

Test(msg, testtoolkit_test_send_semantics_in_lockstep, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_LOCKSTEP);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, tt_send_bot, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(send_all_rc, 2, "send_all addresses every bot but the sender");
    int want[3][3] = {{0, 0, 0}, {0, 1, 0}, {0, 1, 0}};
    for (int b = 0; b < 3; b++)
        for (int t = 0; t < 3; t++)
            cr_assert_eq(has[b][t], want[b][t], "bot %d tick %d", b, t + 1);
}

/* ---- send rules ------------------------------------------------------------------------------ */

static int send_rcs[6];

static intptr_t rules_sender(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self); /* let bot 1 return first */
    int list[] = {0, 1, 2, 2};
    send_rcs[0] = mob_send(self, 0, 0, NULL, 0);       /* itself */
    send_rcs[1] = mob_send(self, 1, 0, NULL, 0);       /* returned */
    send_rcs[2] = mob_send(self, 99, 0, NULL, 0);      /* never spawned */
    send_rcs[3] = mob_send_list(self, list, 4, 0, NULL, 0);
    int bad[] = {2, -1};
    send_rcs[4] = mob_send_list(self, bad, 2, 0, NULL, 0);
    send_rcs[5] = mob_send_all(self, 0, NULL, 0);
    return 0;
}

static intptr_t returns_at_once(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return 0;
}

static int final_inbox;
static intptr_t counts_at_end(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    final_inbox = mob_has_message(self, NULL);
    return 0;
}

Test(msg, sender_and_returned_bots_are_skipped_unknown_ids_are_esrch, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_LOCKSTEP);
    mob_spawn(loop, rules_sender, NULL);
    mob_spawn(loop, returns_at_once, NULL);
    mob_spawn(loop, counts_at_end, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(send_rcs[0], 0);
    cr_assert_eq(send_rcs[1], 0);
    cr_assert_eq(send_rcs[2], -ESRCH);
    cr_assert_eq(send_rcs[3], 2, "a duplicate id gets two copies");
    cr_assert_eq(send_rcs[4], -ESRCH, "nothing is sent when one id is bad");
    cr_assert_eq(send_rcs[5], 1);
    cr_assert_eq(final_inbox, 3);
}

/* ---- payloads -------------------------------------------------------------------------------- */

static char big[5000];
static int payload_ok[4];

static intptr_t payload_sender(mob_bot *self, void *arg)
{
    (void)arg;
    char small[16] = "small";
    mob_send_all(self, 1, small, 6);
    memset(small, 'X', sizeof small); /* the message is a copy */
    memset(big, 'b', sizeof big);
    mob_send_all(self, 2, big, sizeof big);
    memset(big, 'Y', sizeof big);
    mob_send_all(self, 3, NULL, 0);
    return 0;
}

static intptr_t payload_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    int ok = 1;
    ok &= mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.kind == 1 && m.len == 6 &&
          strcmp(m.data, "small") == 0;
    ok &= mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.kind == 2 && m.len == sizeof big;
    for (size_t i = 0; ok && i < m.len; i++)
        ok &= ((const char *)m.data)[i] == 'b';
    ok &= ((uintptr_t)m.data % _Alignof(max_align_t)) == 0;
    ok &= mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.kind == 3 && m.len == 0;
    payload_ok[mob_bot_id(self)] = ok;
    return 0;
}

static void payloads(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    mob_spawn(loop, payload_sender, NULL);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, payload_receiver, NULL);
    test_loop_run_free(loop);
    for (int i = 1; i < 4; i++)
        cr_assert(payload_ok[i], "receiver %d", i);
}

Test(msg, small_large_and_empty_payloads_are_copied_to_every_receiver_lockstep, .timeout = 5)
{
    payloads(MOB_LOCKSTEP);
}

Test(msg, small_large_and_empty_payloads_are_copied_to_every_receiver_free, .timeout = 5)
{
    payloads(MOB_FREE);
}

/* ---- host sends ------------------------------------------------------------------------------ */

static int host_from = -2, host_tick = -1;

static intptr_t host_receiver(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    if (mob_recv(self, &m, NULL, MOB_FOREVER) == 0) {
        host_from = m.from;
        host_tick = tick;
    }
    return 0;
}

static void host_post(int mode)
{
    mob_loop *loop = test_loop_new(mode);
    cr_assert_eq(mob_loop_add_hook(loop, count_tick, NULL, NULL), 0);
    mob_spawn(loop, host_receiver, NULL);
    cr_assert_eq(mob_post(loop, 0, 0, "h", 1), 1);
    cr_assert_eq(mob_post(loop, 5, 0, "h", 1), -ESRCH);
    test_loop_run_free(loop);
    cr_assert_eq(host_from, -1);
    cr_assert_eq(host_tick, 1, "from outside a tick a post is visible in the next tick");
}

Test(msg, host_post_is_from_minus_one_and_visible_in_the_first_tick_lockstep, .timeout = 5)
{
    host_post(MOB_LOCKSTEP);
}

Test(msg, host_post_is_from_minus_one_and_visible_in_the_first_tick_free, .timeout = 5)
{
    host_post(MOB_FREE);
}

/* Lockstep: a hook is outside any bot, so its post is delivered at once. Posted by the
 * before-hook of tick 2, it is seen in tick 2; posted by the after-hook of tick 2, in tick 3. */
static int hook_seen[6];

static void post_before_tick2(mob_loop *loop, void *ud)
{
    (void)ud;
    if (tick == 2)
        mob_post(loop, 0, 1, NULL, 0);
}

static void post_after_tick2(mob_loop *loop, void *ud)
{
    (void)ud;
    if (tick == 2)
        mob_post(loop, 0, 2, NULL, 0);
}

static intptr_t hook_watcher(mob_bot *self, void *arg)
{
    (void)arg;
    for (int t = 1; t <= 4; t++) {
        mob_msg m;
        while (mob_try_recv(self, &m, NULL) == 0)
            hook_seen[m.kind] = tick;
        mob_yield(self);
    }
    return 0;
}

Test(msg, lockstep_posts_from_hooks_are_delivered_at_once, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_LOCKSTEP);
    cr_assert_eq(mob_loop_add_hook(loop, count_tick, NULL, NULL), 0);
    cr_assert_eq(mob_loop_add_hook(loop, post_before_tick2, post_after_tick2, NULL), 0);
    mob_spawn(loop, hook_watcher, NULL);
    test_loop_run_free(loop);
    cr_assert_eq(hook_seen[1], 2);
    cr_assert_eq(hook_seen[2], 3);
}

/* ---- 100,000 bots ---------------------------------------------------------------------------- */

#define HORDE 100000
static int horde_ok;

/* Each bot passes a token to the next one in a ring, then everyone gets a word from bot 0
 * through a group. */
static intptr_t horde_bot(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self);
    mob_group_join(self, 42);
    mob_send(self, (me + 1) % HORDE, 1, &me, sizeof me);
    mob_msg m;
    int prev = (me + HORDE - 1) % HORDE;
    if (mob_recv(self, &m, NULL, MOB_FOREVER) != 0 || m.kind != 1 || *(const int *)m.data != prev)
        return 0;
    if (me == 0) {
        if (mob_send_group(self, 42, 2, "go", 2) != HORDE - 1)
            return 0;
        horde_ok++;
        return 1;
    }
    if (mob_recv(self, &m, NULL, MOB_FOREVER) != 0 || m.kind != 2)
        return 0;
    horde_ok++;
    return 1;
}

static void horde(int mode)
{
    mob_loop_options o = {.mode = mode, .stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    for (int i = 0; i < HORDE; i++)
        cr_assert_not_null(mob_spawn(loop, horde_bot, NULL));
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(horde_ok, HORDE);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(msg, hundred_thousand_bots_pass_a_ring_token_and_hear_a_group_send_lockstep,
     .timeout = 30)
{
    horde(MOB_LOCKSTEP);
}

Test(msg, hundred_thousand_bots_pass_a_ring_token_and_hear_a_group_send_free, .timeout = 30)
{
    horde(MOB_FREE);
}
