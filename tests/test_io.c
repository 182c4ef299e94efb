/* SPDX-License-Identifier: MIT */
/*
 * test_io.c: reading and writing for bots through the loop (src/core/io.c, io_own.c): reads
 * and writes over socketpairs and pipes, deadlines, cancellation, close while waiting, peer
 * close, full socket buffers, no SIGPIPE, fd ownership and the leak check. Sockets made by
 * mob (TCP, Unix, UDP, connect, accept) are in test_net.c, buffered lines and frames in
 * test_io_rbuf.c, the lockstep snapshot in test_io_lockstep.c.
 *
 * Bots never cr_assert (it would longjmp off the fiber stack): they record what they saw in a
 * struct, and the test asserts after mob_loop_run returns.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "test_io.h"

/* ---------------------------------------------------------------------------------------- */
/* Reading and writing                                                                      */
/* ---------------------------------------------------------------------------------------- */

static intptr_t reader(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->t[0] = mob_clock_ns();
    s->rc[0] = mob_read(self, s->sp[0], s->buf, sizeof s->buf - 1, mob_now(mob_bot_loop(self)) + 2000 * MS);
    s->t[1] = mob_clock_ns();
    return 0;
}

static intptr_t late_writer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    mob_sleep(self, 20 * MS);
    s->rc[1] = mob_write_all(self, s->sp[1], "hello", 5, MOB_FOREVER);
    return 0;
}

Test(io, read_parks_until_the_peer_writes, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, reader, &s);
    mob_spawn(loop, late_writer, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], 5);
    cr_assert_eq(s.rc[1], 5);
    cr_assert_eq(memcmp(s.buf, "hello", 5), 0);
    TIME_EXPECT(s.t[1] - s.t[0], 20 * MS, 200);
    mob_close(NULL, s.sp[0]);
    mob_close(NULL, s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t closer_of_peer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    mob_sleep(self, 10 * MS);
    close(s->sp[1]); /* never waited on through mob: a plain close is fine */
    return 0;
}

Test(io, read_returns_zero_when_the_peer_closes, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, reader, &s);
    mob_spawn(loop, closer_of_peer, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], 0);
    mob_close(NULL, s.sp[0]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t reader_with_deadline(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->t[0] = mob_clock_ns();
    s->rc[0] = mob_read(self, s->sp[0], s->buf, sizeof s->buf, mob_now(mob_bot_loop(self)) + 50 * MS);
    s->t[1] = mob_clock_ns();
    s->rc[1] = mob_read(self, s->sp[0], s->buf, sizeof s->buf, MOB_NOW);
    s->t[2] = mob_clock_ns();
    return 0;
}

Test(io, read_returns_etimedout_after_deadline, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, reader_with_deadline, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], -ETIMEDOUT);
    TIME_EXPECT(s.t[1] - s.t[0], 50 * MS, 100);
    /* MOB_NOW: do not block at all. */
    cr_assert_eq(s.rc[1], -ETIMEDOUT);
    cr_assert_lt(s.t[2] - s.t[1], 20 * MS * test_slow_factor());
    mob_close(NULL, s.sp[0]);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t canceller(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    mob_sleep(self, 10 * MS);
    s->rc[2] = mob_cancel(s->other);
    return 0;
}

static intptr_t reader_forever(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_read(self, s->sp[0], s->buf, sizeof s->buf, MOB_FOREVER);
    /* A cancelled bot's later calls fail too, even one that would not block. */
    s->rc[1] = mob_write_all(self, s->sp[0], "x", 1, MOB_FOREVER);
    return 0;
}

