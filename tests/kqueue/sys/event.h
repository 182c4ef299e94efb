/* SPDX-License-Identifier: MIT */
/*
 * sys/event.h (test emulation): the subset of the BSD kqueue API that platform/poll_kqueue.c
 * uses, implemented on epoll by tests/kqueue/kqueue_shim.c, so that the kqueue backend is
 * compiled and run through the whole suite on Linux (`make POLLER=kqueue`). It is test
 * infrastructure: only that configuration compiles it, and libmob never ships it.
 *
 * What is emulated, with BSD semantics: kqueue(); kevent() with a changelist, an eventlist and
 * a timespec timeout; the filters EVFILT_READ and EVFILT_WRITE, one registration (knote) per
 * (fd, filter); EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR (edge-triggered;
 * without it a knote is level-triggered; fixed when the knote is created), EV_RECEIPT; EV_EOF
 * (with the socket error in `fflags`) and EV_ERROR in results; `data` (bytes readable for
 * EVFILT_READ, the errno of an EV_ERROR entry) and `udata`; regular files; no kqueue across
 * fork(). Flag values are FreeBSD's. kqueue_shim.c says how, and what is not emulated.
 */
#ifndef MOB_KQUEUE_SHIM_SYS_EVENT_H
#define MOB_KQUEUE_SHIM_SYS_EVENT_H

#include <stdint.h>
#include <time.h>
#include <unistd.h> /* declared before the close() redirection below */

struct kevent {
    uintptr_t ident;     /* the fd */
    short filter;        /* EVFILT_* */
    unsigned short flags; /* EV_* */
    unsigned int fflags; /* filter flags; in results, the socket error with EV_EOF */
    intptr_t data;       /* filter data, or the errno of an EV_ERROR entry */
    void *udata;         /* handed back untouched */
};

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)

/* Actions and options, in a change. */
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
/* Returned. */
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

/* Names `kevp` once per field, as OpenBSD's header does (FreeBSD's and macOS's copy it into a
 * temporary first): a caller that puts a side effect in it, EV_SET(&ch[n++], ...), is wrong
 * on some BSDs, and this emulation makes it wrong here too. */
#define EV_SET(kevp, a, b, c, d, e, f)                                                          \
    do {                                                                                       \
        (kevp)->ident = (a);                                                                   \
        (kevp)->filter = (b);                                                                  \
        (kevp)->flags = (c);                                                                   \
        (kevp)->fflags = (d);                                                                  \
        (kevp)->data = (e);                                                                    \
        (kevp)->udata = (f);                                                                   \
    } while (0)

/* Returns a new kqueue fd, or -1 and errno. */
int kqueue(void);

/*
 * Applies `nchanges` changes in order, then waits up to `timeout` (NULL: forever) and stores at
 * most `nevents` events. A change that fails, or any change carrying EV_RECEIPT, takes one
 * eventlist slot as an EV_ERROR entry whose `data` is the errno (0 for success); when there
 * are such entries kevent returns their count at once without waiting. A failing change with
 * no slot left makes kevent return -1 with errno. Otherwise returns the event count (0 on
 * timeout), or -1 and errno: EINTR when a signal interrupts the wait, EINVAL for a timeout
 * over 100,000,000 s (macOS's limit, which FreeBSD does not have).
 */
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

/*
 * A real kqueue is one fd. This emulation keeps two more epoll instances and a table behind
 * it, so close() in a file that includes this header goes through the emulation, which frees
 * them with the kqueue; any other fd is simply closed.
 */
int mob_kqshim_close(int fd);
#define close(fd) mob_kqshim_close(fd)

#endif /* MOB_KQUEUE_SHIM_SYS_EVENT_H */
