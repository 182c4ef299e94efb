/* SPDX-License-Identifier: MIT */
/*
 * test_io_lockstep.c: the lockstep readiness snapshot (testtoolkit's server_wrapper). mob_watch
 * takes effect after the current tick, an unwatch in the same tick cancels it, and mob_ready
 * answers from the snapshot taken after the previous tick, never from the fd's state now.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

struct snap {
    int sp[2];
    unsigned r[8];
    int64_t reg[8];
};

static int64_t registered(mob_bot *self)
{
    mob_loop_stats st;
    mob_loop_get_stats(mob_bot_loop(self), &st);
    return st.fds_registered;
}

static intptr_t tick_writer(mob_bot *self, void *arg)
{
    struct snap *s = arg;
    mob_yield(self);                      /* tick 1: nothing */
    write(s->sp[1], "x", 1);              /* tick 2: data arrives, before the watcher runs */
    mob_yield(self);
    return 0;
}

static intptr_t tick_watcher(mob_bot *self, void *arg)
{
    struct snap *s = arg;
    mob_loop *loop = mob_bot_loop(self);
    /* tick 1 */
    mob_watch(self, s->sp[0]);
    s->r[0] = mob_ready(loop, s->sp[0]); /* not watched until the tick ends */
    s->reg[0] = registered(self);
    mob_yield(self);
    /* tick 2: the snapshot of the end of tick 1: writable, nothing to read yet, although the
     * writer has written by now (it runs first in each tick) */
    s->r[1] = mob_ready(loop, s->sp[0]);
    s->reg[1] = registered(self);
    mob_yield(self);
    /* tick 3: the data shows */
    s->r[2] = mob_ready(loop, s->sp[0]);
    char c;
    read(s->sp[0], &c, 1);
    mob_unwatch(self, s->sp[0]);
    s->r[3] = mob_ready(loop, s->sp[0]); /* still the old snapshot */
    mob_yield(self);
    /* tick 4: unwatched */
    s->r[4] = mob_ready(loop, s->sp[0]);
    s->reg[4] = registered(self);
    return 0;
}

Test(lockstep_io, ready_answers_from_the_previous_ticks_snapshot, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(&(mob_loop_options){.mode = MOB_LOCKSTEP});
    struct snap s = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s.sp), 0);
    fcntl(s.sp[0], F_SETFL, O_NONBLOCK);
    mob_spawn(loop, tick_writer, &s);
    mob_spawn(loop, tick_watcher, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.r[0], 0u);
    cr_assert_eq(s.reg[0], 0);
    cr_assert_eq(s.r[1], MOB_OUT, "tick 2 saw %u", s.r[1]);
    cr_assert_eq(s.reg[1], 1);
    cr_assert_eq(s.r[2], MOB_IN | MOB_OUT, "tick 3 saw %u", s.r[2]);
    cr_assert_eq(s.r[3], MOB_IN | MOB_OUT);
    cr_assert_eq(s.r[4], 0u);
    cr_assert_eq(s.reg[4], 0);
    close(s.sp[0]);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t watch_unwatch(mob_bot *self, void *arg)
{
    struct snap *s = arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_watch(self, s->sp[0]);
    mob_unwatch(self, s->sp[0]); /* cancels the pending watch */
    mob_yield(self);
    s->r[0] = mob_ready(loop, s->sp[0]);
    s->reg[0] = registered(self);
    s->r[1] = (unsigned)-mob_unwatch(self, s->sp[0]); /* nothing to unwatch */
    /* watch, then unwatch and watch again in one tick: stays watched */
    mob_watch(self, s->sp[0]);
    mob_yield(self);
    mob_unwatch(self, s->sp[0]);
    mob_watch(self, s->sp[0]);
    mob_yield(self);
    s->r[2] = mob_ready(loop, s->sp[0]);
    mob_close(self, s->sp[0]); /* closing forgets the watch too */
    s->reg[2] = registered(self);
    return 0;
}

Test(lockstep_io, an_unwatch_in_the_same_tick_cancels_the_watch, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(&(mob_loop_options){.mode = MOB_LOCKSTEP});
    struct snap s = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s.sp), 0);
    write(s.sp[1], "x", 1);
    mob_spawn(loop, watch_unwatch, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.r[0], 0u);
    cr_assert_eq(s.reg[0], 0);
    cr_assert_eq(s.r[1], (unsigned)ENOENT);
    cr_assert_eq(s.r[2], MOB_IN | MOB_OUT);
    cr_assert_eq(s.reg[2], 0);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t hup_watcher(mob_bot *self, void *arg)
{
    struct snap *s = arg;
    mob_watch(self, s->sp[0]);
    mob_yield(self);
    close(s->sp[1]);
    mob_yield(self); /* the snapshot after this tick sees the hang-up */
    s->r[0] = mob_ready(mob_bot_loop(self), s->sp[0]);
    mob_close(self, s->sp[0]);
    return 0;
}

Test(lockstep_io, a_hangup_shows_as_readable_with_err, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(&(mob_loop_options){.mode = MOB_LOCKSTEP});
    struct snap s = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s.sp), 0);
    mob_spawn(loop, hup_watcher, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert(s.r[0] & MOB_IN, "mask %u", s.r[0]);
    cr_assert(s.r[0] & MOB_HUP, "mask %u", s.r[0]);
    cr_assert_eq(mob_loop_free(loop), 0);
}
