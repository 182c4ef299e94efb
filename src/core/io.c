/* SPDX-License-Identifier: MIT */
/*
 * io.c: fd waits and socket I/O for bots, over one poller per loop: the hot path.
 *
 * The rule everywhere: try the system call first; park only on EAGAIN (or when the fd's
 * `ready` hint says the call would get EAGAIN); the poller's event wakes the bot, which tries
 * again. On an edge-triggered backend (epoll, kqueue) each fd is registered the first time a
 * bot parks on it, for IN (plus OUT when that first wait is a write or a connect), and OUT is
 * added once if a writer ever waits later; nothing else touches the kernel until the fd is
 * closed: no epoll_ctl and no allocation per event, only the read or write itself. (Leaving
 * OUT out until needed spares the kernel a wake-up of the epoll item on every ACK that frees
 * send-buffer space, which nobody waits for in request/response traffic.) On the level-
 * triggered poll backend, the interest of the parked bots is collected during a loop
 * iteration and handed to the poller only when it really changed (libev's fd_reify), so a bot
 * that is woken and parks again on the same fd costs nothing.
 *
 * This file holds the fd table (see io_fd.h), parking and waking, read and write, and the
 * poller's wait (mob__io_poll, called by src/core/loop.c). Ownership, closing and the io's
 * life are in io_own.c; the lockstep readiness snapshot in io_watch.c; sockets are made in
 * net.c; buffered lines and frames are in rbuf.c.
 *
 * Read next: src/core/io_own.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io_fd.h"
#include "sched.h"

/* MOB_CHECK_SELF without the call in the common case: these are the hottest entry points. */
#define IO_CHECK_SELF(self)                                                                    \
    do {                                                                                       \
        if (MOB_UNLIKELY(!(self) || (self)->loop->current != (self)))                          \
            mob__check_self((self), __FILE__, __LINE__);                                       \
    } while (0)

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on every socket mob makes instead */
#endif

/* ---------------------------------------------------------------------------------------- */
/* The fd table                                                                             */
/* ---------------------------------------------------------------------------------------- */

void mob__fd_reset(struct mob__fdent *e, int fd)
{
    e->rd = e->wr = e->owner = NULL;
    mob__list_init(&e->owner_link);
    e->fd = fd;
    e->watch_idx = -1;
    e->watch_events = 0;
    e->scope = 0;
    e->flags = 0;
    e->ready = MOB__IN | MOB__OUT; /* unknown: try the call */
    e->reg = e->want = e->snap = 0;
}

struct mob__fdent *mob__fd_get(struct mob__io *io, int fd)
{
    struct mob__fdent *e = mob__fd_peek(io, fd);
    if (MOB_LIKELY(e != NULL) || fd < 0)
        return e;
    int c = fd >> MOB__FD_CHUNK_SHIFT;
    if (c >= io->nchunks) {
        int had = io->nchunks;
        if (mob_grow(&io->chunks, &io->nchunks, c + 1, sizeof *io->chunks, 16))
            return NULL;
        memset(io->chunks + had, 0, (size_t)(io->nchunks - had) * sizeof *io->chunks);
    }
    struct mob__fdent *chunk = mob__calloc_lines(MOB__FD_CHUNK, sizeof *chunk);
    if (!chunk)
        return NULL;
    for (int i = 0; i < MOB__FD_CHUNK; i++)
        mob__fd_reset(&chunk[i], (c << MOB__FD_CHUNK_SHIFT) + i);
    io->chunks[c] = chunk;
    return &chunk[fd & (MOB__FD_CHUNK - 1)];
}

/* One entry per cache line: a wake-up and the woken bot's next call touch one line of it. */
_Static_assert(sizeof(struct mob__fdent) == MOB__LINE, "struct mob__fdent is one cache line");

/* Level backends: remember that e's interest may have to change before the next wait. */
static int fd_note_change(struct mob__io *io, struct mob__fdent *e)
{
    if (e->flags & MOB__FD_CHANGED)
        return 0;
    if (mob_grow(&io->changes, &io->capchanges, io->nchanges + 1, sizeof *io->changes, 64))
        return -ENOMEM;
    io->changes[io->nchanges++] = e->fd;
    e->flags |= MOB__FD_CHANGED;
    return 0;
}

