/* SPDX-License-Identifier: MIT */
/*
 * io_watch.c: the lockstep readiness snapshot (testtoolkit's server_wrapper): mob_watch,
 * mob_unwatch and mob_ready, refreshed once per tick by mob__io_tick_end.
 *
 * Read next: src/core/net.c.
 */
#include <errno.h>
#include <poll.h>

#include "io_fd.h"

/* ---------------------------------------------------------------------------------------- */
/* Lockstep readiness snapshot (testtoolkit's server_wrapper)                               */
/* ---------------------------------------------------------------------------------------- */

/*
 * Watched fds live in a dense pollfd array; at the end of each tick the pending unwatches and
 * watches are applied, then one poll(2) with timeout 0 takes the snapshot that mob_ready
 * answers from during the next tick. poll(2) rather than the loop's poller because the
 * snapshot must be level-triggered (select's semantics) whatever the backend, and the bots
 * may read these fds with plain recv(2), behind the `ready` hints' back.
 */
void mob__io_watch_remove(struct mob__io *io, struct mob__fdent *e)
{
    int i = e->watch_idx;
    io->watch[i] = io->watch[--io->nwatch];
    if (i < io->nwatch)
        mob__fd_peek(io, io->watch[i].fd)->watch_idx = i;
    e->watch_idx = -1;
    e->snap = 0;
    e->flags &= (unsigned short)~MOB__FD_WATCHED;
}

static short poll_events(unsigned events)
{
    return (short)((events & MOB_IN ? POLLIN : 0) | (events & MOB_OUT ? POLLOUT : 0));
}

static int watch_add(struct mob__io *io, struct mob__fdent *e)
{
    if (mob_grow(&io->watch, &io->capwatch, io->nwatch + 1, sizeof *io->watch, 16))
        return -ENOMEM;
    e->watch_idx = io->nwatch++;
    io->watch[e->watch_idx].fd = e->fd;
    io->watch[e->watch_idx].events = poll_events(e->watch_events);
    io->watch[e->watch_idx].revents = 0;
    e->flags |= MOB__FD_WATCHED;
    mob__fd_set_used(io, e);
    return 0;
}

static int watch_op(struct mob__io *io, struct mob__fdent *e)
{
    if (mob_grow(&io->watch_ops, &io->capwatch_ops, io->nwatch_ops + 1, sizeof *io->watch_ops, 16))
        return -ENOMEM;
    io->watch_ops[io->nwatch_ops++] = e->fd;
    return 0;
}

int mob_watch_for(mob_bot *self, int fd, unsigned events)
{
    MOB_CHECK_SELF(self);
    events &= MOB_IN | MOB_OUT;
    if (!events || fd < 0)
        return -EINVAL;
    mob__turn_active(self->loop);
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_get(io, fd);
    if (!e)
        return -ENOMEM;
    /* The snapshot is taken at the end of the tick, so a new interest applies from the next
     * tick whether the fd is watched already or not. */
    e->watch_events = (unsigned char)events;
    if (e->watch_idx >= 0)
        io->watch[e->watch_idx].events = poll_events(events);
    if (e->flags & MOB__FD_WATCH_DEL) { /* watched, unwatched, watched again: no change */
        e->flags &= (unsigned short)~MOB__FD_WATCH_DEL;
        return 0;
    }
    if (e->flags & (MOB__FD_WATCHED | MOB__FD_WATCH_ADD))
        return 0;
    int rc = watch_op(io, e);
    if (rc == 0)
        e->flags |= MOB__FD_WATCH_ADD;
    return rc;
}

int mob_watch(mob_bot *self, int fd) { return mob_watch_for(self, fd, MOB_IN | MOB_OUT); }

int mob_unwatch(mob_bot *self, int fd)
{
    MOB_CHECK_SELF(self);
    mob__turn_active(self->loop);
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_peek(io, fd);
    if (!e)
        return -ENOENT;
    if (e->flags & MOB__FD_WATCH_ADD) { /* a removal cancels a pending add */
        e->flags &= (unsigned short)~MOB__FD_WATCH_ADD;
        return 0;
    }
    if (!(e->flags & MOB__FD_WATCHED) || (e->flags & MOB__FD_WATCH_DEL))
        return -ENOENT;
    int rc = watch_op(io, e);
    if (rc == 0)
        e->flags |= MOB__FD_WATCH_DEL;
    return rc;
}

unsigned mob_ready(mob_loop *loop, int fd)
{
    struct mob__fdent *e = mob__fd_peek(loop->io, fd);
    unsigned m = e ? e->snap : 0;
    mob__turn_query(loop, m != 0);
    return m;
}

