/* SPDX-License-Identifier: MIT */
/*
 * kqueue_shim.c: BSD kqueue emulated on Linux epoll, for tests only. `make POLLER=kqueue` on
 * Linux links it into libmob, with -Itests/kqueue so that platform/poll_kqueue.c finds
 * tests/kqueue/sys/event.h; no other build sees it.
 *
 * The layout. kqueue() returns an epoll fd, the "outer" set, which holds exactly two inner
 * epoll sets, one per filter: the fds with an EVFILT_READ knote are registered in the read
 * set, those with an EVFILT_WRITE knote in the write set. So every (fd, filter) is its own
 * registration, as a knote is on BSD: changing the write knote never re-arms or re-reports
 * the read one, and each has its own trigger mode (EV_CLEAR is EPOLLET, no EV_CLEAR is
 * level-triggered). The outer set is readable whenever an inner one has something to report,
 * so the kqueue fd can be watched by poll(2) or another loop, as a real one can.
 *
 *     kq fd (outer epoll) --+-- read set  (epoll): fd 7 EPOLLIN|EPOLLRDHUP|EPOLLET, fd 9 ...
 *                           +-- write set (epoll): fd 7 EPOLLOUT|EPOLLET, ...
 *
 * kevent() applies the changes first (FreeBSD's order and error rules, see sys/event.h), then
 * waits on the outer set and drains the inner sets that are ready into the eventlist.
 *
 * A closed fd drops its knotes on BSD, even when a dup of it survives; epoll drops it only
 * with the last reference, and neither tells us. So each fd's entry remembers the identity
 * (st_dev, st_ino) of the file it was registered for, and a generation number that is part of
 * every epoll registration. When a change or an event finds the fd closed, or reused for
 * another file, the entry's knotes are forgotten and its generation bumped, and anything epoll
 * still reports under the old generation is dropped. That costs one fstat per change and per
 * event, which tests can afford. Sockets and pipes each have their own inode, so this is exact
 * for them; eventfds, epoll fds and other anonymous inodes all share one, so a reused number
 * of that kind keeps the old knotes in the table (epoll itself has dropped them).
 *
 * As FreeBSD's kqueue(2) and kern_event.c have it, and tested in tests/test_kqueue.c:
 *   - a knote's EV_CLEAR and EV_ONESHOT are fixed when it is created; a later EV_ADD on it
 *     updates udata (and would update fflags and data) but never its trigger mode;
 *   - EV_EOF on EVFILT_READ when the read side is shut (the peer's FIN or a reset: EPOLLRDHUP
 *     or EPOLLHUP), on EVFILT_WRITE when the send side is (EPOLLHUP: a reset, an AF_UNIX peer
 *     gone; or a TCP socket whose state says its FIN went out: our own shutdown(SHUT_WR)),
 *     with the socket's pending error in `fflags`. BSD leaves that error pending for the next
 *     read, write or getsockopt(SO_ERROR); Linux hands it over only by clearing it, so the
 *     emulation reads it (only when EPOLLERR says there is one), keeps it, and gives it back
 *     once from the next of those calls on that socket: shim_sockets.c defines read, write,
 *     recv, send, recvfrom, sendto and getsockopt for the test binaries of this configuration,
 *     which pass straight to the system call when nothing is kept (readv, writev, recvmsg and
 *     sendmsg are not covered: the core does not use them);
 *   - EV_EOF comes with the last data: `data` is what is still readable;
 *   - regular files are never refused: EVFILT_WRITE on one is always ready (data 0), and
 *     EVFILT_READ is ready while the file offset is before the end (data: the bytes to the
 *     end), as the man page says for vnodes. They cannot be put in epoll, so kevent looks at
 *     them itself each call; with EV_CLEAR a file knote fires again only when its size or
 *     offset moved. (The kqueue fd itself does not turn readable for them under poll(2).)
 *   - a kqueue is not inherited across fork(): in the child its fd (and the emulation's two
 *     inner epoll fds) are closed, so the number is free, kevent() on it fails with EBADF and
 *     close() does too.
 *
 * Not emulated: other filters (EINVAL), EV_DISPATCH and the other flags, `data` for
 * EVFILT_WRITE on a socket (BSD's free send-buffer space; 0 here), and threads (no locking:
 * one thread at a time, as mob's loops are used).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "sys/event.h"
#undef close /* the header routes close() to mob_kqshim_close; this file needs the real one */