Test(io, cancel_while_waiting_returns_ecanceled, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    s.other = mob_spawn(loop, reader_forever, &s);
    mob_spawn(loop, canceller, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[2], 0);
    cr_assert_eq(s.rc[0], -ECANCELED);
    cr_assert_eq(s.rc[1], -ECANCELED);
    /* The cancelled wait left nothing behind: the fd can be waited on again. */
    mob_loop_stats st;
    mob_loop_get_stats(loop, &st);
    cr_assert_eq(st.fds_registered, 1);
    mob_close(NULL, s.sp[0]);
    mob_loop_get_stats(loop, &st);
    cr_assert_eq(st.fds_registered, 0);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t closer_of_waited_fd(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    mob_sleep(self, 10 * MS);
    s->rc[2] = mob_close(self, s->sp[0]);
    return 0;
}

Test(io, close_wakes_a_waiting_reader_with_ebadf, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, reader_forever, &s);
    mob_spawn(loop, closer_of_waited_fd, &s);
    /* reader_forever's second call is not reached with a cancel here: it writes to a closed
     * fd, which must be -EBADF as well. */
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[2], 0);
    cr_assert_eq(s.rc[0], -EBADF);
    cr_assert_eq(s.rc[1], -EBADF);
    cr_assert(!fd_is_open(s.sp[0]));
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t second_reader(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    mob_yield(self); /* let the first reader park */
    s->rc[3] = mob_read(self, s->sp[0], s->buf, 1, MOB_FOREVER);
    s->rc[4] = mob_wait_fd(self, s->sp[0], MOB_OUT, MOB_FOREVER);
    mob_cancel(s->other);
    return 0;
}

Test(io, a_second_reader_on_the_same_fd_gets_ebusy, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    s.other = mob_spawn(loop, reader_forever, &s);
    mob_spawn(loop, second_reader, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[3], -EBUSY);
    cr_assert_eq(s.rc[4], MOB_OUT); /* the other direction is free, and writable */
    cr_assert_eq(s.rc[0], -ECANCELED);
    mob_close(NULL, s.sp[0]);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* A writer pushes 4 MiB through a small socket buffer while a slow reader takes it in small
 * pieces: the write goes out in many partial writes, parking in between. */
#define BIG (4 << 20)

static intptr_t big_writer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    unsigned char *data = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 12));
    s->rc[0] = mob_write_all2(self, s->sp[1], data, BIG, MOB_FOREVER, &s->written);
    free(data);
    return 0;
}

static intptr_t slow_reader(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    unsigned char buf[3000];
    size_t got = 0;
    int bad = 0, pauses = 0;
    while (got < BIG) {
        ssize_t n = mob_read(self, s->sp[0], buf, sizeof buf, MOB_FOREVER);
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; k++, got++)
            bad |= buf[k] != (unsigned char)(got * 7 + (got >> 12));
        if (pauses < 5 && got > (size_t)pauses * 500000) {
            pauses++;
            mob_sleep(self, 5 * MS); /* the writer fills the buffer meanwhile */
        }
    }
    s->rc[1] = (ssize_t)got;
    s->rc[2] = bad;
    return 0;
}

