/* SPDX-License-Identifier: MIT */
/*
 * test_embed.c: a host program with its own event loop drives mob: it watches the poller's fd
 * (mob_loop_backend_fd), sleeps no longer than mob_loop_backend_timeout, and calls
 * mob_loop_step(0) when either fires, as a game server that embeds bots would; the same in
 * libuv is tests/uv/test_embed_uv.c. The socketpair is left blocking on purpose: mob makes an fd it did
 * not create non-blocking on first use, so a bot's read can never block the host's thread.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "embed_horde.h"
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

Test(embed, a_bot_woken_by_the_hosts_step_runs_in_that_same_step, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct reader r = {.fd = sv[0], .n = -1};
    mob_spawn(loop, read_one, &r);
    cr_assert_eq(mob_loop_step(loop, 0), 1, "the bot runs and parks on its read");
    cr_assert_eq(r.n, -1);
    cr_assert_eq(mob_loop_backend_timeout(loop), -1, "only I/O can wake it");

    int bfd = mob_loop_backend_fd(loop);
    cr_assert_eq(write(sv[1], "ping", 4), 4);
    if (bfd >= 0) {
        struct pollfd p = {.fd = bfd, .events = POLLIN};
        cr_assert_eq(poll(&p, 1, 1000), 1, "the backend fd tells the host mob has work");
    }
    /* One step collects the event and runs the bot it woke. */
    cr_assert_eq(mob_loop_step(loop, 0), 0);
    cr_assert_eq(r.n, 4);
    cr_assert_str_eq(r.got, "ping");
    close(sv[1]);
    /* The loop knows sv[0] (a bot waited on it): close it through mob, which forgets it. */
    cr_assert_eq(mob_close(NULL, sv[0]), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t nap(mob_bot *self, void *arg)
{
    (void)arg;
    mob_sleep(self, 50 * MOB_NS_PER_MS);
    return 0;
}

Test(embed, backend_timeout_is_zero_the_next_deadline_or_forever, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, nap, NULL);
    cr_assert_eq(mob_loop_backend_timeout(loop), 0, "a bot is runnable");
    cr_assert_eq(mob_loop_step(loop, 0), 1);
    int64_t t = mob_loop_backend_timeout(loop);
    cr_assert(t > 0 && t <= 50 * MOB_NS_PER_MS, "until the nap ends: %lld ns", (long long)t);
    struct timespec ts = {0, (long)t};
    nanosleep(&ts, NULL);
    cr_assert_eq(mob_loop_backend_timeout(loop), 0, "the deadline has passed");
    cr_assert_eq(mob_loop_step(loop, 0), 0, "and the step that fires it runs the bot");
    cr_assert_eq(mob_loop_backend_timeout(loop), -1, "nobody left");
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(embed, a_plain_poll_loop_runs_sleeping_io_and_talking_bots, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct horde h;
    horde_spawn(loop, &h);
    int bfd = mob_loop_backend_fd(loop), alive = 1, rounds = 0, posted = 0;
    int64_t start = mob_clock_ns();
    while (alive > 0) {
        cr_assert_lt(++rounds, 200, "the host loop spins");
        int64_t t = mob_loop_backend_timeout(loop);
        /* The host's own timer: at 15 ms it posts to a bot. */
        int64_t host_due = posted ? -1 : start + 15 * MOB_NS_PER_MS - mob_clock_ns();
        if (host_due >= 0 && (t < 0 || host_due < t))
            t = host_due;
        int ms = t < 0 ? -1 : (int)((t + MOB_NS_PER_MS - 1) / MOB_NS_PER_MS);
        if (bfd >= 0) {
            struct pollfd p = {.fd = bfd, .events = POLLIN};
            poll(&p, 1, ms);
        } else {
            /* The poll backend has no fd to watch: let the step itself wait. */
            alive = mob_loop_step(loop, ms < 0 ? 10 * MOB_NS_PER_MS : t);
        }
        if (!posted && mob_clock_ns() >= start + 15 * MOB_NS_PER_MS) {
            horde_host_post(loop, &h);
            posted = 1;
        }
        alive = mob_loop_step(loop, 0);
        cr_assert_geq(alive, 0);
    }
    horde_check(&h);
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