/* As in platform/poll_epoll.c: epoll_pwait2 takes a timespec, so no rounding to whole ms. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define HAVE_EPOLL_PWAIT2 1
#endif

/* macOS's kevent fails with EINVAL when the timeout's tv_sec is over 100,000,000 (about 3
 * years; the limit of its interval timers), where FreeBSD waits. The emulation takes the
 * stricter rule, so a caller that forgets to clamp fails here too. */
#define SHIM_MAX_TIMEOUT_SEC 100000000

/* Inner results are read in batches of this many before translation. */
#define SHIM_BATCH 256

enum { F_READ, F_WRITE, NFILT };

/* One (fd, filter) registration. */
struct knote {
    unsigned char on;       /* the knote exists */
    unsigned char enabled;  /* not EV_DISABLE'd */
    unsigned char in_epoll; /* registered in the filter's inner set right now */
    unsigned char fired;    /* regular file, EV_CLEAR: reported at (last_size, last_off) */
    unsigned short flags;   /* EV_CLEAR | EV_ONESHOT, fixed when the knote was created */
    void *udata;
    off_t last_size, last_off;
};

/* Everything about one fd in one kqueue. */
struct fdent {
    dev_t dev; /* identity of the file the knotes were made for */
    ino_t ino;
    uint32_t gen; /* bumped when the knotes die with a close; part of every epoll key */
    unsigned char is_file; /* a regular file: its knotes live here, not in epoll */
    struct knote kn[NFILT];
};

struct kq {
    int outer;        /* the fd handed out by kqueue() */
    int inner[NFILT]; /* the read set and the write set */
    int next_filt;    /* which inner set is drained first next time, for fairness */
    struct fdent *fds; /* indexed by fd */
    int nfds;
    int nfiles;       /* fds in `fds` that are regular files with knotes */
};

/* Every live kqueue, indexed by its fd. */
static struct kq **kqs;
static int nkqs;

static int filt_index(short filter)
{
    return filter == EVFILT_READ ? F_READ : filter == EVFILT_WRITE ? F_WRITE : -1;
}

static uint64_t epoll_key(int fd, uint32_t gen) { return (uint64_t)gen << 32 | (uint32_t)fd; }

/* Frees q and closes its inner sets, unless `stale`: q's own fd was closed behind our back
 * (not through mob_kqshim_close), and the inner numbers might have gone the same way and been
 * reused; then they are left open, a leak of two fds rather than a close of someone else's. */
static void kq_destroy(struct kq *q, int stale)
{
    for (int k = 0; k < NFILT && !stale; k++)
        if (q->inner[k] >= 0)
            close(q->inner[k]);
    free(q->fds);
    free(q);
}

/* Whether fd is still q's outer set. Every epoll fd has the same inode, so fstat cannot tell;
 * asking fd to modify q's read set can: only the set that holds it says yes. */
static int kq_is_live(struct kq *q, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = F_READ};
    return epoll_ctl(fd, EPOLL_CTL_MOD, q->inner[F_READ], &ev) == 0;
}

/* The kqueue behind `fd`, or NULL (errno EBADF) when fd is not one. A kqueue whose fd was
 * closed behind our back (and perhaps reused) is freed here. */
