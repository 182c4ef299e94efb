/* SPDX-License-Identifier: MIT */
/*
 * test_embed.c: a host program with its own event loop drives mob: it watches the poller's fd
 * (mob_loop_backend_fd) and calls mob_loop_step(0) when that fd is readable, as a game server
 * that embeds bots would. The socketpair is left blocking on purpose: mob makes an fd it did
 * not create non-blocking on first use, so a bot's read can never block the host's thread.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

struct reader {
    int fd;
    char got[16];
    ssize_t n;
};

static intptr_t read_one(mob_bot *self, void *arg)
{
    struct reader *r = arg;
    r->n = mob_read(self, r->fd, r->got, sizeof r->got - 1, MOB_FOREVER);
    return 0;
}

Test(embed, a_host_loop_drives_bots_through_the_backend_fd, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct reader r = {.fd = sv[0], .n = -1};
    mob_spawn(loop, read_one, &r);
    cr_assert_eq(mob_loop_step(loop, 0), 1, "the bot runs and parks on its read");
    cr_assert_eq(r.n, -1);

    int bfd = mob_loop_backend_fd(loop);
    if (bfd < 0) {
        /* The poll backend has no fd to watch: the host can only step with a timeout. */
        cr_assert_eq(write(sv[1], "ping", 4), 4);
        /* The first step's poll wakes the bot; the next one runs it. */
        int alive = mob_loop_step(loop, 100 * MOB_NS_PER_MS);
        if (alive > 0)
            alive = mob_loop_step(loop, 0);
        cr_assert_eq(alive, 0);
    } else {
        struct pollfd p = {.fd = bfd, .events = POLLIN};
        cr_assert_eq(poll(&p, 1, 0), 0, "nothing to do yet");
        cr_assert_eq(write(sv[1], "ping", 4), 4);
        cr_assert_eq(poll(&p, 1, 1000), 1, "the backend fd tells the host mob has work");
        /* One step may only collect the event; a second runs the woken bot. */
        int alive = mob_loop_step(loop, 0);
        if (alive > 0)
            alive = mob_loop_step(loop, 0);
        cr_assert_eq(alive, 0);
    }
    cr_assert_eq(r.n, 4);
    cr_assert_str_eq(r.got, "ping");
    close(sv[1]);
    /* The loop knows sv[0] (a bot waited on it): close it through mob, which forgets it. */
    cr_assert_eq(mob_close(NULL, sv[0]), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static int befores, afters, order[8], norder;
static void hook_before(mob_loop *loop, void *ud)
{
    (void)loop;
    befores++;
    if (norder < 8)
        order[norder++] = (int)(intptr_t)ud;
}
static void hook_after(mob_loop *loop, void *ud)
{
    (void)loop;
    afters++;
    if (norder < 8)
        order[norder++] = -(int)(intptr_t)ud;
}

static intptr_t yield_once(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    return 0;
}

Test(embed, step_runs_hooks_around_each_step_like_nested_wrappers, .timeout = 5)
{
    mob_loop_options lo = {.mode = MOB_LOCKSTEP};
    mob_loop *loop = mob_loop_new(&lo);
    befores = afters = norder = 0;
    mob_loop_add_hook(loop, hook_before, hook_after, (void *)1);
    mob_loop_add_hook(loop, hook_before, hook_after, (void *)2);
    mob_spawn(loop, yield_once, NULL);
    mob_loop_step(loop, 0);
    cr_assert_eq(norder, 4);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(order[2], -2);
    cr_assert_eq(order[3], -1);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(befores, afters);
    cr_assert_eq(mob_loop_free(loop), 0);
}
