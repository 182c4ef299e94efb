/* SPDX-License-Identifier: MIT */
/*
 * test_kqueue.c: the kqueue semantics platform/poll_kqueue.c relies on, asserted directly on
 * kqueue()/kevent(). On Linux they run only in the POLLER=kqueue test configuration, against
 * the epoll emulation in tests/kqueue/, and show that the emulation behaves as BSD does; on a
 * Mac or a BSD the same cases check the real kernel, so a difference between the two shows up
 * as a failure there. Elsewhere this file compiles to nothing.
 */
#if defined(MOB_KQUEUE_SHIM) || defined(__APPLE__) || defined(__FreeBSD__) ||                \
    defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__)
/* As in poll_kqueue.c: strict POSIX hides kqueue's types on the BSDs. */
#undef _POSIX_C_SOURCE
#define _DARWIN_C_SOURCE

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <unistd.h>

static int kq;
static int sp[2];

static void setup(void)
{
    kq = kqueue();
    cr_assert_geq(kq, 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    fcntl(sp[1], F_SETFL, O_NONBLOCK);
}

static void teardown(void)
{
    close(kq);
    close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
}

/* Applies one change; returns 0 or the errno its receipt carries. */
static int change(int fd, short filter, unsigned short flags, void *udata)
{
    struct kevent ch, res;
    EV_SET(&ch, fd, filter, flags | EV_RECEIPT, 0, 0, udata);
    int n = kevent(kq, &ch, 1, &res, 1, NULL);
    cr_assert_eq(n, 1, "kevent: %d (%s)", n, strerror(errno));
    cr_assert(res.flags & EV_ERROR);
    return (int)res.data;
}

/* Waits up to ms and returns how many events there were for (fd, filter); *flags gets the
 * last one's flags. */
static int events_for(int fd, short filter, int ms, unsigned short *flags)
{
    struct kevent ev[8];
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    int n = kevent(kq, NULL, 0, ev, 8, &ts);
    cr_assert_geq(n, 0, "kevent: %s", strerror(errno));
    int hits = 0;
    for (int i = 0; i < n; i++)
        if ((int)ev[i].ident == fd && ev[i].filter == filter) {
            hits++;
            if (flags)
                *flags = ev[i].flags;
        }
    return hits;
}

TestSuite(kqueue, .init = setup, .fini = teardown, .timeout = 5);

Test(kqueue, receipts_report_success_and_each_failure_without_waiting)
{
    struct kevent ch[3], res[3];
    EV_SET(&ch[0], sp[0], EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, 0);
    EV_SET(&ch[1], sp[0], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, 0); /* never added */
    EV_SET(&ch[2], 1000000, EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, 0);   /* not an open fd */
    cr_assert_eq(write(sp[1], "x", 1), 1); /* something pending, which must stay pending */
    cr_assert_eq(kevent(kq, ch, 3, res, 3, NULL), 3);
    for (int i = 0; i < 3; i++) {
        cr_assert(res[i].flags & EV_ERROR);
        cr_assert_eq(res[i].ident, ch[i].ident);
        cr_assert_eq(res[i].filter, ch[i].filter);
    }
    cr_assert_eq(res[0].data, 0);
    cr_assert_eq(res[1].data, ENOENT);
    cr_assert_eq(res[2].data, EBADF);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 1);
}

Test(kqueue, a_failed_change_without_room_fails_the_call)
{
    struct kevent ch;
    EV_SET(&ch, sp[0], EVFILT_READ, EV_DELETE, 0, 0, 0);
    errno = 0;
    cr_assert_eq(kevent(kq, &ch, 1, NULL, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(kqueue, clear_reports_each_edge_once_level_until_drained)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 0);
    cr_assert_eq(write(sp[1], "y", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    /* Without EV_CLEAR the same knote is level-triggered. */
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD, 0), 0);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 1);
}

Test(kqueue, adding_the_write_filter_does_not_report_the_read_one_again)
{
    /* Two knotes, two registrations: changing one never re-arms the other. */
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    cr_assert_eq(change(sp[0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    struct kevent ev[4];
    struct timespec ts = {1, 0};
    int n = kevent(kq, NULL, 0, ev, 4, &ts);
    cr_assert_eq(n, 1);
    cr_assert_eq(ev[0].filter, EVFILT_WRITE);
    /* Deleting the write filter leaves the read one working. */
    cr_assert_eq(change(sp[0], EVFILT_WRITE, EV_DELETE, 0), 0);
    cr_assert_eq(write(sp[1], "y", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
}

Test(kqueue, events_carry_udata_and_the_bytes_readable)
{
    int tag;
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, &tag), 0);
    cr_assert_eq(write(sp[1], "abc", 3), 3);
    struct kevent ev;
    struct timespec ts = {1, 0};
    cr_assert_eq(kevent(kq, NULL, 0, &ev, 1, &ts), 1);
    cr_assert_eq(ev.udata, (void *)&tag);
    cr_assert_eq(ev.data, 3);
    cr_assert(ev.flags & EV_CLEAR);
    cr_assert_eq(ev.flags & (EV_EOF | EV_ERROR), 0);
}

Test(kqueue, peer_close_sets_eof_on_the_read_filter)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    close(sp[1]);
    sp[1] = -1;
    unsigned short fl = 0;
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, &fl), 1);
    cr_assert(fl & EV_EOF);
}

Test(kqueue, a_closed_fd_drops_its_knotes_even_with_a_dup_alive)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    int d = dup(sp[0]);
    cr_assert_geq(d, 0);
    int old = sp[0];
    close(sp[0]);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(events_for(old, EVFILT_READ, 50, NULL), 0);
    /* The number names nothing now: a delete says EBADF. */
    cr_assert_eq(change(old, EVFILT_READ, EV_DELETE, 0), EBADF);
    sp[0] = d; /* teardown closes it */
}

Test(kqueue, a_reused_number_starts_without_knotes)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    int old = sp[0], q[2];
    close(sp[0]);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, q), 0);
    cr_assert_eq(q[0], old, "the number was not reused: the test proves nothing");
    sp[0] = q[0];
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_DELETE, 0), ENOENT);
    cr_assert_eq(write(q[1], "x", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 50, NULL), 0);
    close(q[1]);
}

Test(kqueue, disable_holds_events_back_and_enable_brings_them)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR | EV_DISABLE, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 50, NULL), 0);
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ENABLE, 0), 0);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
}

Test(kqueue, oneshot_fires_once_then_the_knote_is_gone)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 0);
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_DELETE, 0), ENOENT);
}

Test(kqueue, the_kqueue_fd_is_readable_while_an_event_is_pending)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    struct pollfd p = {.fd = kq, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(poll(&p, 1, 1000), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 1);
    cr_assert_eq(poll(&p, 1, 0), 0);
}

Test(kqueue, a_timeout_is_honoured_to_the_millisecond)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    struct timespec t0, t1, ts = {0, 30 * 1000000};
    struct kevent ev;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(kevent(kq, NULL, 0, &ev, 1, &ts), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    cr_assert_geq(ns, 29 * 1000000LL, "returned after %lld ns", ns);
}
#else
typedef int mob__test_kqueue_not_here; /* ISO C wants something in every file */
#endif
