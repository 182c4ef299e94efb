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

static int watch_add(struct mob__io *io, struct mob__fdent *e)
{
    if (io->nwatch == io->capwatch) {
        int cap = io->capwatch ? io->capwatch * 2 : 16;
        struct pollfd *w = MOB_REALLOC(io->watch, (size_t)cap * sizeof *w);
        if (!w)
            return -ENOMEM;
        io->watch = w;
        io->capwatch = cap;
    }
    e->watch_idx = io->nwatch++;
    io->watch[e->watch_idx].fd = e->fd;
    io->watch[e->watch_idx].events = POLLIN | POLLOUT;
    io->watch[e->watch_idx].revents = 0;
    e->flags |= MOB__FD_WATCHED;
    mob__fd_set_used(io, e);
    return 0;
}

static int watch_op(struct mob__io *io, struct mob__fdent *e)
{
    if (io->nwatch_ops == io->capwatch_ops) {
        int cap = io->capwatch_ops ? io->capwatch_ops * 2 : 16;
        int *w = MOB_REALLOC(io->watch_ops, (size_t)cap * sizeof *w);
        if (!w)
            return -ENOMEM;
        io->watch_ops = w;
        io->capwatch_ops = cap;
    }
    io->watch_ops[io->nwatch_ops++] = e->fd;
    return 0;
}

int mob_watch(mob_bot *self, int fd)
{
    MOB_CHECK_SELF(self);
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_get(io, fd);
    if (!e)
        return -ENOMEM;
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

int mob_unwatch(mob_bot *self, int fd)
{
    MOB_CHECK_SELF(self);
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
    return e ? e->snap : 0;
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
    if (io->nwatch == 0)
        return;
    if (poll(io->watch, (nfds_t)io->nwatch, 0) < 0)
        return; /* EINTR or ENOMEM: keep the previous snapshot */
    for (int i = 0; i < io->nwatch; i++) {
        short re = io->watch[i].revents;
        unsigned m = (re & POLLIN ? MOB_IN : 0u) | (re & POLLOUT ? MOB_OUT : 0u) |
                     (re & (POLLERR | POLLHUP | POLLNVAL) ? MOB_HUP : 0u);
        mob__fd_peek(io, io->watch[i].fd)->snap = (unsigned char)m;
    }
}
