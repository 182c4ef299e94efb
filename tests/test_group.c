/* SPDX-License-Identifier: MIT */
/*
 * test_group.c: groups of bots (src/core/msg_group.c): testtoolkit's test_groups in both
 * scheduling modes, join and leave rules, ascending member lists after out-of-order joins,
 * table growth, bots that return leave their groups, and 100,000 members.
 *
 * Bots never cr_assert: they record into globals (each test runs in its own process) and the
 * test asserts after mob_loop_run returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "mob.h"

static intptr_t returns_at_once(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return 0;
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
    mob_loop *loop = test_loop_new(mode);
    for (int i = 0; i < 3; i++)
        mob_spawn(loop, tt_group_bot, NULL);
    test_loop_run_free(loop);
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
    mob_loop *loop = test_loop_new(MOB_FREE);
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
    test_loop_run_free(loop);
}

Test(group, members_are_listed_in_ascending_order_after_out_of_order_joins, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
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
    test_loop_run_free(loop);
}

Test(group, many_groups_survive_table_growth_and_removal, .timeout = 5)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
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
    test_loop_run_free(loop);
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
    mob_loop *loop = test_loop_new(MOB_FREE);
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