/* Level backends: hands every changed interest to the poller, once per wait. */
static int fd_reify(struct mob__io *io)
{
    int rc = 0;
    for (int i = 0; i < io->nchanges; i++) {
        struct mob__fdent *e = mob__fd_peek(io, io->changes[i]);
        e->flags &= (unsigned short)~MOB__FD_CHANGED;
        if (e->want == e->reg)
            continue;
        int r = mob__poller_set(io->poller, e->fd, e->reg, e->want);
        if (r < 0) {
            rc = r;
            continue;
        }
        e->reg = e->want;
    }
    io->nchanges = 0;
    return rc;
}

/* Whether fd is a datagram socket or not a socket at all; asked once, when it registers. */
static unsigned fd_kind(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return errno == ENOTSOCK ? MOB__FD_NOTSOCK : 0;
    return type == SOCK_DGRAM ? MOB__FD_DGRAM : 0;
}

static int fd_register(struct mob__io *io, struct mob__fdent *e, unsigned dir)
{
    if (io->edge) {
        unsigned mask = MOB__IN | (dir & MOB__OUT);
        int rc = mob__poller_set(io->poller, e->fd, 0, mask);
        if (rc < 0)
            return rc;
        e->reg = (unsigned char)mask;
    }
    if (!(e->flags & (MOB__FD_DGRAM | MOB__FD_NOTSOCK)))
        e->flags |= (unsigned short)fd_kind(e->fd);
    e->flags |= MOB__FD_REG;
    mob__fd_set_used(io, e);
    return 0;
}

/* Takes `bot` off e's wait slots; returns the directions it was waiting for. */
static inline unsigned fd_unwait(struct mob__io *io, struct mob__fdent *e, mob_bot *bot)
{
    unsigned dirs = 0;
    if (e->rd == bot) {
        e->rd = NULL;
        dirs |= MOB__IN;
    }
    if (e->wr == bot) {
        e->wr = NULL;
        dirs |= MOB__OUT;
    }
    if (dirs) {
        io->loop->io_waiters--;
        if (!io->edge) {
            e->want &= (unsigned char)~dirs;
            fd_note_change(io, e);
        }
    }
    return dirs;
}

/* The loop calls this when a bot parked on an fd times out or is cancelled. */
static void fd_unpark(mob_bot *bot)
{
    fd_unwait(bot->loop->io, (struct mob__fdent *)bot->wait_obj, bot);
}

/* Parks self on e for dir. Inlined into the call that parks most (read), so that a bot
 * blocked there is one frame deep, not three (sched.h says why); mob__fd_park for the rest. */
static inline __attribute__((always_inline)) int fd_park(mob_bot *self, struct mob__fdent *e,
                                                         unsigned dir, int64_t deadline)
{
    struct mob__io *io = self->loop->io;
    if (((dir & MOB__IN) && e->rd) || ((dir & MOB__OUT) && e->wr))
        return -EBUSY;
    if (deadline == MOB_NOW)
        return -ETIMEDOUT;
    if (MOB_UNLIKELY(!(e->flags & MOB__FD_REG))) {
        int rc = fd_register(io, e, dir);
        if (rc < 0)
            return rc;
    } else if (MOB_UNLIKELY(io->edge && (dir & ~(unsigned)e->reg))) {
        /* The first writer to wait on an fd registered for reading: add OUT, once. */
        int rc = mob__poller_set(io->poller, e->fd, e->reg, e->reg | dir);
        if (rc < 0)
            return rc;
        e->reg |= (unsigned char)dir;
    }
    if (dir & MOB__IN)
        e->rd = self;
    if (dir & MOB__OUT)
        e->wr = self;
    io->turns = MOB__IO_TURNS; /* someone waits: the thread is shared again */
    io->loop->io_waiters++;
    if (!io->edge) {
        e->want |= (unsigned char)dir;
        if (fd_note_change(io, e) < 0) {
            fd_unwait(io, e, self);
            return -ENOMEM;
        }
    }
    int rc = mob__sched_park(self, deadline, fd_unpark, e);
    /* mob__park can refuse without parking (a cancelled bot, no memory for the timer); then
     * nobody ran fd_unpark and the wait record is still ours to undo. */
    if (MOB_UNLIKELY(rc < 0) && (e->rd == self || e->wr == self))
        fd_unwait(io, e, self);
    return rc;
}

