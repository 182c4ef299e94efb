/* SPDX-License-Identifier: MIT */
/*
 * Deadlines hold whatever the other side does (issue 11, part 1): a read whose data never
 * runs out still returns at its deadline, and while it spins the other bots and the timers
 * still get the thread. /dev/zero is the endless server: every read of it returns at once.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"
#include "mob_io.h"

struct spin {
    int fd;
    int64_t deadline;
    ssize_t rc;
    int64_t ended;
    long reads;
};

static intptr_t endless_reader(mob_bot *self, void *arg)
{
    struct spin *s = arg;
    char buf[512];
    for (;;) {
        ssize_t n = mob_read(self, s->fd, buf, sizeof buf, s->deadline);
        if (n <= 0) {
            s->rc = n;
            break;
        }
        s->reads++;
    }
    s->ended = mob_clock_ns();
    return 0;
}

static intptr_t ticker(mob_bot *self, void *arg)
{
    int *ticks = arg;
    for (int i = 0; i < 5; i++) {
        if (mob_sleep(self, 10 * MOB_NS_PER_MS) < 0)
            break;
        ++*ticks;
    }
    return 0;
}

Test(deadline, an_endless_read_returns_at_its_deadline_and_shares_the_thread, .timeout = 10)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct spin s = {.fd = open("/dev/zero", O_RDONLY)};
    cr_assert_geq(s.fd, 0);
    int64_t t0 = mob_clock_ns();
    s.deadline = t0 + 100 * MOB_NS_PER_MS;
    int ticks = 0;
    mob_spawn(loop, endless_reader, &s);
    mob_spawn(loop, ticker, &ticks);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc, -ETIMEDOUT, "the read returned %zd", s.rc);
    TIME_EXPECT(s.ended - t0, 100 * MOB_NS_PER_MS, 50);
    cr_assert_gt(s.reads, 1000, "it did read: %ld", s.reads);
    cr_assert_eq(ticks, 5, "the sleeping bot ran %d of its 5 ticks while the reader spun", ticks);
    close(s.fd);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t cancel_after(mob_bot *self, void *arg)
{
    mob_sleep(self, 30 * MOB_NS_PER_MS);
    mob_cancel(arg);
    return 0;
}

Test(deadline, an_endless_read_without_deadline_is_still_cancellable, .timeout = 10)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct spin s = {.fd = open("/dev/zero", O_RDONLY), .deadline = MOB_FOREVER};
    int64_t t0 = mob_clock_ns();
    mob_bot *r = mob_spawn(loop, endless_reader, &s);
    mob_spawn(loop, cancel_after, r);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc, -ECANCELED, "the read returned %zd", s.rc);
    TIME_EXPECT(s.ended - t0, 30 * MOB_NS_PER_MS, 50);
    close(s.fd);
    cr_assert_eq(mob_loop_free(loop), 0);
}