static struct kq *kq_lookup(int fd)
{
    struct kq *q = fd >= 0 && fd < nkqs ? kqs[fd] : NULL;
    if (q && !kq_is_live(q, fd)) {
        kq_destroy(q, 1);
        kqs[fd] = NULL;
        q = NULL;
    }
    if (!q)
        errno = EBADF;
    return q;
}

/* Creates q's three epoll sets and makes room for its slot in kqs. Returns 0 or an errno. */
static int kq_open(struct kq *q)
{
    if ((q->outer = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return errno;
    for (int k = 0; k < NFILT; k++) {
        if ((q->inner[k] = epoll_create1(EPOLL_CLOEXEC)) < 0)
            return errno;
        /* Level-triggered: an inner set stays "readable" while it has anything to report. */
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        if (epoll_ctl(q->outer, EPOLL_CTL_ADD, q->inner[k], &ev) < 0)
            return errno;
    }
    if (q->outer >= nkqs) {
        int n = nkqs ? nkqs : 16;
        while (n <= q->outer)
            n *= 2;
        struct kq **a = realloc(kqs, (size_t)n * sizeof *a);
        if (!a)
            return ENOMEM;
        memset(a + nkqs, 0, (size_t)(n - nkqs) * sizeof *a);
        kqs = a;
        nkqs = n;
    }
    return 0;
}

/* fork(): the child gets no kqueue, as on BSD. Its copies of the epoll fds are closed and
 * the table forgotten, so a kqueue fd number in the child names nothing (EBADF) until reused. */
static void drop_kqueues_in_child(void)
{
    for (int fd = 0; fd < nkqs; fd++) {
        struct kq *q = kqs[fd];
        if (!q)
            continue;
        close(q->outer);
        kq_destroy(q, 0);
    }
    free(kqs);
    kqs = NULL;
    nkqs = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { pthread_atfork(NULL, NULL, drop_kqueues_in_child); }

int kqueue(void)
{
    pthread_once(&atfork_once, install_atfork);
    struct kq *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    q->outer = q->inner[F_READ] = q->inner[F_WRITE] = -1;
    int err = kq_open(q);
    if (err) {
        if (q->outer >= 0)
            close(q->outer);
        kq_destroy(q, 0);
        errno = err;
        return -1;
    }
    if (kqs[q->outer]) /* a kqueue closed behind our back had this number */
        kq_destroy(kqs[q->outer], 1);
    kqs[q->outer] = q;
    return q->outer;
}

int mob_kqshim_close(int fd)
{
    if (fd >= 0 && fd < nkqs && kqs[fd]) {
        kq_destroy(kqs[fd], 0);
        kqs[fd] = NULL;
    }
    return close(fd);
}

/* The entry for fd, grown on demand; NULL on ENOMEM. */
static struct fdent *fd_entry(struct kq *q, int fd)
{
    if (fd >= q->nfds) {
        int n = q->nfds ? q->nfds : 64;
        while (n <= fd)
            n *= 2;
        struct fdent *a = realloc(q->fds, (size_t)n * sizeof *a);
        if (!a)
            return NULL;
        memset(a + q->nfds, 0, (size_t)(n - q->nfds) * sizeof *a);
        q->fds = a;
        q->nfds = n;
    }
    return &q->fds[fd];
}

static int fd_has_knotes(const struct fdent *e)
{
    return e->kn[F_READ].on || e->kn[F_WRITE].on;
}

/* fd was closed (or now names another file): its knotes died with the close, as on BSD. What
 * epoll still holds under the old generation (a dup kept the file alive) is ignored from now
 * on; the DEL below removes it when fd still names that file, and fails harmlessly if not. */
static void fd_forget(struct kq *q, int fd, struct fdent *e)
{
    for (int k = 0; k < NFILT; k++)
        if (e->kn[k].in_epoll)
            epoll_ctl(q->inner[k], EPOLL_CTL_DEL, fd, NULL);
    memset(e->kn, 0, sizeof e->kn);
    if (e->is_file)
        q->nfiles--;
    e->is_file = 0;
    e->gen++;
}

/* Makes the inner set agree with knote k of fd. Returns 0 or an errno. */
static int knote_sync(struct kq *q, int fd, struct fdent *e, int k)
{
    struct knote *kn = &e->kn[k];
    if (e->is_file) {
        kn->fired = 0; /* added, changed or enabled: the filter is run afresh (BSD) */
        return 0;
    }
    if (!(kn->on && kn->enabled)) {
        if (kn->in_epoll)
            epoll_ctl(q->inner[k], EPOLL_CTL_DEL, fd, NULL);
        kn->in_epoll = 0;
        return 0;
    }
    struct epoll_event ev = {0};
    ev.events = (k == F_READ ? EPOLLIN | EPOLLRDHUP : EPOLLOUT) |
                (kn->flags & EV_CLEAR ? EPOLLET : 0u);
    ev.data.u64 = epoll_key(fd, e->gen);
    /* ADD and MOD both look at the fd's state now and queue an event if it is ready, as BSD
     * does when a knote is added, changed or enabled. MOD finds nothing when the kernel
     * dropped a closed fd that fstat could not tell from its successor (eventfds and other
     * anonymous inodes share one inode number): then it is an ADD. */
    int op = kn->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(q->inner[k], op, fd, &ev) < 0) {
        int alt = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (errno != (op == EPOLL_CTL_ADD ? EEXIST : ENOENT) ||
            epoll_ctl(q->inner[k], alt, fd, &ev) < 0)
            return errno;
    }
    kn->in_epoll = 1;
    return 0;
}

/* Applies one change. Returns 0 or the errno BSD would give. */
static int apply_change(struct kq *q, const struct kevent *kev)
{
    int k = filt_index(kev->filter);
    if (k < 0)
        return EINVAL;
    if (kev->ident > (uintptr_t)INT32_MAX)
        return EBADF;
    int fd = (int)kev->ident;
    struct stat st;
    struct fdent *e = fd < q->nfds ? &q->fds[fd] : NULL;
    if (fstat(fd, &st) < 0) {
        if (e && fd_has_knotes(e))
            fd_forget(q, fd, e);
        return EBADF;
    }
    if (!e && !(e = fd_entry(q, fd)))
        return ENOMEM;
    if (fd_has_knotes(e) && (e->dev != st.st_dev || e->ino != st.st_ino))
        fd_forget(q, fd, e);
    struct knote *kn = &e->kn[k];
    if (kev->flags & EV_DELETE) {
        if (!kn->on)
            return ENOENT;
        kn->on = 0;
        knote_sync(q, fd, e, k);
        if (e->is_file && !fd_has_knotes(e)) {
            e->is_file = 0;
            q->nfiles--;
        }
        return 0;
    }
    int created = 0;
    if (!kn->on) {
        if (!(kev->flags & EV_ADD))
            return ENOENT;
        if (!fd_has_knotes(e)) {
            e->dev = st.st_dev;
            e->ino = st.st_ino;
            if (S_ISREG(st.st_mode)) {
                e->is_file = 1;
                q->nfiles++;
            }
        }
        memset(kn, 0, sizeof *kn);
        kn->on = 1;
        kn->enabled = 1;
        /* The trigger mode is the creating EV_ADD's, for the knote's life (FreeBSD's
         * kqueue_register copies the flags only when it makes the knote). */
        kn->flags = kev->flags & (EV_CLEAR | EV_ONESHOT);
        created = 1;
    }
    if (kev->flags & EV_ADD)
        kn->udata = kev->udata;
    /* As on FreeBSD, EV_ADD alone does not re-enable a disabled knote: EV_ENABLE does. */
    if (kev->flags & EV_DISABLE)
        kn->enabled = 0;
    else if (kev->flags & EV_ENABLE)
        kn->enabled = 1;
    int err = knote_sync(q, fd, e, k);
    if (err && created) {
        kn->on = 0;
        if (e->is_file && !fd_has_knotes(e)) {
            e->is_file = 0;
            q->nfiles--;
        }
    }
    return err;
}

/* Reads what inner set k has ready into out[0..room), as kevents. Returns the count. */
static int drain(struct kq *q, int k, struct kevent *out, int room)
{
    struct epoll_event ev[SHIM_BATCH];
    int n = epoll_wait(q->inner[k], ev, room < SHIM_BATCH ? room : SHIM_BATCH, 0);
    int got = 0;
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)ev[i].data.u64;
        uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
        struct fdent *e = fd < q->nfds ? &q->fds[fd] : NULL;
        if (!e || e->gen != gen || !e->kn[k].on || !e->kn[k].enabled)
            continue; /* a knote that died with its fd: see fd_forget */
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_dev != e->dev || st.st_ino != e->ino) {
            fd_forget(q, fd, e);
            continue;
        }
        struct knote *kn = &e->kn[k];
        uint32_t r = ev[i].events;
        struct kevent *o = &out[got++];
        memset(o, 0, sizeof *o);
        o->ident = (uintptr_t)fd;
        o->filter = k == F_READ ? EVFILT_READ : EVFILT_WRITE;
        o->flags = kn->flags;
        o->udata = kn->udata;
        /* EV_EOF as FreeBSD sets it: the read side is shut (SBS_CANTRCVMORE: the peer's FIN or
         * a reset), or for the write filter the send side (SBS_CANTSENDMORE: a reset, a gone
         * AF_UNIX peer, our own SHUT_WR), with the socket error in fflags. An error alone (an
         * ICMP error on a connected UDP socket: EPOLLERR without a hang-up) fires the filter
         * without EV_EOF, as BSD's so_error does. `data` is what is still readable, so EV_EOF
         * arrives with the last data. */
        if (k == F_READ) {
            if (r & (EPOLLRDHUP | EPOLLHUP))
                o->flags |= EV_EOF;
            int avail = 0;
            if (ioctl(fd, FIONREAD, &avail) == 0) /* fails on a listener: data stays 0 */
                o->data = avail;
        } else if ((r & EPOLLHUP) || mob_kqshim_tcp_send_shut(fd)) {
            o->flags |= EV_EOF;
        }
        if (o->flags & EV_EOF)
            o->fflags = mob_kqshim_socket_error(fd, r, &st);
        if (kn->flags & EV_ONESHOT) {
            kn->on = 0;
            knote_sync(q, fd, e, k);
        }
    }
    return got;
}

