/* SPDX-License-Identifier: MIT */
/*
 * test_arena_proto.c: the arena wire format (src/arena/arena_proto.c): every client message
 * survives an encode and a decode. The server's behaviour is in test_arena.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mob_arena.h"

Test(arena, codec_round_trips_every_client_message)
{
    const mob_arena_msg in[] = {
        {.type = MOB_ARENA_LOGIN, .text = "zed", .text_len = 3},
        {.type = MOB_ARENA_LIST},
        {.type = MOB_ARENA_JOIN, .room = 513},
        {.type = MOB_ARENA_MOVE, .dx = -1, .dy = 1},
        {.type = MOB_ARENA_CHAT, .text = "yo", .text_len = 2},
        {.type = MOB_ARENA_LEAVE},
        {.type = MOB_ARENA_PING, .token = 0xdeadbeef},
        {.type = MOB_ARENA_STATE, .id = 9, .x = -3, .y = 300},
        {.type = MOB_ARENA_ERROR, .code = 7, .text = "room full", .text_len = 9},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        uint8_t buf[64];
        int n = mob_arena_encode(&in[i], buf, sizeof buf);
        cr_assert_gt(n, 0);
        mob_arena_msg out;
        cr_assert_eq(mob_arena_decode(buf, (size_t)n, &out), 0, "%s",
                     mob_arena_type_name(in[i].type));
        cr_expect_eq(out.type, in[i].type);
        cr_expect_eq(out.room, in[i].room);
        cr_expect_eq(out.dx, in[i].dx);
        cr_expect_eq(out.dy, in[i].dy);
        cr_expect_eq(out.x, in[i].x);
        cr_expect_eq(out.y, in[i].y);
        cr_expect_eq(out.id, in[i].id);
        cr_expect_eq(out.code, in[i].code);
        cr_expect_eq(out.token, in[i].token);
        cr_expect_eq(out.text_len, in[i].text_len);
        /* Every strict prefix is an error, never a read past the end. */
        for (int k = 0; k < n; k++)
            cr_expect_neq(mob_arena_decode(buf, (size_t)k, &out), 0);
    }
    uint8_t tiny[2];
    mob_arena_msg l = {.type = MOB_ARENA_LOGIN, .text = "abc", .text_len = 3};
    cr_expect_eq(mob_arena_encode(&l, tiny, sizeof tiny), -ENOBUFS);
    mob_arena_msg bad = {.type = 0x55};
    cr_expect_eq(mob_arena_encode(&bad, tiny, sizeof tiny), -EINVAL);
    cr_expect_eq(mob_arena_decode("\x55", 1, &l), -ENOTSUP);
}
