/* SPDX-License-Identifier: MIT */
/*
 * io_own.c: who owns an fd and how it is closed, and the life of a loop's io: made and freed
 * with the loop, closing what a returning bot owned, and the leak check of fds still tracked.
 * An fd a bot opened through mob (or adopted) is closed when that bot returns; mob_fd_release
 * hands it back to the caller.
 *
 * Read next: src/core/io_watch.c.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "io_fd.h"

/* Every live loop's io of this thread, so that the host can mob_close(NULL, fd) without
 * naming its loop. Per thread, as loops are (mob.h, "Threads"): no lock, and no thread can
 * reach another's loops. */
static _Thread_local struct mob__io *live_ios;


/* ---------------------------------------------------------------------------------------- */
/* Ownership and closing                                                                    */
/* ---------------------------------------------------------------------------------------- */

int mob__fd_own(mob_bot *self, int fd, unsigned flags)
{
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_get(io, fd);
    if (!e)
        return -ENOMEM;
    e->flags |= (unsigned short)flags;
    if (e->owner)
        mob__list_remove(&e->owner_link);
    e->owner = self;
    mob__list_push_back(&self->fds, &e->owner_link);
    mob__fd_set_used(io, e);
    e->scope = (unsigned short)self->scope; /* an fd handed over joins its new owner's scope */
    return 0;
}

void mob__fd_forget(struct mob__io *io, int fd)
{
    struct mob__fdent *e = mob__fd_peek(io, fd);
    if (!e)
        return;
    mob__fd_wake(io, e, MOB__IN | MOB__OUT, -EBADF);
    if (e->owner)
        mob__list_remove(&e->owner_link);
    /* The kernel drops a closed fd from epoll and kqueue by itself, but only when no dup of it
     * survives; deregistering explicitly keeps stale events out in every case. */
    if (e->reg)
        mob__poller_set(io->poller, fd, e->reg, 0);
    if (e->watch_idx >= 0)
        mob__io_watch_remove(io, e);
    if (e->flags & MOB__FD_USED) {
        io->nused--;
        io->loop->stats.fds_registered = io->nused;
    }
    /* A pending level-backend change for this fd finds want == reg == 0 and does nothing. */
    unsigned short keep = e->flags & MOB__FD_CHANGED;
    mob__fd_reset(e, fd);
    e->flags = keep;
}

/* Closes fd in one loop. */
static int io_close(struct mob__io *io, int fd)
{
    mob__fd_forget(io, fd);
    /* POSIX leaves the fd state unspecified after EINTR from close; on Linux and the BSDs it
     * is closed, so retrying could close a stranger's fd. */
    if (close(fd) < 0 && errno != EINTR)
        return -errno;
    return 0;
}

int mob_close(mob_bot *self, int fd)
{
    if (fd < 0)
        return -EBADF;
    if (self)
        return io_close(self->loop->io, fd);
    for (struct mob__io *io = live_ios; io; io = io->next_live)
        mob__fd_forget(io, fd);
    if (close(fd) < 0 && errno != EINTR)
        return -errno;
    return 0;
}

int mob_fd_release(mob_bot *self, int fd)
{
    struct mob__io *io = self->loop->io;
    struct mob__fdent *e = mob__fd_peek(io, fd);
    if (!e || e->owner != self)
        return -ENOENT;
    mob__list_remove(&e->owner_link);
    e->owner = NULL;
    /* Never registered nor watched: the loop has no reason to track it any more. */
    if (!(e->flags & (MOB__FD_REG | MOB__FD_WATCHED | MOB__FD_WATCH_ADD)) &&
        (e->flags & MOB__FD_USED)) {
        e->flags &= (unsigned short)~MOB__FD_USED;
        io->nused--;
        io->loop->stats.fds_registered = io->nused;
    }
    return 0;
}

int mob_fd_adopt(mob_bot *self, int fd)
{
    if (fd < 0)
        return -EBADF;
    return mob__fd_own(self, fd, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* The io's life, called by the loop                                                      */
/* ---------------------------------------------------------------------------------------- */

int mob__io_init(mob_loop *loop)
{
    struct mob__io *io = MOB_CALLOC(1, sizeof *io);
    if (!io)
        return -ENOMEM;
    io->events = MOB_MALLOC(MOB__IO_BATCH * sizeof *io->events);
    int rc = io->events ? mob__poller_new(&io->poller) : -ENOMEM;
    if (rc < 0) {
        MOB_FREE(io->events);
        MOB_FREE(io);
        return rc;
    }
    io->loop = loop;
    io->edge = mob__poller_edge();
    io->turns = MOB__IO_TURNS;
    io->next_live = live_ios;
    live_ios = io;
    loop->io = io;
    loop->stats.fds_registered = 0; /* stats.fd_limit is filled by the loop (loop.c) */
    return 0;
}

void mob__io_fini(mob_loop *loop)
{
    struct mob__io *io = loop->io;
    if (!io)
        return;
    for (struct mob__io **p = &live_ios; *p; p = &(*p)->next_live)
        if (*p == io) {
            *p = io->next_live;
            break;
        }
    mob__poller_free(io->poller);
    for (int c = 0; c < io->nchunks; c++)
        mob__free_lines(io->chunks[c]);
    MOB_FREE(io->chunks);
    MOB_FREE(io->changes);
    MOB_FREE(io->watch);
    MOB_FREE(io->watch_ops);
    MOB_FREE(io->events);
    MOB_FREE(io);
    loop->io = NULL;
}

void mob__io_bot_done(mob_bot *bot)
{
    struct mob__io *io = bot->loop->io;
    while (!mob__list_empty(&bot->fds)) {
        struct mob__fdent *e =
            mob__container_of(bot->fds.next, struct mob__fdent, owner_link);
        io_close(io, e->fd);
    }
}

int mob__io_check(mob_loop *loop, int report, int scope)
{
    struct mob__io *io = loop->io;
    int leaks = 0;
    for (int c = 0; io && c < io->nchunks; c++) {
        if (!io->chunks[c])
            continue;
        for (int i = 0; i < MOB__FD_CHUNK; i++) {
            struct mob__fdent *e = &io->chunks[c][i];
            if (!(e->flags & MOB__FD_USED) || (scope > 0 && e->scope < scope))
                continue;
            leaks++;
            if (report)
                fprintf(stderr, "mob: leak%s: fd %d still registered%s%s\n",
                        scope > 0 ? " in a scope" : "", e->fd,
                        e->owner ? " (owned by a live bot)" : "",
                        e->flags & MOB__FD_WATCHED ? " (watched)" : "");
            io_close(io, e->fd);
        }
    }
    return leaks;
}

int mob__io_backend_fd(const mob_loop *loop) { return mob__poller_fd(loop->io->poller); }

const char *mob_backend_name(void) { return mob__poller_name(); }
