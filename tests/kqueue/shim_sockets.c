/* SPDX-License-Identifier: MIT */
/*
 * shim_sockets.c: the socket side of the kqueue emulation (tests only; kqueue_shim.c has the
 * rest and says why). BSD reports a socket's pending error in `fflags` with EV_EOF and leaves
 * it pending for the socket's next read, write or getsockopt(SO_ERROR); Linux gives it away
 * only by clearing it. So the emulation takes it when it reports it, keeps it here, and the
 * calls below give it back once. They are defined for every caller in the test binaries of
 * the POLLER=kqueue configuration, and are straight system calls when nothing is kept.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* Errors taken from sockets for `fflags`, by fd, with the identity of the socket they belong
 * to, so that a reused number never inherits one. Process-wide, as the sockets are. */
struct kept_error {
    int err; /* 0: none */
    dev_t dev;
    ino_t ino;
};
static struct kept_error *kept;
static int nkept;

static void keep_error(int fd, int err, const struct stat *st)
{
    if (fd >= nkept) {
        int n = nkept ? nkept : 64;
        while (n <= fd)
            n *= 2;
        struct kept_error *a = realloc(kept, (size_t)n * sizeof *a);
        if (!a)
            return; /* the error is lost, as on a machine out of memory anything may be */
        memset(a + nkept, 0, (size_t)(n - nkept) * sizeof *a);
        kept = a;
        nkept = n;
    }
    kept[fd].err = err;
    kept[fd].dev = st->st_dev;
    kept[fd].ino = st->st_ino;
}

/* The error kept for fd's socket, cleared (it is reported once, as BSD's so_error), or 0. */
static int take_error(int fd)
{
    if (fd < 0 || fd >= nkept || kept[fd].err == 0)
        return 0;
    struct stat st;
    int err = kept[fd].err;
    kept[fd].err = 0;
    if (fstat(fd, &st) != 0 || st.st_dev != kept[fd].dev || st.st_ino != kept[fd].ino)
        return 0; /* the number names another file now */
    return err;
}

static int sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return (int)syscall(SYS_getsockopt, fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *restrict val, socklen_t *restrict len)
{
    int err;
    if (level == SOL_SOCKET && name == SO_ERROR && val && len && *len >= sizeof(int) &&
        (err = take_error(fd)) != 0) {
        *(int *)val = err;
        *len = sizeof(int);
        return 0;
    }
    return sys_getsockopt(fd, level, name, val, len);
}

/* A receive returns data first, then the kept error (BSD's soreceive, and Linux's). */
static ssize_t after_recv(int fd, ssize_t n)
{
    int err;
    if (n > 0 || (err = take_error(fd)) == 0)
        return n;
    errno = err;
    return -1;
}

ssize_t read(int fd, void *buf, size_t len)
{
    return after_recv(fd, (ssize_t)syscall(SYS_read, fd, buf, len));
}

/* glibc declares these two with its transparent-union address types under _GNU_SOURCE. */
ssize_t recvfrom(int fd, void *restrict buf, size_t len, int flags, __SOCKADDR_ARG from,
                 socklen_t *restrict fromlen)
{
    return after_recv(fd, (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags,
                                           from.__sockaddr__, fromlen));
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return after_recv(fd, (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL));
}

/* A send with an error pending returns it and sends nothing (BSD's sosend). */
ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG to,
               socklen_t tolen)
{
    int err = take_error(fd);
    if (err) {
        errno = err;
        return -1;
    }
    return (ssize_t)syscall(SYS_sendto, fd, buf, len, flags, to.__sockaddr__, tolen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    int err = take_error(fd);
    if (err) {
        errno = err;
        return -1;
    }
    return (ssize_t)syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    int err = take_error(fd);
    if (err) {
        errno = err;
        return -1;
    }
    return (ssize_t)syscall(SYS_write, fd, buf, len);
}

/* The socket's pending error, for `fflags` with EV_EOF: taken from Linux (which clears it)
 * only when epoll says there is one, and kept for the socket's next call (above). */
unsigned mob_kqshim_socket_error(int fd, uint32_t revents, const struct stat *st)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (fd < nkept && kept[fd].err && kept[fd].dev == st->st_dev && kept[fd].ino == st->st_ino)
        return (unsigned)kept[fd].err; /* taken for the other filter already: still pending */
    if (!(revents & EPOLLERR) || sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return 0;
    if (err)
        keep_error(fd, err, st);
    return (unsigned)err;
}

/* Whether a TCP socket's send side is shut (its FIN is out), which epoll does not report
 * until both sides are: BSD's SBS_CANTSENDMORE after our own shutdown(SHUT_WR). */
int mob_kqshim_tcp_send_shut(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return 0; /* not TCP */
    switch (ti.tcpi_state) {
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
    case TCP_CLOSING:
    case TCP_TIME_WAIT:
    case TCP_LAST_ACK:
        return 1;
    default:
        return 0;
    }
}
