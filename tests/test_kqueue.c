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
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
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
    /* Without EV_CLEAR a knote is level-triggered: a new one (a re-add would keep EV_CLEAR,
     * see below). */
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_DELETE, 0), 0);
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD, 0), 0);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 1);
}

Test(kqueue, a_re_add_keeps_the_trigger_mode_and_takes_the_new_udata)
{
    /* FreeBSD fixes EV_CLEAR and EV_ONESHOT when the knote is made; a later EV_ADD updates
     * udata (and fflags, data) only. */
    int tag;
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD, &tag), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    struct kevent ev;
    struct timespec ts = {1, 0};
    cr_assert_eq(kevent(kq, NULL, 0, &ev, 1, &ts), 1);
    cr_assert_eq(ev.udata, (void *)&tag);
    cr_assert(ev.flags & EV_CLEAR, "the re-add dropped EV_CLEAR");
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 0, NULL), 0, "the re-add made it level");
    /* And the other way: a level knote stays level when EV_CLEAR comes later. */
    cr_assert_eq(change(sp[0], EVFILT_WRITE, EV_ADD, 0), 0);
    cr_assert_eq(change(sp[0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(events_for(sp[0], EVFILT_WRITE, 1000, NULL), 1);
    cr_assert_eq(events_for(sp[0], EVFILT_WRITE, 0, NULL), 1, "the re-add made it edge");
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

Test(kqueue, eof_arrives_with_the_last_data)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(write(sp[1], "abc", 3), 3);
    close(sp[1]);
    sp[1] = -1;
    /* One event: the bytes still to read and the end, together, so a reader that drains
     * what `data` says knows there is nothing after it. */
    struct kevent ev[4];
    struct timespec ts = {1, 0};
    cr_assert_eq(kevent(kq, NULL, 0, ev, 4, &ts), 1);
    cr_assert_eq(ev[0].filter, EVFILT_READ);
    cr_assert(ev[0].flags & EV_EOF);
    cr_assert_eq(ev[0].data, 3);
    cr_assert_eq(ev[0].fflags, 0, "an orderly close has no error");
}

Test(kqueue, write_filter_eof_when_the_peer_is_gone)
{
    cr_assert_eq(change(sp[0], EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    unsigned short fl = 0;
    cr_assert_eq(events_for(sp[0], EVFILT_WRITE, 1000, &fl), 1);
    cr_assert_eq(fl & EV_EOF, 0);
    close(sp[1]); /* an AF_UNIX peer gone: nothing can be sent any more */
    sp[1] = -1;
    cr_assert_eq(events_for(sp[0], EVFILT_WRITE, 1000, &fl), 1);
    cr_assert(fl & EV_EOF);
}

/* A connected TCP pair on 127.0.0.1: *a (client) and *b (accepted), both non-blocking. */
static void tcp_pair(int *a, int *b)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(l, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(l, 1), 0);
    cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *a = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(connect(*a, (struct sockaddr *)&sa, sizeof sa), 0);
    *b = accept(l, NULL, NULL);
    cr_assert_geq(*b, 0);
    close(l);
    fcntl(*a, F_SETFL, O_NONBLOCK);
    fcntl(*b, F_SETFL, O_NONBLOCK);
}

Test(kqueue, a_reset_sets_eof_with_the_error_in_fflags)
{
    int a, b;
    tcp_pair(&a, &b);
    cr_assert_eq(change(a, EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(events_for(a, EVFILT_WRITE, 1000, NULL), 1); /* writable: the edge taken */
    struct linger lg = {1, 0};
    cr_assert_eq(setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(b); /* linger 0: a reset */
    struct kevent ev[4];
    struct timespec ts = {1, 0};
    int n = kevent(kq, NULL, 0, ev, 4, &ts);
    cr_assert_geq(n, 1);
    int read_eof = 0;
    for (int i = 0; i < n; i++) {
        cr_assert(ev[i].flags & EV_EOF, "filter %d without EV_EOF", ev[i].filter);
        cr_assert_eq(ev[i].fflags, ECONNRESET, "filter %d: fflags %u", ev[i].filter,
                     ev[i].fflags);
        read_eof |= ev[i].filter == EVFILT_READ;
    }
    cr_assert(read_eof);
    /* The error is still the socket's: the next read returns it, once (BSD's so_error). */
    char c;
    errno = 0;
    cr_assert_eq(read(a, &c, 1), -1);
    cr_assert_eq(errno, ECONNRESET);
    cr_assert_eq(read(a, &c, 1), 0);
    close(a);
}

Test(kqueue, peer_fin_sets_eof_on_the_read_filter_only)
{
    int a, b;
    tcp_pair(&a, &b);
    cr_assert_eq(change(a, EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(events_for(a, EVFILT_WRITE, 1000, NULL), 1);
    cr_assert_eq(shutdown(b, SHUT_WR), 0); /* the peer's FIN */
    unsigned short fl = 0;
    cr_assert_eq(events_for(a, EVFILT_READ, 1000, &fl), 1);
    cr_assert(fl & EV_EOF);
    /* Our side can still send (SBS_CANTSENDMORE is not set by the peer's FIN). */
    cr_assert_eq(write(a, "x", 1), 1);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_DELETE, 0), 0);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(events_for(a, EVFILT_WRITE, 1000, &fl), 1);
    cr_assert_eq(fl & EV_EOF, 0, "EV_EOF on the write filter after the peer's FIN alone");
    close(a);
    close(b);
}

Test(kqueue, our_shutdown_sets_eof_on_the_write_filter)
{
    int a, b;
    tcp_pair(&a, &b);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    unsigned short fl = 0;
    cr_assert_eq(events_for(a, EVFILT_WRITE, 1000, &fl), 1);
    cr_assert_eq(fl & EV_EOF, 0);
    /* Our own shutdown(SHUT_WR) shuts the send side (SBS_CANTSENDMORE), the peer's is open. */
    cr_assert_eq(shutdown(a, SHUT_WR), 0);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_DELETE, 0), 0);
    cr_assert_eq(change(a, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(events_for(a, EVFILT_WRITE, 1000, &fl), 1);
    cr_assert(fl & EV_EOF, "no EV_EOF on the write filter after shutdown(SHUT_WR)");
    close(a);
    close(b);
}

Test(kqueue, regular_files_are_ready_not_refused)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mob-kq-%d", (int)getpid());
    int f = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(f, 0, "%s: %s", path, strerror(errno));
    unlink(path);
    cr_assert_eq(change(f, EVFILT_WRITE, EV_ADD, 0), 0);
    cr_assert_eq(change(f, EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    /* Writable always; readable only before the end (empty file: not yet). */
    cr_assert_eq(events_for(f, EVFILT_WRITE, 0, NULL), 1);
    cr_assert_eq(events_for(f, EVFILT_READ, 0, NULL), 0);
    cr_assert_eq(write(f, "hello", 5), 5);
    cr_assert_eq(lseek(f, 1, SEEK_SET), 1);
    struct kevent ev[4];
    struct timespec ts = {0, 0};
    int n = kevent(kq, NULL, 0, ev, 4, &ts), reads = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].filter == EVFILT_READ) {
            reads++;
            cr_assert_eq(ev[i].data, 4, "data is the bytes to the end");
        }
    cr_assert_eq(reads, 1);
    cr_assert_eq(events_for(f, EVFILT_READ, 0, NULL), 0, "EV_CLEAR: once until something moves");
    close(f);
}

Test(kqueue, a_kqueue_is_not_inherited_across_fork)
{
    cr_assert_eq(change(sp[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct kevent ev;
        struct timespec ts = {0, 0};
        int bad = kevent(kq, NULL, 0, &ev, 1, &ts) == -1 && errno == EBADF;
        int closed = fcntl(kq, F_GETFD) == -1 && errno == EBADF; /* the number is free */
        _exit(bad && closed ? 0 : 1);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child had the kqueue");
    cr_assert_eq(events_for(sp[0], EVFILT_READ, 1000, NULL), 1, "the parent's is intact");
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
