/* SPDX-License-Identifier: MIT */
/*
 * test_msg.c: mailboxes and groups (src/core/msg.c, msg_group.c) in both scheduling modes: testtoolkit's
 * delivery rules (lockstep: visible the tick after the send whatever the order of sender and
 * receiver; read messages are gone, unread ones stay), immediate delivery with wake-up in
 * free mode, receive filters and deadlines, cancellation, groups, and a 100,000-bot exchange.
 *
 * Bots never cr_assert: they record into globals (each test runs in its own process) and the
 * test asserts after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mob.h"

static mob_loop *new_loop(int mode)
{
    mob_loop_options o = {.mode = mode};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    return loop;
}

/* Lockstep tick counter, kept by a before-hook. */
static int tick;
static void count_tick(mob_loop *loop, void *ud)
{
    (void)loop;
    (void)ud;
    tick++;
}

static void run_and_free(mob_loop *loop)
{
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
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
    mob_loop *loop = new_loop(MOB_LOCKSTEP);
    mob_spawn(loop, exchange_bot, NULL);
    mob_spawn(loop, exchange_bot, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(MOB_FREE);
    mob_spawn(loop, free_sender, NULL);
    mob_spawn(loop, free_checker, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(mode);
    mob_spawn(loop, burst_sender, NULL);
    mob_spawn(loop, one_per_tick_reader, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(MOB_LOCKSTEP);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, tt_send_bot, NULL);
    run_and_free(loop);
    cr_assert_eq(send_all_rc, 2, "send_all addresses every bot but the sender");
    int want[3][3] = {{0, 0, 0}, {0, 1, 0}, {0, 1, 0}};
    for (int b = 0; b < 3; b++)
        for (int t = 0; t < 3; t++)
            cr_assert_eq(has[b][t], want[b][t], "bot %d tick %d", b, t + 1);
}

/* ---- testtoolkit's test_groups --------------------------------------------------------------- */

static int members_t2[4], nmembers_t2, group_send_rc, recv_t3[3];
static int members1_t4, members2_t4[4], nmembers2_t4;

static intptr_t tt_group_bot(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop *loop = mob_bot_loop(self);
    int me = mob_bot_id(self);
    cr_expect_eq(mob_group_join(self, 1), 0);
    mob_yield(self);
    /* Tick 2: everyone's membership is visible. */
    if (me == 0) {
        nmembers_t2 = mob_group_members(loop, 1, members_t2, 4);
        group_send_rc = mob_send_group(self, 1, 0, "g", 1);
    }
    mob_yield(self);
    /* Tick 3: the others receive, the sender does not. */
    mob_msg m;
    recv_t3[me] = mob_try_recv(self, &m, NULL) == 0 ? m.from : -1;
    cr_expect_eq(mob_group_join(self, 2), 0);
    cr_expect_eq(mob_group_leave(self, 1), 0);
    mob_yield(self);
    if (me == 0) {
        members1_t4 = mob_group_members(loop, 1, NULL, 0);
        nmembers2_t4 = mob_group_members(loop, 2, members2_t4, 4);
    }
    cr_expect(!mob_group_has(self, 1) && mob_group_has(self, 2));
    return 0;
}

static void tt_groups(int mode)
{
    mob_loop *loop = new_loop(mode);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, tt_group_bot, NULL);
    run_and_free(loop);
    cr_assert_eq(nmembers_t2, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(members_t2[i], i);
    cr_assert_eq(group_send_rc, 2);
    cr_assert_eq(recv_t3[0], -1);
    cr_assert_eq(recv_t3[1], 0);
    cr_assert_eq(recv_t3[2], 0);
    cr_assert_eq(members1_t4, 0, "everyone left group 1");
    cr_assert_eq(nmembers2_t4, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(members2_t4[i], i);
}

Test(msg, testtoolkit_test_groups_semantics_in_lockstep, .timeout = 5)
{
    tt_groups(MOB_LOCKSTEP);
}

Test(msg, testtoolkit_test_groups_semantics_in_free_mode, .timeout = 5)
{
    tt_groups(MOB_FREE);
}

/* ---- group rules ----------------------------------------------------------------------------- */

static intptr_t idle_bot(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    return 0;
}

Test(group, join_twice_is_eexist_leave_unknown_is_enoent_and_empty_groups_vanish, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE);
    mob_bot *a = mob_spawn(loop, idle_bot, NULL), *b = mob_spawn(loop, idle_bot, NULL);
    cr_assert_eq(mob_group_join(a, 7), 0);
    cr_assert_eq(mob_group_join(a, 7), -EEXIST);
    cr_assert_eq(mob_group_leave(b, 7), -ENOENT, "not a member of an existing group");
    cr_assert_eq(mob_group_leave(b, 8), -ENOENT, "a group that does not exist");
    cr_assert_eq(mob_group_join(b, 7), 0);
    cr_assert_eq(mob_group_members(loop, 7, NULL, 0), 2);
    cr_assert_eq(mob_group_leave(a, 7), 0);
    cr_assert_eq(mob_group_leave(b, 7), 0);
    cr_assert_eq(mob_group_members(loop, 7, NULL, 0), 0);
    cr_assert_eq(mob_post_group(loop, 7, 0, NULL, 0), 0, "an empty group addresses nobody");
    cr_assert_eq(mob_group_leave(a, 7), -ENOENT, "the empty group is gone");
    cr_assert_eq(mob_group_join(b, 7), 0, "and can be created again");
    cr_assert_eq(mob_group_members(loop, 7, NULL, 0), 1);
    run_and_free(loop);
}

Test(group, members_are_listed_in_ascending_order_after_out_of_order_joins, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE);
    mob_bot *bots[6];
    for (int i = 0; i < 6; i++)
        bots[i] = mob_spawn(loop, idle_bot, NULL);
    int order[] = {4, 1, 5, 0, 3};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(mob_group_join(bots[order[i]], -3), 0, "any int is a group id");
    int ids[6];
    cr_assert_eq(mob_group_members(loop, -3, ids, 3), 5, "returns the count, copies up to cap");
    cr_assert_eq(ids[0], 0);
    cr_assert_eq(ids[1], 1);
    cr_assert_eq(ids[2], 3);
    cr_assert_eq(mob_group_leave(bots[3], -3), 0);
    cr_assert_eq(mob_group_join(bots[2], -3), 0);
    cr_assert_eq(mob_group_members(loop, -3, ids, 6), 5);
    int want[] = {0, 1, 2, 4, 5};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(ids[i], want[i]);
    run_and_free(loop);
}

Test(group, many_groups_survive_table_growth_and_removal, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE);
    mob_bot *a = mob_spawn(loop, idle_bot, NULL), *b = mob_spawn(loop, idle_bot, NULL);
    for (int g = 0; g < 1000; g++)
        cr_assert_eq(mob_group_join(g % 3 ? a : b, g * 7919), 0);
    /* Remove every other group, then check the rest are all still found. */
    for (int g = 0; g < 1000; g += 2)
        cr_assert_eq(mob_group_leave(g % 3 ? a : b, g * 7919), 0);
    for (int g = 0; g < 1000; g++) {
        int n = mob_group_members(loop, g * 7919, NULL, 0);
        cr_assert_eq(n, g % 2, "group %d", g * 7919);
        cr_assert_eq(mob_group_has(g % 3 ? a : b, g * 7919), g % 2);
    }
    run_and_free(loop);
}