/* Regular files, which epoll refuses: each knote of each file is run here, per kevent call.
 * Returns the count stored in out[0..room). */
static int scan_files(struct kq *q, struct kevent *out, int room)
{
    int got = 0;
    for (int fd = 0; fd < q->nfds && got < room; fd++) {
        struct fdent *e = &q->fds[fd];
        if (!e->is_file)
            continue;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_dev != e->dev || st.st_ino != e->ino) {
            fd_forget(q, fd, e); /* closed, or the number names another file now */
            continue;
        }
        off_t off = lseek(fd, 0, SEEK_CUR);
        for (int k = 0; k < NFILT && got < room; k++) {
            struct knote *kn = &e->kn[k];
            if (!kn->on || !kn->enabled)
                continue;
            intptr_t data = k == F_READ ? (intptr_t)(st.st_size - off) : 0;
            if (k == F_READ && data == 0)
                continue; /* at the end of the file: not readable (vnode filter) */
            if ((kn->flags & EV_CLEAR) && kn->fired && kn->last_size == st.st_size &&
                kn->last_off == off)
                continue; /* reported, and nothing moved since */
            kn->fired = 1;
            kn->last_size = st.st_size;
            kn->last_off = off;
            struct kevent *o = &out[got++];
            memset(o, 0, sizeof *o);
            o->ident = (uintptr_t)fd;
            o->filter = k == F_READ ? EVFILT_READ : EVFILT_WRITE;
            o->flags = kn->flags;
            o->data = data;
            o->udata = kn->udata;
            if (kn->flags & EV_ONESHOT)
                kn->on = 0;
        }
        if (!fd_has_knotes(e)) {
            e->is_file = 0;
            q->nfiles--;
        }
    }
    return got;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One wait on the outer set. Returns a bit per inner set that has something (0 when the
 * time ran out), or -1 and errno. left_ns < 0 waits forever. */
