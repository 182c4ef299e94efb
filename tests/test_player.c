/* SPDX-License-Identifier: MIT */
/*
 * test_player.c: the player scenario at scale, in-process: an arena and 200 player bots in
 * one loop on the real clock. Every player must finish and every chat must be seen by every
 * room-mate; the recorder must have been called for every action.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mob.h"
#include "mob_arena.h"

struct rec {
    int64_t ok[MOB_ARENA_ACT_COUNT];
    int64_t errors;
    int64_t nonpositive; /* successful actions timed at <= 0 ns */
};

static void record(void *ud, int action, int64_t latency_ns, int fail)
{
    struct rec *r = ud;
    if (fail) {
        r->errors++;
        return;
    }
    r->ok[action]++;
    if (latency_ns <= 0)
        r->nonpositive++;
}

struct stopper {
    mob_arena *arena;
    mob_bot **players;
    int n;
};

/* Waits for every player, then stops the arena so the loop can end. */
static intptr_t stopper_main(mob_bot *self, void *arg)
{
    struct stopper *s = arg;
    for (int i = 0; i < s->n; i++)
        mob_join(self, s->players[i], NULL, MOB_FOREVER);
    mob_arena_stop(s->arena);
    return 0;
}

static void play_clock(int n, int room_size, int use_ws, int rounds, int virtual_clock)
{
    mob_loop_options lo = {0};
    lo.virtual_clock = virtual_clock;
    mob_loop *loop = mob_loop_new(&lo);
    cr_assert(loop);
    mob_arena_options ao = mob_arena_options_default();
    ao.port = use_ws ? -1 : 0;
    ao.ws_port = use_ws ? 0 : -1;
    mob_arena *arena;
    cr_assert_eq(mob_arena_start(loop, &ao, &arena), 0);

    struct rec r;
    memset(&r, 0, sizeof r);
    mob_arena_player_options po = {0};
    po.host = "127.0.0.1";
    po.port = use_ws ? mob_arena_ws_port(arena) : mob_arena_port(arena);
    po.use_ws = use_ws;
    po.players = n;
    po.room_size = room_size;
    po.moves = 3;
    po.chats = 2;
    po.timeout_ns = 10 * MOB_NS_PER_SEC;
    po.rounds = rounds;
    po.record = record;
    po.record_ud = &r;
    mob_arena_player_totals tot;
    memset(&tot, 0, sizeof tot);
    mob_arena_player_arg pa = {&po, &tot};
    mob_bot **players = calloc((size_t)n, sizeof *players);
    cr_assert(players);
    for (int i = 0; i < n; i++) {
        players[i] = mob_spawn(loop, mob_arena_player, &pa);
        cr_assert(players[i]);
        if (i == 0)
            po.first_bot_id = mob_bot_id(players[0]);
        cr_assert_eq(mob_bot_id(players[i]), po.first_bot_id + i, "player ids are consecutive");
    }
    struct stopper s = {arena, players, n};
    mob_spawn(loop, stopper_main, &s);
    cr_assert_eq(mob_loop_run(loop), 0);

    mob_arena_stats st;
    mob_arena_get_stats(arena, &st);
    int64_t expected = 0;
    for (int i = 0; i < n; i++) {
        int first = i / room_size * room_size;
        int last = first + room_size < n ? first + room_size : n;
        expected += (int64_t)(last - first - 1) * po.chats * rounds;
        cr_expect_eq(mob_bot_result(players[i]), 0, "player %d: %s", i,
                     mob_strerror((int)mob_bot_result(players[i])));
    }
    free(players);
    cr_assert_eq(mob_loop_free(loop), 0);
    mob_arena_free(arena);

    cr_assert_eq(tot.failed, 0);
    cr_assert_eq(tot.done, n);
    cr_assert_eq(tot.chats_expected, expected);
    cr_assert_eq(tot.chats_seen, expected, "every chat seen by every room-mate");
    cr_assert_eq(r.errors, 0);
    cr_assert_eq(r.ok[MOB_ARENA_ACT_LOGIN], n);
    cr_assert_eq(r.ok[MOB_ARENA_ACT_JOIN], (int64_t)n * rounds);
    cr_assert_eq(tot.rounds, (int64_t)n * rounds);
    cr_assert_eq(r.ok[MOB_ARENA_ACT_MOVE], (int64_t)n * po.moves * rounds);
    cr_assert_eq(r.ok[MOB_ARENA_ACT_CHAT_SEEN], expected);
    cr_assert_eq(r.nonpositive, 0);
    cr_assert_eq(st.chats, (int64_t)n * po.chats * rounds, "the server relayed every chat");
    cr_assert_eq(st.dropped_slow, 0);
    cr_assert_eq(st.players_online, 0, "everyone logged out");
}

static void play(int n, int room_size, int use_ws, int rounds)
{
    play_clock(n, room_size, use_ws, rounds, 0);
}

Test(player, two_hundred_bots_on_a_virtual_clock_see_every_room_mates_chat, .timeout = 30)
{
    play_clock(200, 8, 0, 2, 1);
}

Test(player, two_hundred_bots_over_tcp_see_every_room_mates_chat, .timeout = 30)
{
    play(200, 8, 0, 1);
}

Test(player, two_hundred_bots_over_websocket_see_every_room_mates_chat, .timeout = 30)
{
    play(200, 8, 1, 1);
}

Test(player, a_last_room_with_one_player_finishes_alone, .timeout = 10)
{
    play(9, 8, 0, 1); /* rooms of 8 and 1: the lone player has nobody to wait for */
}

Test(player, room_mates_agree_on_the_number_of_rounds, .timeout = 20)
{
    play(50, 5, 0, 4); /* every room plays 4 rounds, rejoining after each leave */
}

Test(player, a_deadline_ends_every_room_after_a_whole_round, .timeout = 20)
{
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert(loop);
    mob_arena *arena;
    cr_assert_eq(mob_arena_start(loop, NULL, &arena), 0);
    mob_arena_player_options po = {0};
    po.host = "127.0.0.1";
    po.port = mob_arena_port(arena);
    po.players = 60;
    po.room_size = 6;
    po.rounds = 1000000;
    po.until = mob_now(loop) + MOB_NS_PER_SEC / 5;
    mob_arena_player_totals tot;
    memset(&tot, 0, sizeof tot);
    mob_arena_player_arg pa = {&po, &tot};
    mob_bot *players[60];
    for (int i = 0; i < 60; i++)
        players[i] = mob_spawn(loop, mob_arena_player, &pa);
    po.first_bot_id = mob_bot_id(players[0]);
    struct stopper s = {arena, players, 60};
    mob_spawn(loop, stopper_main, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    mob_arena_free(arena);
    cr_assert_eq(tot.failed, 0);
    cr_assert_eq(tot.done, 60);
    cr_assert_gt(tot.rounds, 60, "more than one round in 200 ms");
    cr_assert_eq(tot.rounds % 6, 0, "whole rooms play whole rounds");
    cr_assert_eq(tot.chats_seen, tot.chats_expected);
}