/* Takes the readiness snapshot of every watched fd (level-triggered, at once). */
static void snapshot(struct mob__io *io)
{
    io->nsnap = 0;
    if (io->nwatch == 0)
        return;
    if (poll(io->watch, (nfds_t)io->nwatch, 0) < 0) {
        io->nsnap = io->nwatch; /* EINTR or ENOMEM: keep the previous snapshot, not idle */
        return;
    }
    for (int i = 0; i < io->nwatch; i++) {
        short re = io->watch[i].revents;
        unsigned m = (re & POLLIN ? MOB_IN : 0u) | (re & POLLOUT ? MOB_OUT : 0u) |
                     (re & (POLLERR | POLLHUP | POLLNVAL) ? MOB_HUP : 0u);
        mob__fd_peek(io, io->watch[i].fd)->snap = (unsigned char)m;
        io->nsnap += m != 0;
    }
}

/* Is `e` tracked for nothing but the snapshot? Then leaving the snapshot forgets it. */
static int only_watched(const struct mob__fdent *e)
{
    return !e->owner && !(e->flags & MOB__FD_REG);
}

void mob__io_tick_end(mob_loop *loop)
{
    struct mob__io *io = loop->io;
    for (int i = 0; i < io->nwatch_ops; i++) {
        struct mob__fdent *e = mob__fd_peek(io, io->watch_ops[i]);
        if (!e)
            continue;
        if (e->flags & MOB__FD_WATCH_DEL) {
            e->flags &= (unsigned short)~MOB__FD_WATCH_DEL;
            if (e->watch_idx >= 0)
                mob__io_watch_remove(io, e);
            if (only_watched(e) && (e->flags & MOB__FD_USED)) {
                e->flags &= (unsigned short)~MOB__FD_USED;
                io->nused--;
                loop->stats.fds_registered = io->nused;
            }
        } else if (e->flags & MOB__FD_WATCH_ADD) {
            e->flags &= (unsigned short)~MOB__FD_WATCH_ADD;
            watch_add(io, e);
        }
    }
    io->nwatch_ops = 0;
    snapshot(io);
}

int mob__io_watch_quiet(const mob_loop *loop)
{
    const struct mob__io *io = loop->io;
    return io->nsnap == 0 && io->nwatch_ops == 0;
}

/*
 * An idle lockstep tick (loop.c says when a tick is idle): the next tick would see the same
 * snapshot and do the same nothing, so wait instead, in one poll(2) over the watched fds, each
 * for the readiness its snapshot lacks (what could change a bot's answer), plus the poller's
 * own fd, whose readiness means a bot parked on an fd has an event. The poll backend has no
 * such fd: with bots parked on fds there, the wait is cut into MOB__IDLE_POLL_SLICE_NS
 * (internal.h) so that they are not held up longer than that. Then the snapshot is taken
 * again for the next tick. Returns 0 or -errno.
 */
int mob__io_idle_wait(mob_loop *loop, int64_t timeout_ns)
{
    struct mob__io *io = loop->io;
    int bfd = mob__poller_fd(io->poller);
    if (bfd < 0 && loop->io_waiters > 0 &&
        (timeout_ns < 0 || timeout_ns > MOB__IDLE_POLL_SLICE_NS))
        timeout_ns = MOB__IDLE_POLL_SLICE_NS;
    if (io->nwatch == io->capwatch) {
        struct pollfd *w = MOB_REALLOC(io->watch, (size_t)(io->capwatch + 1) * sizeof *w);
        if (!w)
            return -ENOMEM;
        io->watch = w;
        io->capwatch++;
    }
    for (int i = 0; i < io->nwatch; i++) {
        struct pollfd *p = &io->watch[i];
        p->events = (short)(p->events & ~p->revents);
    }
    int n = io->nwatch;
    if (bfd >= 0)
        io->watch[n++] = (struct pollfd){.fd = bfd, .events = POLLIN};
    /* Whole milliseconds, rounded up: an idle tick may wake up to 1 ms after a deadline. */
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + MOB_NS_PER_MS - 1) / MOB_NS_PER_MS);
    int rc = poll(io->watch, (nfds_t)n, ms) < 0 && errno != EINTR ? -errno : 0;
    for (int i = 0; i < io->nwatch; i++)
        io->watch[i].events = poll_events(mob__fd_peek(io, io->watch[i].fd)->watch_events);
    snapshot(io);
    return rc;
}

int mob__io_nwatch(const mob_loop *loop) { return loop->io->nwatch; }