Test(io, write_all_finishes_through_a_full_socket_buffer, .timeout = 10)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    int small = 4096;
    setsockopt(s.sp[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(s.sp[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    mob_spawn(loop, big_writer, &s);
    mob_spawn(loop, slow_reader, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], BIG);
    cr_assert_eq(s.written, (size_t)BIG);
    cr_assert_eq(s.rc[1], BIG);
    cr_assert_eq(s.rc[2], 0, "bytes arrived out of order or corrupted");
    mob_close(NULL, s.sp[0]);
    mob_close(NULL, s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t stuck_writer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    static char data[BIG];
    s->rc[0] = mob_write_all2(self, s->sp[1], data, BIG, mob_now(mob_bot_loop(self)) + 30 * MS,
                              &s->written);
    return 0;
}

Test(io, write_all_reports_what_went_out_when_the_deadline_passes, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, stuck_writer, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], -ETIMEDOUT);
    cr_assert_gt(s.written, 0u);
    cr_assert_lt(s.written, (size_t)BIG);
    /* Exactly `written` bytes are readable on the other side. */
    static char sink[BIG];
    size_t got = 0;
    for (ssize_t n; (n = read(s.sp[0], sink, sizeof sink)) > 0;)
        got += (size_t)n;
    cr_assert_eq(got, s.written);
    mob_close(NULL, s.sp[1]);
    close(s.sp[0]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t writer_to_closed(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_write_all(self, s->sp[1], "x", 1, MOB_FOREVER);
    return 0;
}

Test(io, write_to_a_closed_peer_returns_epipe_without_sigpipe, .timeout = 5)
{
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test */
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    close(s.sp[0]);
    mob_spawn(loop, writer_to_closed, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], -EPIPE);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t pipe_writer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_write_all(self, s->sp[1], "ab", 2, MOB_FOREVER);
    s->rc[1] = mob_read(self, s->sp[0], s->buf, sizeof s->buf, MOB_FOREVER);
    close(s->sp[0]);
    s->rc[2] = mob_write_all(self, s->sp[1], "x", 1, MOB_FOREVER);
    return 0;
}

Test(io, pipes_work_and_never_raise_sigpipe, .timeout = 5)
{
    signal(SIGPIPE, SIG_DFL);
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    cr_assert_eq(pipe(s.sp), 0);
    /* pipe() gives [read, write]; the bot uses sp[0] to read and sp[1] to write. */
    mob_spawn(loop, pipe_writer, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], 2);
    cr_assert_eq(s.rc[1], 2);
    cr_assert_eq(s.rc[2], -EPIPE);
    mob_close(NULL, s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t waiter(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    /* Data already there when we ask: an edge-triggered poller would never report it. */
    s->rc[0] = mob_wait_fd(self, s->sp[0], MOB_IN, mob_now(mob_bot_loop(self)) + 1000 * MS);
    char c;
    read(s->sp[0], &c, 1);
    s->rc[1] = mob_wait_fd(self, s->sp[0], MOB_IN, mob_now(mob_bot_loop(self)) + 30 * MS);
    s->rc[2] = mob_wait_fd(self, s->sp[0], MOB_IN | MOB_OUT, MOB_FOREVER);
    s->rc[3] = mob_wait_fd(self, s->sp[0], 0, MOB_FOREVER);
    return 0;
}

Test(io, wait_fd_reports_the_ready_directions, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    cr_assert_eq(write(s.sp[1], "x", 1), 1);
    mob_spawn(loop, waiter, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], MOB_IN);
    cr_assert_eq(s.rc[1], -ETIMEDOUT);
    cr_assert_eq(s.rc[2], MOB_OUT);
    cr_assert_eq(s.rc[3], -EINVAL);
    mob_close(NULL, s.sp[0]);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Ownership and the leak check                                                             */
/* ---------------------------------------------------------------------------------------- */

static intptr_t owner_bot(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    int lfd = mob_tcp_listen(self, "127.0.0.1", 0, 4);
    int kept = mob_tcp_listen(self, "127.0.0.1", 0, 4);
    s->rc[0] = lfd;
    s->rc[1] = kept;
    s->rc[2] = mob_fd_release(self, kept);
    s->rc[3] = mob_fd_release(self, kept); /* not ours any more */
    return 0;
}

Test(io, a_bot_returning_closes_its_sockets_but_not_released_ones, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    mob_spawn(loop, owner_bot, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_geq(s.rc[0], 0);
    cr_assert(!fd_is_open((int)s.rc[0]));
    cr_assert(fd_is_open((int)s.rc[1]));
    cr_assert_eq(s.rc[2], 0);
    cr_assert_eq(s.rc[3], -ENOENT);
    close((int)s.rc[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t parked_reader(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_read(self, s->sp[0], s->buf, 1, mob_now(mob_bot_loop(self)) + 10 * MS);
    return 0;
}

Test(io, leak_check_reports_and_closes_a_registered_fd, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    nb_socketpair(s.sp);
    mob_spawn(loop, parked_reader, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], -ETIMEDOUT);
    /* sp[0] was waited on and never closed through mob: a leak, which the check closes. */
    cr_assert_eq(mob_loop_check(loop, MOB_CHECK_FDS, 0), 1);
    cr_assert(!fd_is_open(s.sp[0]));
    cr_assert_eq(mob_loop_check(loop, MOB_CHECK_FDS, 0), 0);
    close(s.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(io, backend_name_and_fd_match_the_build)
{
    const char *n = mob_backend_name();
    cr_assert(!strcmp(n, "epoll") || !strcmp(n, "kqueue") || !strcmp(n, "poll"), "%s", n);
    mob_loop *loop = mob_loop_new(NULL);
    if (!strcmp(n, "poll"))
        cr_assert_eq(mob_loop_backend_fd(loop), -1);
    else
        cr_assert_geq(mob_loop_backend_fd(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}
