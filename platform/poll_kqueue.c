/* SPDX-License-Identifier: MIT */
/*
 * poll_kqueue.c: the macOS and BSD poller. Edge-triggered with EV_CLEAR: the core registers
 * each fd once (one EVFILT_READ and one EVFILT_WRITE filter) and never changes it until the
 * fd is closed, so the hot path makes no kevent change at all.
 *
 * kqueue reports the read and the write filter of one fd as two events; they are passed on as
 * two (fd, mask) reports, which the core merges for free (waking is idempotent). EV_EOF on the
 * read filter is the peer's shutdown (IN | HUP, as epoll's EPOLLRDHUP); EV_EOF with an error,
 * EV_EOF on the write filter and EV_ERROR wake both directions, so the next read or write
 * reports the real cause.
 *
 * Written to the same contract as poll_epoll.c. On Linux, `make POLLER=kqueue` compiles it
 * against an epoll-based emulation of kqueue (tests/kqueue/, MOB_KQUEUE_SHIM) and runs the
 * whole suite through it; it has not been run on a real Mac or BSD, so check a change there
 * before trusting it.
 */
#if !defined(__APPLE__) && !defined(__FreeBSD__) && !defined(__OpenBSD__) &&                   \
    !defined(__NetBSD__) && !defined(__DragonFly__) && !defined(MOB_KQUEUE_SHIM)
#error "poll_kqueue.c is for macOS and the BSDs: build with POLLER=epoll or POLLER=poll"
#endif
/* The Makefile's strict POSIX hides kqueue's types (u_short, ...) on the BSDs and macOS. */
#undef _POSIX_C_SOURCE
#define _DARWIN_C_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <time.h> /* struct timespec: some BSDs' <sys/event.h> use it without declaring it */
#include <unistd.h>

#include "platform.h"

#define KQ_BATCH 1024
#define KQ_MAX_TIMEOUT_SEC 100000000

struct mob__poller {
    int kq;
    struct kevent ev[KQ_BATCH];
};

int mob__poller_new(struct mob__poller **out)
{
    /* Not MOB_MALLOC: platform/ does not see src/internal.h. One allocation per loop. */
    struct mob__poller *p = malloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    p->kq = kqueue();
    if (p->kq < 0) {
        int rc = -errno;
        free(p);
        return rc;
    }
    /* kqueue fds are not inherited by fork anyway; close-on-exec keeps exec'd children clean. */
    fcntl(p->kq, F_SETFD, FD_CLOEXEC);
    *out = p;
    return 0;
}

void mob__poller_free(struct mob__poller *p)
{
    if (!p)
        return;
    close(p->kq);
    free(p);
}

int mob__poller_edge(void) { return 1; }

int mob__poller_set(struct mob__poller *p, int fd, unsigned old_mask, unsigned new_mask)
{
    struct kevent ch[2];
    int n = 0;
    /* Every wanted filter is (re)added, not only the new ones: EV_ADD on a live knote just
     * updates it, and a knote the kernel dropped when the fd was closed behind the core's back
     * comes back, as poll_epoll.c's MOD-becomes-ADD fallback does. One call per fd lifetime
     * or so in the edge-triggered core, so the extra change costs nothing measurable.
     * EV_SET gets no side effect in its first argument: some BSDs' macro names it more than
     * once. udata is 0, not NULL: it is an intptr_t on NetBSD before 10. */
    unsigned del = old_mask & ~new_mask;
    if (new_mask & MOB__IN) {
        EV_SET(&ch[n], fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, 0);
        n++;
    }
    if (new_mask & MOB__OUT) {
        EV_SET(&ch[n], fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, 0);
        n++;
    }
    if (del & MOB__IN) {
        EV_SET(&ch[n], fd, EVFILT_READ, EV_DELETE, 0, 0, 0);
        n++;
    }
    if (del & MOB__OUT) {
        EV_SET(&ch[n], fd, EVFILT_WRITE, EV_DELETE, 0, 0, 0);
        n++;
    }
    if (n == 0)
        return 0;
    /* With EV_RECEIPT every change comes back as an EV_ERROR entry whose data is 0 or an
     * errno, so a failure is attributed to its filter, and kevent returns at once without
     * consuming (or waiting for) anything pending. */
    struct kevent res[2];
    for (int i = 0; i < n; i++)
        ch[i].flags |= EV_RECEIPT;
    int got = kevent(p->kq, ch, n, res, n, NULL);
    if (got < 0)
        return -errno;
    for (int i = 0; i < got; i++) {
        if (!(res[i].flags & EV_ERROR) || res[i].data == 0)
            continue;
        /* Deleting a filter the kernel already dropped (the fd was closed, and perhaps reused)
         * is not an error: what was asked for holds. The filter tells a delete from an add,
         * since the two never name the same filter in one call. */
        unsigned dir = res[i].filter == EVFILT_READ ? MOB__IN : MOB__OUT;
        if ((del & dir) && (res[i].data == ENOENT || res[i].data == EBADF))
            continue;
        return -(int)res[i].data;
    }
    return 0;
}

int mob__poller_wait(struct mob__poller *p, int64_t timeout_ns, struct mob__event *events,
                     int max)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        /* macOS's kevent fails with EINVAL past 10^8 s (about 3 years): a timer that far away
         * would stop the loop. Waking early is harmless, the loop just waits again. */
        if (ts.tv_sec >= KQ_MAX_TIMEOUT_SEC) {
            ts.tv_sec = KQ_MAX_TIMEOUT_SEC;
            ts.tv_nsec = 0;
        }
        tsp = &ts;
    }
    if (max > KQ_BATCH)
        max = KQ_BATCH;
    int n = kevent(p->kq, NULL, 0, p->ev, max, tsp);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int got = 0;
    for (int i = 0; i < n; i++) {
        unsigned mask = 0;
        if (p->ev[i].filter == EVFILT_READ)
            mask = MOB__IN;
        else if (p->ev[i].filter == EVFILT_WRITE)
            mask = MOB__OUT;
        /* EV_EOF on the read filter is the peer's shutdown: reads see EOF from now on (epoll's
         * EPOLLRDHUP). With an error pending (fflags), on the write filter (nothing more can
         * be sent) or with EV_ERROR, both directions wake, so the next call reports it. */
        unsigned short fl = p->ev[i].flags;
        if ((fl & (EV_EOF | EV_ERROR)) == EV_EOF && mask == MOB__IN && p->ev[i].fflags == 0)
            mask = MOB__IN | MOB__HUP;
        else if (fl & (EV_EOF | EV_ERROR))
            mask = MOB__IN | MOB__OUT | MOB__HUP;
        if (!mask)
            continue;
        events[got].fd = (int)p->ev[i].ident;
        events[got].mask = mask;
        got++;
    }
    return got;
}

int mob__poller_fd(const struct mob__poller *p) { return p->kq; }

const char *mob__poller_name(void) { return "kqueue"; }
