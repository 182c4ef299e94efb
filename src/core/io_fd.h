/* SPDX-License-Identifier: MIT */
/*
 * io_fd.h: the fd table that the io files of src/core (io.c, io_own.c, io_watch.c, net.c,
 * rbuf.c) share, and nobody else sees.
 *
 * Every fd the loop knows has one entry, found by index in O(1):
 *
 *     io->chunks[fd >> 8][fd & 255]   (chunks of 256 entries, allocated when first touched,
 *                                      never moved, so owner lists can point into them)
 *
 * An entry records who waits on the fd (one reader, one writer), which bot owns it (closed
 * when that bot returns), what the kernel was told, and `ready`: the directions not known to
 * be drained. A read or write that comes back short or with EAGAIN clears its bit, a poller
 * event sets it again; a bot whose bit is clear parks without trying the system call, which
 * is what saves the extra EAGAIN call per event on edge-triggered backends. The bit is only a
 * hint: a set bit costs at most one EAGAIN, and a clear bit is trusted only once the fd is
 * registered (registering reports data that is already there). One exception: once the
 * poller has reported a hang-up (MOB__HUP), EOF or the error is a lasting state that no new
 * edge will announce, so from then on only EAGAIN clears a bit.
 *
 * Read next: src/core/io.c.
 */
#ifndef MOB_IO_FD_H
#define MOB_IO_FD_H

#include "internal.h"

#define MOB__FD_CHUNK_SHIFT 8
#define MOB__FD_CHUNK (1 << MOB__FD_CHUNK_SHIFT)

/* Poller events handled per wait; a busier loop drains the rest on the next call. */
#define MOB__IO_BATCH 1024

/* Entry flags. USED means the loop tracks the fd (registered, owned or watched) and counts it
 * in stats.fds_registered and in the leak check. */
enum {
    MOB__FD_USED = 1,
    MOB__FD_REG = 2,        /* known to the poller (edge: registered IN|OUT once) */
    MOB__FD_DGRAM = 4,      /* datagram socket: a short read does not mean drained */
    MOB__FD_NOTSOCK = 8,    /* a pipe or tty: write(2) instead of send(2) */
    MOB__FD_WATCHED = 16,   /* lockstep: in the snapshot set */
    MOB__FD_WATCH_ADD = 32, /* lockstep: joins the snapshot set at the end of this tick */
    MOB__FD_WATCH_DEL = 64, /* lockstep: leaves it at the end of this tick */
    MOB__FD_CHANGED = 128,  /* level backends: in io->changes, interest to re-check */
    MOB__FD_HUP = 256,      /* the poller saw a hang-up or an error: never assume drained */
    MOB__FD_NB = 512        /* known to be non-blocking (made so on first use if needed) */
};

/* What every event and every read or write touches comes first, and an entry is one cache
 * line, so the hot part never straddles two lines. */
struct mob__fdent {
    mob_bot *rd, *wr;             /* bots parked reading / writing, or NULL */
    unsigned short flags;
    unsigned char ready;          /* MOB__IN / MOB__OUT not known to be drained */
    unsigned char reg;            /* mask the kernel has */
    unsigned char want;           /* level backends: mask the waiters need */
    unsigned char snap;           /* lockstep: public MOB_IN/OUT/HUP of the last snapshot */
    unsigned short scope;         /* depth of the scope it belongs to (0: the loop's own) */
    int fd;
    /* colder: ownership and the lockstep snapshot */
    mob_bot *owner;               /* closes the fd when it returns, or NULL */
    struct mob__list owner_link;  /* in owner->fds */
    int watch_idx;                /* index in io->watch, or -1 */
    unsigned char watch_events;   /* lockstep: MOB_IN/MOB_OUT the snapshot reports */
    char pad_[3];
};
_Static_assert(sizeof(struct mob__fdent) == 64, "one fd entry per cache line");

struct pollfd;

struct mob__io {
    mob_loop *loop;
    struct mob__poller *poller;
    int edge;                       /* mob__poller_edge(), cached */
    int turns;                      /* I/O calls left before a breather (mob__io_turn) */
    struct mob__fdent **chunks;
    int nchunks;
    int nused;                      /* entries with MOB__FD_USED */
    int *changes;                   /* level backends: fds whose interest may have changed */
    int nchanges, capchanges;
    struct pollfd *watch;           /* lockstep snapshot set */
    int nwatch, capwatch;
    int *watch_ops;                 /* fds with a pending watch/unwatch */
    int nwatch_ops, capwatch_ops;
    int nsnap;                      /* watched fds with a nonzero snapshot */
    struct mob__io *next_live;      /* every live loop, for mob_close(NULL, fd) */
    struct mob__event *events;
};

