/* SPDX-License-Identifier: MIT */
/*
 * test_idle.c: a lockstep loop whose bots wait by asking (mob_ready, mob_has_message in a
 * yield loop, as testtoolkit's bots did) blocks while nothing happens instead of spinning:
 * the tick count stays small over 300 ms of idleness, while tick order, message visibility
 * and bots that do work between yields are untouched. The CPU figure is mob-bench idle's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

#define MS MOB_NS_PER_MS

static int64_t ticks_of(mob_loop *loop)
{
    mob_loop_stats st;
    mob_loop_get_stats(loop, &st);
    return st.ticks;
}

static mob_loop *lockstep(void)
{
    mob_loop_options o = {.mode = MOB_LOCKSTEP};
    return mob_loop_new(&o);
}

/* ---- an idle listening socket --------------------------------------------------------------- */

struct lis {
    int lfd, port, accepted;
};

static intptr_t wait_by_asking(mob_bot *self, void *arg)
{
    struct lis *l = arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_watch(self, l->lfd);
    while (!(mob_ready(loop, l->lfd) & MOB_IN))
        if (mob_yield(self) < 0)
            return 1;
    int fd = accept(l->lfd, NULL, NULL);
    l->accepted = fd >= 0;
    if (fd >= 0)
        close(fd);
    mob_unwatch(self, l->lfd);
    return 0;
}

static intptr_t connect_later(mob_bot *self, void *arg)
{
    struct lis *l = arg;
    mob_sleep(self, 300 * MS);
    int fd = mob_tcp_connect(self, "127.0.0.1", l->port, NULL, mob_now(mob_bot_loop(self)) + 1000 * MS);
    cr_expect_geq(fd, 0);
    return 0;
}

Test(idle, an_idle_listening_socket_does_not_spin_the_lockstep_loop, .timeout = 5)
{
    struct lis l = {0};
    l.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    cr_assert_geq(l.lfd, 0);
    l.port = mob_local_port(l.lfd);
    mob_loop *loop = lockstep();
    mob_spawn(loop, wait_by_asking, &l);
    mob_spawn(loop, connect_later, &l);
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_loop_run(loop), 0);
    int64_t took = mob_clock_ns() - t0;
    cr_assert(l.accepted);
    cr_assert_geq(took, 290 * MS);
    /* It spun through some 100,000 ticks before; now a handful (start, the wake-ups). */
    cr_assert_lt(ticks_of(loop), 20, "%lld ticks in 300 ms idle", (long long)ticks_of(loop));
    cr_assert_eq(mob_loop_free(loop), 0);
    close(l.lfd);
}

/* ---- waiting for a message by asking ------------------------------------------------------- */

struct talk {
    int64_t sent_tick, seen_tick;
};

static intptr_t ask_for_message(mob_bot *self, void *arg)
{
    struct talk *t = arg;
    mob_loop *loop = mob_bot_loop(self);
    while (!mob_has_message(self, NULL))
        if (mob_yield(self) < 0)
            return 1;
    t->seen_tick = ticks_of(loop);
    mob_msg m;
    cr_expect_eq(mob_try_recv(self, &m, NULL), 0);
    return 0;
}

static intptr_t send_later(mob_bot *self, void *arg)
{
    struct talk *t = arg;
    mob_sleep(self, 300 * MS);
    t->sent_tick = ticks_of(mob_bot_loop(self));
    mob_send(self, 0, 1, "hi", 2);
    return 0;
}