int mob__io_breathe(mob_bot *self, int64_t deadline)
{
    mob_loop *loop = self->loop;
    loop->io->turns = MOB__IO_TURNS;
    int64_t now = mob_now(loop);
    if (deadline > 0 && now >= deadline)
        return -ETIMEDOUT;
    /* A timer is due (another bot's deadline, a sleep, the run's controller): end the step
     * now, so the host fires it, instead of after the step's whole switch budget. */
    struct mob__timer *t = mob__heap_peek(&loop->timers);
    if (t && t->deadline <= now)
        loop->switch_limit = loop->stats.switches;
    if (loop->mode == MOB_FREE) { /* lockstep: a bot's turn ends only where it yields */
        int rc = mob_yield(self);
        if (rc < 0)
            return rc;
        if (deadline > 0 && mob_now(loop) >= deadline)
            return -ETIMEDOUT;
    }
    return self->cancelled ? -ECANCELED : 0;
}

MOB__SWITCHES int mob__fd_park(mob_bot *self, struct mob__fdent *e, unsigned dir,
                               int64_t deadline)
{
    return fd_park(self, e, dir, deadline);
}

int mob__fd_retry(mob_bot *self, int fd, unsigned dir, int64_t deadline)
{
    if (errno == EINTR)
        return 0;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        return -errno;
    struct mob__fdent *e = mob__fd_get(self->loop->io, fd);
    if (!e)
        return -ENOMEM;
    e->ready &= (unsigned char)~dir; /* the kernel just said so */
    int rc = mob__fd_park(self, e, dir, deadline);
    return rc < 0 ? rc : 0;
}

/* Wakes the bots parked on e for the directions in `mask`, with `rc` (or the mask). */
static inline void fd_wake(struct mob__io *io, struct mob__fdent *e, unsigned mask, int rc)
{
    mob_bot *r = (mask & MOB__IN) ? e->rd : NULL;
    mob_bot *w = (mask & MOB__OUT) ? e->wr : NULL;
    if (r) {
        unsigned dirs = fd_unwait(io, e, r);
        sched_wake(r, rc ? rc : (int)(mask & dirs));
    }
    if (w && w != r) {
        unsigned dirs = fd_unwait(io, e, w);
        sched_wake(w, rc ? rc : (int)(mask & dirs));
    }
}

void mob__fd_wake(struct mob__io *io, struct mob__fdent *e, unsigned mask, int rc)
{
    fd_wake(io, e, mask, rc);
}

/*
 * The entry of an fd about to be read or written. An fd the loop did not create (a socketpair,
 * a pipe, a socket from another library) is made non-blocking the first time it is used here:
 * otherwise the first read on an empty socket would block the whole thread, every bot with it.
 * One fcntl pair per fd, ever; the flag goes when the fd is closed through mob_close.
 */
static inline struct mob__fdent *fd_enter(struct mob__io *io, int fd)
{
    struct mob__fdent *e = mob__fd_peek(io, fd);
    if (MOB_LIKELY(e && (e->flags & MOB__FD_NB)))
        return e;
    if (!e && !(e = mob__fd_get(io, fd)))
        return NULL;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    e->flags |= MOB__FD_NB;
    return e;
}

/* ---------------------------------------------------------------------------------------- */
/* Waiting, reading, writing                                                                */
/* ---------------------------------------------------------------------------------------- */