/* The entry for fd, or NULL when its chunk was never touched. O(1). */
static inline struct mob__fdent *mob__fd_peek(const struct mob__io *io, int fd)
{
    unsigned c = (unsigned)fd >> MOB__FD_CHUNK_SHIFT; /* a negative fd gives a huge c */
    if (MOB_UNLIKELY(c >= (unsigned)io->nchunks || !io->chunks[c]))
        return NULL;
    return &io->chunks[c][fd & (MOB__FD_CHUNK - 1)];
}

/* The entry for fd, allocating its chunk on first use. NULL on ENOMEM or a negative fd. */
struct mob__fdent *mob__fd_get(struct mob__io *io, int fd);

/*
 * Parks `self` until `e`'s fd is ready in `dir` (MOB__IN, MOB__OUT or both), registering the
 * fd first if needed. Returns the ready mask (> 0), -ETIMEDOUT, -ECANCELED, -EBADF (closed
 * while waiting), -EBUSY (another bot waits in that direction) or a poller error.
 */
int mob__fd_park(mob_bot *self, struct mob__fdent *e, unsigned dir, int64_t deadline);

/* After a system call on fd failed with errno: 0 to try the call again (EINTR, or the fd
 * became ready while we were parked on it), or -errno (a real error, -ETIMEDOUT, -ECANCELED,
 * -ENOMEM). The one place that turns EAGAIN into a park for calls without a fast path. */
int mob__fd_retry(mob_bot *self, int fd, unsigned dir, int64_t deadline);

/*
 * A bot whose calls never wait (a server that streams an endless body, a flood of accepts,
 * connects that fail at once) would keep the thread: no other bot would run, no timer fire,
 * and its own deadline would never be looked at, since deadlines are timers. So every I/O
 * call spends one turn of a budget that any park refills; when it is spent, the call checks
 * its deadline against the clock and the bot yields (free mode), as libuv reads a stream at
 * most 32 times per loop iteration. Returns 0, -ETIMEDOUT or -ECANCELED.
 */
#define MOB__IO_TURNS 32
int mob__io_breathe(mob_bot *self, int64_t deadline);
static inline int mob__io_turn(mob_bot *self, struct mob__io *io, int64_t deadline)
{
    if (MOB_LIKELY(--io->turns > 0))
        return 0;
    return mob__io_breathe(self, deadline);
}

/* How every I/O call off the hottest path (connect, accept, datagrams) starts: the bot's own
 * call, not cancelled, and its turn of the I/O budget. Returns 0 or -errno. */
static inline int mob__io_begin(mob_bot *self, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (self->cancelled)
        return -ECANCELED;
    return mob__io_turn(self, self->loop->io, deadline);
}

/* Makes `self` the owner of fd (closed when it returns). Returns 0 or -ENOMEM. */
int mob__fd_own(mob_bot *self, int fd, unsigned flags);

/* Deregisters fd from `io`, wakes its waiters with -EBADF and forgets it (does not close). */
void mob__fd_forget(struct mob__io *io, int fd);

/* Resets e to "unknown fd": no waiters, no owner, not registered, both directions ready. */
void mob__fd_reset(struct mob__fdent *e, int fd);

/* Counts e as tracked by the loop (stats.fds_registered, the leak check), once. */
static inline void mob__fd_set_used(struct mob__io *io, struct mob__fdent *e)
{
    if (e->flags & MOB__FD_USED)
        return;
    e->flags |= MOB__FD_USED;
    e->scope = (unsigned short)mob__scope_of_caller(io->loop);
    io->nused++;
    io->loop->stats.fds_registered = io->nused;
}

/* Wakes the bots parked on e for the directions in `mask`, with `rc` (or the mask). */
void mob__fd_wake(struct mob__io *io, struct mob__fdent *e, unsigned mask, int rc);

/* Takes e out of the lockstep snapshot set at once (io_watch.c). */
void mob__io_watch_remove(struct mob__io *io, struct mob__fdent *e);

/* Sets the socket options every socket made by mob gets (no SIGPIPE on BSD). */
void mob__sock_prepare(int fd);

#endif /* MOB_IO_FD_H */
