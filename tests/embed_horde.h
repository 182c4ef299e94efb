/* SPDX-License-Identifier: MIT */
/*
 * embed_horde.h: the bots that the embedding tests (test_embed.c with a plain poll loop,
 * tests/uv/test_embed_uv.c inside libuv) run under a host's own event loop: one sleeps, two
 * talk over a socketpair, two talk by mailbox, one waits for a message from the host.
 */
#ifndef MOB_TEST_EMBED_HORDE_H
#define MOB_TEST_EMBED_HORDE_H

#include <stdint.h>
#include <sys/types.h>

#include "mob.h"

struct horde {
    int sv[2];
    int64_t t0, slept_ns;   /* the sleeper: 30 ms asked */
    char got[8];            /* the reader: "ping" from the writer, after 20 ms */
    ssize_t n;
    int listener_id;        /* the mailbox listener, told "hello" by the talker after 10 ms */
    char heard[8];
    int host_heard;         /* the bot waiting for the host's message got it */
    int waiter_id;
};

/* Spawns the six bots (from the host). */
void horde_spawn(mob_loop *loop, struct horde *h);
/* The host's own event: posts a message to the bot waiting for one. */
void horde_host_post(mob_loop *loop, struct horde *h);
/* Asserts (on the host) that every bot did its part, and closes the socketpair. */
void horde_check(struct horde *h);

#endif