static intptr_t join_and_return(mob_bot *self, void *arg)
{
    (void)arg;
    mob_group_join(self, 1);
    mob_group_join(self, 2);
    return 0;
}

Test(group, a_returning_bot_leaves_its_groups, .timeout = 5)
{
    mob_loop *loop = new_loop(MOB_FREE);
    mob_bot *a = mob_spawn(loop, join_and_return, NULL);
    mob_bot *b = mob_spawn(loop, idle_bot, NULL);
    cr_assert_eq(mob_group_join(b, 2), 0);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_group_members(loop, 1, NULL, 0), 0);
    int ids[2];
    cr_assert_eq(mob_group_members(loop, 2, ids, 2), 0, "b has returned too");
    cr_assert_eq(mob_group_join(a, 3), -ESRCH, "a returned bot cannot join");
    cr_assert_eq(mob_loop_free(loop), 0);
}

#define BIG_GROUP 100000

static intptr_t returns_at_once(mob_bot *self, void *arg);

Test(group, a_hundred_thousand_reverse_joins_and_scattered_leaves_stay_fast_and_sorted,
     .timeout = 30)
{
    mob_loop_options o = {.mode = MOB_FREE, .stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    for (int i = 0; i < BIG_GROUP; i++)
        cr_assert_not_null(mob_spawn(loop, returns_at_once, NULL));
    /* Reverse order: every join is out of order for the group's list. */
    for (int i = BIG_GROUP - 1; i >= 0; i--)
        cr_assert_eq(mob_group_join(mob_bot_get(loop, i), 5), 0);
    /* Every third bot leaves, in a scattered order (7919 is prime to BIG_GROUP). */
    int left = 0;
    for (long k = 0; k < BIG_GROUP; k++) {
        int id = (int)(k * 7919 % BIG_GROUP);
        if (id % 3 == 0) {
            cr_assert_eq(mob_group_leave(mob_bot_get(loop, id), 5), 0);
            left++;
        }
    }
    static int ids[BIG_GROUP];
    int n = mob_group_members(loop, 5, ids, BIG_GROUP);
    cr_assert_eq(n, BIG_GROUP - left);
    for (int i = 0; i < n; i++) {
        cr_assert_neq(ids[i] % 3, 0);
        if (i > 0)
            cr_assert_gt(ids[i], ids[i - 1]);
    }
    cr_assert_eq(mob_post_group(loop, 5, 0, "x", 1), n);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_group_members(loop, 5, NULL, 0), 0, "returned bots left the group");
    cr_assert_eq(mob_loop_free(loop), 0);
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
    mob_loop *loop = new_loop(MOB_LOCKSTEP);
    mob_spawn(loop, rules_sender, NULL);
    mob_spawn(loop, returns_at_once, NULL);
    mob_spawn(loop, counts_at_end, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(mode);
    mob_spawn(loop, payload_sender, NULL);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, payload_receiver, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(mode);
    cr_assert_eq(mob_loop_add_hook(loop, count_tick, NULL, NULL), 0);
    mob_spawn(loop, host_receiver, NULL);
    cr_assert_eq(mob_post(loop, 0, 0, "h", 1), 1);
    cr_assert_eq(mob_post(loop, 5, 0, "h", 1), -ESRCH);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(MOB_LOCKSTEP);
    cr_assert_eq(mob_loop_add_hook(loop, count_tick, NULL, NULL), 0);
    cr_assert_eq(mob_loop_add_hook(loop, post_before_tick2, post_after_tick2, NULL), 0);
    mob_spawn(loop, hook_watcher, NULL);
    run_and_free(loop);
    cr_assert_eq(hook_seen[1], 2);
    cr_assert_eq(hook_seen[2], 3);
}

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
    mob_loop *loop = new_loop(mode);
    mob_spawn(loop, says_its_id, NULL);
    mob_spawn(loop, says_its_id, NULL);
    mob_spawn(loop, filtered_receiver, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(mode);
    mob_spawn(loop, pred_receiver, NULL);
    mob_spawn(loop, pred_sender, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(MOB_FREE);
    mob_spawn(loop, waiting_receiver, NULL);
    mob_spawn(loop, waking_sender, NULL);
    run_and_free(loop);
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
    run_and_free(loop);
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
    mob_loop *loop = new_loop(MOB_FREE);
    mob_spawn(loop, no_block, NULL);
    run_and_free(loop);
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
    mob_loop *loop = new_loop(mode);
    mob_bot *r = mob_spawn(loop, recv_forever, NULL);
    mob_spawn(loop, canceller, r);
    run_and_free(loop);
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