static int wait_outer(struct kq *q, int64_t left_ns)
{
    struct epoll_event ev[NFILT];
    int n = -1;
#ifdef HAVE_EPOLL_PWAIT2
    struct timespec ts = {(time_t)(left_ns / 1000000000), (long)(left_ns % 1000000000)};
    n = epoll_pwait2(q->outer, ev, NFILT, left_ns < 0 ? NULL : &ts, NULL);
    if (n < 0 && errno == ENOSYS)
#endif
    {
        int ms = left_ns < 0                               ? -1
                 : left_ns >= (int64_t)INT32_MAX * 1000000 ? INT32_MAX
                                                           : (int)((left_ns + 999999) / 1000000);
        n = epoll_wait(q->outer, ev, NFILT, ms);
    }
    if (n < 0)
        return -1;
    int ready = 0;
    for (int i = 0; i < n; i++)
        ready |= 1 << ev[i].data.u32;
    return ready;
}

int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout)
{
    struct kq *q = kq_lookup(kq);
    if (!q)
        return -1;
    if (nchanges < 0 || nevents < 0 ||
        (timeout && (timeout->tv_sec < 0 || timeout->tv_sec > SHIM_MAX_TIMEOUT_SEC ||
                     timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000))) {
        errno = EINVAL;
        return -1;
    }
    /* The changes, in order. Errors and receipts go to the eventlist (FreeBSD's
     * kqueue_kevent): the entry is the change itself with flags EV_ERROR and the errno in
     * data. With no slot left a failure ends the call. */
    int nerr = 0;
    for (int i = 0; i < nchanges; i++) {
        int err = apply_change(q, &changelist[i]);
        if (!err && !(changelist[i].flags & EV_RECEIPT))
            continue;
        if (nerr == nevents) {
            if (!err)
                return nerr; /* FreeBSD stops here too, with nothing to report it in */
            errno = err;
            return -1;
        }
        eventlist[nerr] = changelist[i];
        eventlist[nerr].flags = EV_ERROR;
        eventlist[nerr].data = err;
        nerr++;
    }
    if (nerr > 0)
        return nerr; /* no wait when there are error entries, as on BSD */
    if (nevents == 0)
        return 0;
    int64_t deadline = -1;
    if (timeout)
        deadline = now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
    for (;;) {
        /* Ready regular files first; then the wait only looks, it must not block. */
        int files = q->nfiles ? scan_files(q, eventlist, nevents) : 0;
        int64_t left = deadline < 0 ? -1 : deadline - now_ns();
        int ready = wait_outer(q, files || (deadline >= 0 && left < 0) ? 0 : left);
        if (ready < 0)
            return files ? files : -1; /* EINTR included, as kevent does */
        if (ready == 0)
            return files;
        /* The set drained first alternates, so that a busy filter cannot starve the other
         * when the eventlist is short. */
        int got = files;
        for (int j = 0; j < NFILT && got < nevents; j++) {
            int k = (q->next_filt + j) % NFILT;
            if (ready & (1 << k))
                got += drain(q, k, eventlist + got, nevents - got);
        }
        q->next_filt = (q->next_filt + 1) % NFILT;
        if (got > 0)
            return got;
        /* Everything reported belonged to dead knotes: wait again for what is left of the
         * timeout, as kevent would have gone on waiting. */
        if (deadline >= 0 && now_ns() >= deadline)
            return 0;
    }
}
