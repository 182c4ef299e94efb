/* SPDX-License-Identifier: MIT */
/*
 * poll_poll.c: the POSIX fallback poller, level-triggered over one pollfd array. Forced on
 * Linux with `make POLLER=poll` so that it is always tested.
 *
 * The array holds only fds somebody waits on: the core (src/core/io.c) coalesces interest
 * changes per loop iteration (libev's fd_reify) and calls mob__poller_set only when an fd's
 * wanted mask really changed, so a bot that is woken and parks again on the same fd costs
 * nothing here. Each change is O(1): `slot[fd]` finds the entry, a removal moves the last
 * entry into the hole. Each wait is O(n) in the number of entries, which is why this is the
 * fallback and never the default.
 */
#define _GNU_SOURCE /* ppoll on glibc */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

/* ppoll takes the timeout in ns, so timers are not rounded up to the next ms (POSIX 2024;
 * Linux and the BSDs have had it for years, macOS has not). */
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#define HAVE_PPOLL 1
#endif
#if defined(__linux__)
#endif

#include "platform.h"

struct mob__poller {
    struct pollfd *pfd; /* the entries handed to poll(2), dense */
    int n, cap;
    int *slot;          /* slot[fd]: index in pfd, or -1; grown on demand */
    int nslot;
    int scan;           /* where the next scan starts, so a short `max` is fair */
};

int mob__poller_new(struct mob__poller **out)
{
    /* Not MOB_MALLOC: platform/ does not see src/internal.h. */
    struct mob__poller *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    *out = p;
    return 0;
}

void mob__poller_free(struct mob__poller *p)
{
    if (!p)
        return;
    free(p->pfd);
    free(p->slot);
    free(p);
}

int mob__poller_edge(void) { return 0; }

static int grow_slots(struct mob__poller *p, int fd)
{
    int n = p->nslot ? p->nslot : 256;
    while (n <= fd)
        n *= 2;
    int *s = realloc(p->slot, (size_t)n * sizeof *s);
    if (!s)
        return -ENOMEM;
    for (int i = p->nslot; i < n; i++)
        s[i] = -1;
    p->slot = s;
    p->nslot = n;
    return 0;
}

int mob__poller_set(struct mob__poller *p, int fd, unsigned old_mask, unsigned new_mask)
{
    (void)old_mask; /* the slot table knows; trusting it survives a caller's stale view */
    if (fd < 0)
        return -EBADF;
    if (fd >= p->nslot) {
        if (new_mask == 0)
            return 0;
        int rc = grow_slots(p, fd);
        if (rc < 0)
            return rc;
    }
    int i = p->slot[fd];
    short ev = (short)((new_mask & MOB__IN ? POLLIN : 0) | (new_mask & MOB__OUT ? POLLOUT : 0));
    if (new_mask == 0) {
        if (i >= 0) {
            p->pfd[i] = p->pfd[--p->n];
            p->slot[p->pfd[i].fd] = i;
            p->slot[fd] = -1;
        }
        return 0;
    }
    if (i < 0) {
        if (p->n == p->cap) {
            int cap = p->cap ? p->cap * 2 : 64;
            struct pollfd *a = realloc(p->pfd, (size_t)cap * sizeof *a);
            if (!a)
                return -ENOMEM;
            p->pfd = a;
            p->cap = cap;
        }
        i = p->n++;
        p->slot[fd] = i;
        p->pfd[i].fd = fd;
    }
    p->pfd[i].events = ev;
    p->pfd[i].revents = 0;
    return 0;
}

int mob__poller_wait(struct mob__poller *p, int64_t timeout_ns, struct mob__event *events,
                     int max)
{
#ifdef HAVE_PPOLL
    struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
    int ready = ppoll(p->pfd, (nfds_t)p->n, timeout_ns < 0 ? NULL : &ts, NULL);
#else
    int ms = timeout_ns < 0                              ? -1
             : timeout_ns >= (int64_t)INT32_MAX * 1000000 ? INT32_MAX
                                                           : (int)((timeout_ns + 999999) / 1000000);
    int ready = poll(p->pfd, (nfds_t)p->n, ms);
#endif
    if (ready < 0)
        return errno == EINTR ? 0 : -errno;
    int got = 0;
    /* Start where the last short scan stopped, so with more ready fds than `max` every one is
     * reported in turn (they stay ready: this backend is level-triggered). */
    int start = p->scan < p->n ? p->scan : 0;
    for (int k = 0; k < p->n && got < ready && got < max; k++) {
        int i = start + k < p->n ? start + k : start + k - p->n;
        short re = p->pfd[i].revents;
        if (!re)
            continue;
        unsigned mask = 0;
        if (re & POLLIN)
            mask |= MOB__IN;
        if (re & POLLOUT)
            mask |= MOB__OUT;
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            mask |= MOB__IN | MOB__OUT | MOB__HUP;
        events[got].fd = p->pfd[i].fd;
        events[got].mask = mask;
        got++;
        p->scan = i + 1;
    }
    return got;
}

int mob__poller_fd(const struct mob__poller *p)
{
    (void)p;
    return -1;
}

const char *mob__poller_name(void) { return "poll"; }