Test(idle, a_bot_asking_for_mail_waits_without_spinning_and_sees_it_the_next_tick, .timeout = 5)
{
    struct talk t = {0};
    mob_loop *loop = lockstep();
    mob_spawn(loop, ask_for_message, &t);
    mob_spawn(loop, send_later, &t);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_gt(t.sent_tick, 0);
    cr_assert_eq(t.seen_tick, t.sent_tick + 1, "visible in the next tick, as ever");
    cr_assert_lt(ticks_of(loop), 20, "%lld ticks", (long long)ticks_of(loop));
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- a connected socket, asked for input only ----------------------------------------------- */

struct pair {
    int sv[2];
    char got[8];
};

static intptr_t ask_for_input(mob_bot *self, void *arg)
{
    struct pair *p = arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_watch_for(self, p->sv[0], MOB_IN);
    while (!(mob_ready(loop, p->sv[0]) & MOB_IN))
        if (mob_yield(self) < 0)
            return 1;
    cr_expect_eq(mob_ready(loop, p->sv[0]) & MOB_OUT, 0u, "only what was asked for");
    cr_expect_eq(recv(p->sv[0], p->got, sizeof p->got - 1, 0), 4);
    mob_unwatch(self, p->sv[0]);
    return 0;
}

static intptr_t write_later(mob_bot *self, void *arg)
{
    struct pair *p = arg;
    mob_sleep(self, 300 * MS);
    cr_expect_eq(write(p->sv[1], "ping", 4), 4);
    return 0;
}

Test(idle, a_connected_socket_watched_for_input_only_lets_the_loop_rest, .timeout = 5)
{
    struct pair p = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv), 0);
    mob_loop *loop = lockstep();
    mob_spawn(loop, ask_for_input, &p);
    mob_spawn(loop, write_later, &p);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_str_eq(p.got, "ping");
    cr_assert_lt(ticks_of(loop), 20, "%lld ticks", (long long)ticks_of(loop));
    cr_assert_eq(mob_loop_free(loop), 0);
    close(p.sv[0]);
    close(p.sv[1]);
}

/* ---- what must not be held up -------------------------------------------------------------- */

struct busy {
    int lfd;
    int done;
    int turns;
};

static intptr_t ask_until_done(mob_bot *self, void *arg)
{
    struct busy *b = arg;
    mob_watch(self, b->lfd);
    while (!b->done) {
        mob_ready(mob_bot_loop(self), b->lfd);
        mob_yield(self);
    }
    mob_unwatch(self, b->lfd);
    return 0;
}

static intptr_t count_turns(mob_bot *self, void *arg)
{
    struct busy *b = arg;
    for (b->turns = 0; b->turns < 2000; b->turns++)
        mob_yield(self); /* works between yields: asks nothing, so never idle */
    b->done = 1;
    return 0;
}

Test(idle, a_bot_working_between_yields_keeps_every_tick_going, .timeout = 5)
{
    struct busy b = {0};
    b.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    mob_loop *loop = lockstep();
    mob_spawn(loop, ask_until_done, &b);
    mob_spawn(loop, count_turns, &b);
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_loop_run(loop), 0);
    /* 2,000 ticks: one wait of 0.5 s would already be a tick held up. */
    TIME_EXPECT(mob_clock_ns() - t0, 0, 400);
    cr_assert_eq(b.turns, 2000);
    cr_assert_eq(mob_loop_free(loop), 0);
    close(b.lfd);
}

struct parked {
    int sv[2];
    int lfd;
    int done;
    ssize_t n;
};

static intptr_t parked_reader(mob_bot *self, void *arg)
{
    struct parked *p = arg;
    char buf[8];
    p->n = mob_read(self, p->sv[0], buf, sizeof buf, MOB_FOREVER);
    p->done = 1;
    return 0;
}

static intptr_t ask_until_reader_done(mob_bot *self, void *arg)
{
    struct parked *p = arg;
    mob_watch_for(self, p->lfd, MOB_IN);
    while (!p->done) {
        mob_ready(mob_bot_loop(self), p->lfd);
        mob_yield(self);
    }
    mob_unwatch(self, p->lfd);
    return 0;
}

Test(idle, an_event_for_a_bot_parked_on_an_fd_ends_an_idle_wait, .timeout = 5)
{
    struct parked p = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv), 0);
    p.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    mob_loop *loop = lockstep();
    mob_spawn(loop, parked_reader, &p);
    mob_spawn(loop, ask_until_reader_done, &p);
    int64_t t0 = mob_clock_ns();
    /* From another process, while the loop waits: only the poller can tell the reader. */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        _exit(write(p.sv[1], "x", 1) == 1 ? 0 : 1);
    }
    cr_assert_eq(mob_loop_run(loop), 0);
    int status;
    waitpid(pid, &status, 0);
    cr_assert_eq(p.n, 1);
    /* Woken by the reader's event after 100 ms, not by the 0.5 s bound of an idle wait (the
     * poll backend, with no fd of its own to watch, looks every 10 ms). */
    TIME_EXPECT(mob_clock_ns() - t0, 100 * MS, 150);
    cr_assert_eq(mob_close(NULL, p.sv[0]), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    close(p.sv[1]);
    close(p.lfd);
}
