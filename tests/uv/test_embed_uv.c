/* SPDX-License-Identifier: MIT */
/*
 * test_embed_uv.c: a mob loop inside a libuv loop, as a game server built on libuv would embed
 * bots. libuv watches mob's backend fd (a uv_poll_t) and keeps one uv_timer_t armed for
 * mob_loop_backend_timeout(); either one calls mob_loop_step(loop, 0), which runs the bots it
 * woke, then re-arms the timer. A uv_prepare_t re-arms it too before every libuv iteration,
 * so that whatever the host did meanwhile (here: post to a bot from a libuv timer) is seen.
 *
 * libuv is a test-only dependency: this file is built into its own binary by `make test-uv`
 * (libuv1-dev from Debian), never into libmob or build/tests/run. The poll backend has no
 * backend fd, so this test needs epoll or kqueue.
 */
#include <criterion/criterion.h>
#include <uv.h>

#include "../embed_horde.h"

struct host {
    uv_loop_t uv;
    uv_poll_t poll;
    uv_timer_t timer, post_timer;
    uv_prepare_t prepare;
    mob_loop *loop;
    struct horde h;
    int steps, alive, closed;
};

static void on_timer(uv_timer_t *t);

static void arm(struct host *host)
{
    int64_t t = mob_loop_backend_timeout(host->loop);
    if (t < 0) {
        uv_timer_stop(&host->timer);
        return;
    }
    /* libuv's timers count whole milliseconds: round up, never wake before the deadline. */
    uv_timer_start(&host->timer, on_timer, (uint64_t)((t + MOB_NS_PER_MS - 1) / MOB_NS_PER_MS),
                   0);
}

static void on_close(uv_handle_t *h)
{
    ((struct host *)h->data)->closed++;
}

static void step(struct host *host)
{
    host->steps++;
    host->alive = mob_loop_step(host->loop, 0);
    if (host->alive <= 0) {
        uv_close((uv_handle_t *)&host->poll, on_close);
        uv_close((uv_handle_t *)&host->timer, on_close);
        uv_close((uv_handle_t *)&host->prepare, on_close);
        uv_close((uv_handle_t *)&host->post_timer, on_close);
        return;
    }
    arm(host);
}

static void on_timer(uv_timer_t *t) { step(t->data); }

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    step(p->data);
}

static void on_prepare(uv_prepare_t *p)
{
    struct host *host = p->data;
    if (!uv_is_closing((uv_handle_t *)&host->timer))
        arm(host);
}

static void on_post(uv_timer_t *t)
{
    struct host *host = t->data;
    horde_host_post(host->loop, &host->h);
}

Test(embed_uv, a_libuv_loop_runs_sleeping_io_and_talking_bots, .timeout = 10)
{
    static struct host host; /* libuv handles must not move */
    cr_assert_eq(uv_loop_init(&host.uv), 0);
    host.loop = mob_loop_new(NULL);
    cr_assert_not_null(host.loop);
    int bfd = mob_loop_backend_fd(host.loop);
    cr_assert_geq(bfd, 0, "needs a backend fd (epoll or kqueue), not %s", mob_backend_name());
    horde_spawn(host.loop, &host.h);

    cr_assert_eq(uv_poll_init(&host.uv, &host.poll, bfd), 0);
    cr_assert_eq(uv_timer_init(&host.uv, &host.timer), 0);
    cr_assert_eq(uv_timer_init(&host.uv, &host.post_timer), 0);
    cr_assert_eq(uv_prepare_init(&host.uv, &host.prepare), 0);
    host.poll.data = host.timer.data = host.post_timer.data = host.prepare.data = &host;
    cr_assert_eq(uv_poll_start(&host.poll, UV_READABLE, on_poll), 0);
    cr_assert_eq(uv_prepare_start(&host.prepare, on_prepare), 0);
    cr_assert_eq(uv_timer_start(&host.post_timer, on_post, 15, 0), 0);
    arm(&host);

    cr_assert_eq(uv_run(&host.uv, UV_RUN_DEFAULT), 0);
    cr_assert_eq(host.alive, 0);
    cr_assert_eq(host.closed, 4);
    /* Woken by the backend fd or a deadline, not polled: a few steps per bot, not thousands. */
    cr_assert_lt(host.steps, 100, "%d steps", host.steps);
    horde_check(&host.h);
    cr_assert_eq(mob_loop_free(host.loop), 0);
    cr_assert_eq(uv_loop_close(&host.uv), 0);
}