int mob_wait_fd(mob_bot *self, int fd, unsigned events, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    /* `want` is in the public bits (mob_io.h), `dir` in the poller's (platform.h). */
    unsigned want = events & (MOB_IN | MOB_OUT);
    if (!want || fd < 0)
        return -EINVAL;
    unsigned dir = (want & MOB_IN ? MOB__IN : 0u) | (want & MOB_OUT ? MOB__OUT : 0u);
    if (self->cancelled)
        return -ECANCELED;
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_get(io, fd);
    if (!e)
        return -ENOMEM;
    /* A clear `ready` bit on a registered fd is a fact; anything else needs a look, because an
     * edge-triggered poller will not report data that is already waiting. */
    if (!(e->flags & MOB__FD_REG) || (e->ready & dir)) {
        struct pollfd p = {.fd = fd, .events = (short)((want & MOB_IN ? POLLIN : 0) |
                                                       (want & MOB_OUT ? POLLOUT : 0))};
        if (poll(&p, 1, 0) < 0)
            return -errno;
        if (p.revents & POLLNVAL)
            return -EBADF;
        unsigned m = (p.revents & POLLIN ? MOB_IN : 0u) | (p.revents & POLLOUT ? MOB_OUT : 0u);
        if (p.revents & (POLLERR | POLLHUP))
            m |= want | MOB_HUP;
        if (m)
            return (int)m;
        e->ready &= (unsigned char)~dir;
    }
    int rc = mob__fd_park(self, e, dir, deadline);
    if (rc <= 0)
        return rc;
    return (int)(((unsigned)rc & MOB__IN ? MOB_IN : 0u) | ((unsigned)rc & MOB__OUT ? MOB_OUT : 0u));
}

MOB__SWITCHES ssize_t mob_read(mob_bot *self, int fd, void *buf, size_t len, int64_t deadline)
{
    IO_CHECK_SELF(self);
    if (MOB_UNLIKELY(self->cancelled))
        return -ECANCELED;
    if (MOB_UNLIKELY(len == 0))
        return 0;
    struct mob__io *io = self->loop->io;
    int t = mob__io_turn(self, io, deadline);
    if (MOB_UNLIKELY(t < 0))
        return t;
    struct mob__fdent *e = fd_enter(io, fd);
    for (;;) {
        if (!e || (e->ready & MOB__IN)) {
            ssize_t n = read(fd, buf, len);
            if (n > 0) {
                /* A short read from a stream means the buffer is empty now: the next call
                 * parks at once, and new data comes with a poller event. */
                if ((size_t)n < len && e && !(e->flags & (MOB__FD_DGRAM | MOB__FD_HUP)))
                    e->ready &= (unsigned char)~MOB__IN;
                return n;
            }
            if (n == 0)
                return 0;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -errno;
            if (!e && !(e = mob__fd_get(io, fd)))
                return -ENOMEM;
            e->ready &= (unsigned char)~MOB__IN;
        }
        int rc = fd_park(self, e, MOB__IN, deadline);
        if (rc < 0)
            return rc;
    }
}

ssize_t mob_read_exact(mob_bot *self, int fd, void *buf, size_t len, int64_t deadline)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = mob_read(self, fd, (char *)buf + got, len - got, deadline);
        if (n < 0)
            return n;
        if (n == 0)
            return -EPIPE;
        got += (size_t)n;
    }
    return (ssize_t)len;
}

/* write(2) on something that is not a socket (a pipe), with SIGPIPE held back: a write to a
 * pipe whose reader is gone must give EPIPE, not kill the process. Four extra system calls,
 * paid only for non-sockets. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = write(fd, buf, len);
    int err = errno;
    if (n < 0 && err == EPIPE && !was_pending) {
        /* Consume the SIGPIPE we caused, now pending, before unblocking it. sigwait rather
         * than sigtimedwait, which macOS lacks: it returns at once, the signal is there. */
        sigpending(&pending);
        int sig;
        if (sigismember(&pending, SIGPIPE))
            sigwait(&pipe_set, &sig);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

/* mob_write_all and mob_write_all2 both inline this: a write that fits the socket buffer, the
 * common case, then costs one call level. */
