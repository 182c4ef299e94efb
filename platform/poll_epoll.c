/* SPDX-License-Identifier: MIT */
/*
 * poll_epoll.c: the Linux poller. Edge-triggered: the core registers each fd once for
 * IN|OUT|EPOLLET and never touches it again until the fd is closed, so the hot path makes no
 * epoll_ctl call at all; a bot that wants to read simply tries, and parks only on EAGAIN.
 *
 * This file only translates masks to kernel calls and kernel results back to (fd, mask); the
 * fd table, the waiters and the interest bookkeeping live in src/core/io.c (read that next).
 * The same contract is implemented by poll_kqueue.c and poll_poll.c.
 */
#define _GNU_SOURCE
#if !defined(__linux__)
#error "poll_epoll.c is Linux-only: build with POLLER=poll or POLLER=kqueue"
#endif

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

/* The kernel results land here before being normalised into the caller's array. Sized like
 * the caller's usual buffer so one epoll_wait drains a busy loop in one call. */
#define EPOLL_BATCH 1024

/* epoll_pwait2 (Linux 5.11, glibc 2.35) takes the timeout in ns: a 2 ms timer then fires
 * after 2 ms, not after up to 3 as with epoll_wait's whole milliseconds. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define HAVE_EPOLL_PWAIT2 1
#endif

struct mob__poller {
    int epfd;
    int no_pwait2; /* the kernel said ENOSYS once */
    struct epoll_event ev[EPOLL_BATCH];
};

int mob__poller_new(struct mob__poller **out)
{
    /* Not MOB_MALLOC: platform/ does not see src/internal.h. This is one allocation per loop. */
    struct mob__poller *p = malloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    p->no_pwait2 = 0;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        int rc = -errno;
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void mob__poller_free(struct mob__poller *p)
{
    if (!p)
        return;
    close(p->epfd);
    free(p);
}

int mob__poller_edge(void) { return 1; }

int mob__poller_set(struct mob__poller *p, int fd, unsigned old_mask, unsigned new_mask)
{
    struct epoll_event ev = {0};
    ev.events = EPOLLET | EPOLLRDHUP | (new_mask & MOB__IN ? EPOLLIN : 0u) |
                (new_mask & MOB__OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    int op = new_mask == 0 ? EPOLL_CTL_DEL : old_mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(p->epfd, op, fd, &ev) == 0)
        return 0;
    /* The core's view and the kernel's can differ after a dup2 or a close behind our back:
     * fall back the way libev does (MOD on a missing fd becomes ADD, ADD on a present one MOD). */
    if (op == EPOLL_CTL_MOD && errno == ENOENT && epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        return 0;
    if (op == EPOLL_CTL_ADD && errno == EEXIST && epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    if (op == EPOLL_CTL_DEL && (errno == ENOENT || errno == EBADF))
        return 0;
    return -errno;
}

int mob__poller_wait(struct mob__poller *p, int64_t timeout_ns, struct mob__event *events,
                     int max)
{
    if (max > EPOLL_BATCH)
        max = EPOLL_BATCH;
    int n = -1;
#ifdef HAVE_EPOLL_PWAIT2
    if (timeout_ns > 0 && !p->no_pwait2) {
        struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
        n = epoll_pwait2(p->epfd, p->ev, max, &ts, NULL);
        if (n < 0 && errno == ENOSYS)
            p->no_pwait2 = 1;
    }
    if (n < 0 && (timeout_ns <= 0 || p->no_pwait2))
#endif
    {
        /* Round up: waking a little late is harmless, waking early makes the loop spin until
         * the timer is really due. */
        int ms = timeout_ns < 0                               ? -1
                 : timeout_ns >= (int64_t)INT32_MAX * 1000000 ? INT32_MAX
                                                              : (int)((timeout_ns + 999999) / 1000000);
        n = epoll_wait(p->epfd, p->ev, max, ms);
    }
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        uint32_t e = p->ev[i].events;
        unsigned mask = 0;
        if (e & EPOLLIN)
            mask |= MOB__IN;
        if (e & EPOLLOUT)
            mask |= MOB__OUT;
        /* The peer shut down its side: reads see EOF from now on. */
        if (e & EPOLLRDHUP)
            mask |= MOB__IN | MOB__HUP;
        /* Hang-up and error wake both directions: the next read or write reports the cause. */
        if (e & (EPOLLERR | EPOLLHUP))
            mask |= MOB__IN | MOB__OUT | MOB__HUP;
        events[i].fd = p->ev[i].data.fd;
        events[i].mask = mask;
    }
    return n;
}

int mob__poller_fd(const struct mob__poller *p) { return p->epfd; }

const char *mob__poller_name(void) { return "epoll"; }