static inline __attribute__((always_inline)) ssize_t write_all(mob_bot *self, int fd,
                                                               const void *buf, size_t len,
                                                               int64_t deadline, size_t *written)
{
    IO_CHECK_SELF(self);
    size_t off = 0;
    ssize_t rc = 0;
    if (MOB_UNLIKELY(self->cancelled)) {
        rc = -ECANCELED;
        goto out;
    }
    struct mob__io *io = self->loop->io;
    if (MOB_UNLIKELY((rc = mob__io_turn(self, io, deadline)) < 0))
        goto out;
    struct mob__fdent *e = fd_enter(io, fd);
    while (off < len) {
        if (!e || (e->ready & MOB__OUT)) {
            ssize_t n;
            if (MOB_LIKELY(!e || !(e->flags & MOB__FD_NOTSOCK)))
                n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
            else
                n = write_nosigpipe(fd, (const char *)buf + off, len - off);
            if (n >= 0) {
                off += (size_t)n;
                /* Short: the socket buffer is full; park instead of asking again. */
                if (off < len && e && !(e->flags & MOB__FD_HUP))
                    e->ready &= (unsigned char)~MOB__OUT;
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno == ENOTSOCK) {
                if (!e && !(e = mob__fd_get(io, fd))) {
                    rc = -ENOMEM;
                    goto out;
                }
                e->flags |= MOB__FD_NOTSOCK;
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                rc = -errno;
                goto out;
            }
            if (!e && !(e = mob__fd_get(io, fd))) {
                rc = -ENOMEM;
                goto out;
            }
            e->ready &= (unsigned char)~MOB__OUT;
        }
        int r = mob__fd_park(self, e, MOB__OUT, deadline);
        if (r < 0) {
            rc = r;
            goto out;
        }
    }
    rc = (ssize_t)len;
out:
    if (written)
        *written = off;
    return rc;
}

ssize_t mob_write_all2(mob_bot *self, int fd, const void *buf, size_t len, int64_t deadline,
                       size_t *written)
{
    return write_all(self, fd, buf, len, deadline, written);
}

ssize_t mob_write_all(mob_bot *self, int fd, const void *buf, size_t len, int64_t deadline)
{
    return write_all(self, fd, buf, len, deadline, NULL);
}

ssize_t mob_sendto(mob_bot *self, int fd, const void *buf, size_t len, const struct sockaddr *to,
                   socklen_t tolen, int64_t deadline)
{
    int t = mob__io_begin(self, deadline);
    if (t < 0)
        return t;
    fd_enter(self->loop->io, fd); /* a socket mob did not make must not block the thread */
    for (;;) {
        ssize_t n = sendto(fd, buf, len, MSG_NOSIGNAL, to, tolen);
        if (n >= 0)
            return n;
        int rc = mob__fd_retry(self, fd, MOB__OUT, deadline);
        if (rc < 0)
            return rc;
    }
}

ssize_t mob_recvfrom(mob_bot *self, int fd, void *buf, size_t len, struct sockaddr_storage *from,
                     socklen_t *fromlen, int64_t deadline)
{
    int t = mob__io_begin(self, deadline);
    if (t < 0)
        return t;
    fd_enter(self->loop->io, fd); /* a socket mob did not make must not block the thread */
    for (;;) {
        socklen_t fl = from ? (fromlen && *fromlen ? *fromlen : sizeof *from) : 0;
        ssize_t n = recvfrom(fd, buf, len, 0, (struct sockaddr *)from, from ? &fl : NULL);
        if (n >= 0) {
            if (fromlen)
                *fromlen = from ? fl : 0;
            return n;
        }
        int rc = mob__fd_retry(self, fd, MOB__IN, deadline);
        if (rc < 0)
            return rc;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The poller's wait, called by the loop                                                    */
/* ---------------------------------------------------------------------------------------- */

int mob__io_poll(mob_loop *loop, int64_t timeout_ns)
{
    struct mob__io *io = loop->io;
    if (!io->edge && io->nchanges) {
        int rc = fd_reify(io);
        if (rc < 0)
            return rc;
    }
    int n = mob__poller_wait(io->poller, timeout_ns, io->events, MOB__IO_BATCH);
    /* Newest first: epoll lists fds in the order they became ready, so the last ones are those
     * whose data arrived most recently and whose socket buffers are still in the CPU's cache;
     * their bots run first. Every fd of the batch is served in this step either way (libev
     * also runs its pending list from the end). Measured by mob-bench echo against a raw
     * epoll loop (tools/compare-selectors.sh). */
    for (int i = n - 1; i >= 0; i--) {
        struct mob__fdent *e = mob__fd_peek(io, io->events[i].fd);
        if (MOB_UNLIKELY(!e))
            continue;
        unsigned mask = io->events[i].mask;
        if (MOB_UNLIKELY(mask & MOB__HUP))
            e->flags |= MOB__FD_HUP;
        mask &= MOB__IN | MOB__OUT;
        e->ready |= (unsigned char)mask;
        if (((mask & MOB__IN) && e->rd) || ((mask & MOB__OUT) && e->wr))
            fd_wake(io, e, mask, 0);
    }
    return n;
}
