/* SPDX-License-Identifier: MIT */
/*
 * mob_io.h: sockets for bots. Included by mob.h; kept apart only so the file stays readable.
 *
 * Every call tries the system call first and parks the bot on the loop's poller only on
 * EAGAIN, so a bot sees blocking I/O and the loop pays nothing extra. Every fd a bot waits on
 * is registered once (edge-triggered where the backend has it) in an fd-indexed table. Every
 * call takes an absolute deadline and returns -ETIMEDOUT when it passes, or -ECANCELED when
 * the bot is cancelled. Runtime conditions (ECONNREFUSED, ECONNRESET, EMFILE, EPIPE, ...) come
 * back as values. SIGPIPE is never raised (MSG_NOSIGNAL / SO_NOSIGPIPE).
 *
 * Ownership: fds created through these calls (connect, listen, accept, udp) belong to the bot
 * that made them and are closed when it returns, unless closed earlier with mob_close or
 * handed over with mob_fd_release. An fd mob did not create (a socketpair, a pipe) may be
 * passed too: it is made non-blocking the first time a bot reads or writes it, so that no bot
 * can block the thread. Close such an fd with mob_close once a bot has waited on it.
 *
 * Any fd a bot has waited on (even one the host made, e.g. with socketpair) stays registered
 * with the loop until it is closed with mob_close: close it that way, not with close(2), or
 * the leak check reports it (and closes whatever fd then has that number).
 */
#ifndef MOB_IO_H
#define MOB_IO_H

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

/* Readiness bits for mob_wait_fd and the lockstep snapshot (failure classes are another
 * vocabulary: enum mob_fail in mob_fail.h). MOB_HUP: a hang-up or an error is pending; the
 * next read or write says which. */
#define MOB_IN 1u
#define MOB_OUT 2u
#define MOB_HUP 4u

/*
 * Parks until `fd` is readable (MOB_IN) and/or writable (MOB_OUT). Returns the ready mask
 * (> 0; MOB_HUP is added when a hang-up or error is pending), -ETIMEDOUT, -ECANCELED, -EBUSY
 * if another bot already waits on the same direction, -EINVAL when `events` names neither
 * direction, or -EBADF when the fd is closed through mob_close while waiting.
 */
int mob_wait_fd(mob_bot *self, int fd, unsigned events, int64_t deadline);

/* Address parsing: "127.0.0.1", "::1", "localhost", a name mob_resolve resolved, /etc/hosts,
 * and "unix:/path"; it never asks the network, so it never blocks. Returns the address length
 * or -EINVAL. */
int mob_addr_parse(const char *host, int port, struct sockaddr_storage *out);

/* Resolves host through the system resolver (getaddrinfo: IPv4 and IPv6, the first address
 * in the system's order) and remembers it for the process, so that mob_addr_parse and every
 * connect by name find it without another lookup. It blocks: call it before the load (the
 * mob command resolves each target once, before any bot runs). Returns the address length,
 * or -EHOSTUNREACH with the resolver's reason in err (may be NULL). */
int mob_resolve(const char *host, int port, struct sockaddr_storage *out, char *err,
                size_t errlen);

typedef struct mob_connect_options {
    const char *source;  /* optional source address to bind, e.g. "127.0.0.2" */
    int nodelay;         /* TCP_NODELAY (default on: pass -1 to turn it off) */
    int sndbuf, rcvbuf;  /* 0: leave the kernel default */
} mob_connect_options;

/* Connects a stream socket (TCP over IPv4/IPv6, or Unix). Returns the fd, or -ECONNREFUSED,
 * -ETIMEDOUT, -EMFILE, -EADDRNOTAVAIL, ... */
int mob_connect(mob_bot *self, const struct sockaddr *addr, socklen_t len,
                const mob_connect_options *opt, int64_t deadline);
/* Same, from a host string and port (see mob_addr_parse). */
int mob_tcp_connect(mob_bot *self, const char *host, int port, const mob_connect_options *opt,
                    int64_t deadline);

/* Listens on host:port (port 0: any; read it with mob_local_port; host NULL: every IPv4
 * address; "unix:/path" for a Unix socket, whose path must not exist). SO_REUSEADDR is set.
 * backlog <= 0 means SOMAXCONN. Returns the fd or -errno. `self` may be NULL (the host
 * creates it; then it is not owned). */
int mob_tcp_listen(mob_bot *self, const char *host, int port, int backlog);
int mob_local_port(int fd);

/* Accepts one connection. Returns the new fd (non-blocking, TCP_NODELAY, owned by self),
 * -ETIMEDOUT, -ECANCELED, -EMFILE, ... */
int mob_accept(mob_bot *self, int lfd, int64_t deadline);

/* Reads what is available, up to len (at least 1 byte unless EOF). Returns the byte count,
 * 0 at EOF, or -errno. */
ssize_t mob_read(mob_bot *self, int fd, void *buf, size_t len, int64_t deadline);
/* Reads exactly len bytes. Returns len, or -EPIPE on EOF before len, or -errno. */
ssize_t mob_read_exact(mob_bot *self, int fd, void *buf, size_t len, int64_t deadline);
/* Writes all of buf, parking on a full socket buffer. Returns len or -errno (-EPIPE,
 * -ECONNRESET, -ETIMEDOUT...). On error, *written (if not NULL) says how much went out. */
ssize_t mob_write_all(mob_bot *self, int fd, const void *buf, size_t len, int64_t deadline);
ssize_t mob_write_all2(mob_bot *self, int fd, const void *buf, size_t len, int64_t deadline,
                       size_t *written);

/* UDP. mob_udp_socket binds to host:port (NULL host: any address, port 0: any port). */
int mob_udp_socket(mob_bot *self, const char *host, int port);
ssize_t mob_sendto(mob_bot *self, int fd, const void *buf, size_t len,
                   const struct sockaddr *to, socklen_t tolen, int64_t deadline);
ssize_t mob_recvfrom(mob_bot *self, int fd, void *buf, size_t len, struct sockaddr_storage *from,
                     socklen_t *fromlen, int64_t deadline);

/*
 * Closes fd: deregisters it, wakes any bot waiting on it (-EBADF), drops it from its owner's
 * cleanup list and closes it. Returns 0 or -errno. `self` may be NULL (the host): the fd is
 * then forgotten by every live loop of the calling thread (loops of other threads are not
 * touched: see "Threads" in mob.h).
 */
int mob_close(mob_bot *self, int fd);

/* Takes fd out of its owner's cleanup list (to hand it to another bot or to the host).
 * mob_fd_adopt puts it in `self`'s list. Return 0 or -ENOENT. */
int mob_fd_release(mob_bot *self, int fd);
int mob_fd_adopt(mob_bot *self, int fd);

/* ---------------------------------------------------------------------------------------- */
/* Buffered reading: lines and length-prefixed frames                                       */
/* ---------------------------------------------------------------------------------------- */

/*
 * A read buffer over one fd. The caller owns the struct and its storage (`buf` of `cap`
 * bytes), so nothing is allocated per message. Bytes in [start, end) are read but unconsumed.
 */
typedef struct mob_rbuf {
    int fd;
    char *buf;
    size_t cap, start, end;
} mob_rbuf;

void mob_rbuf_init(mob_rbuf *rb, int fd, void *storage, size_t cap);

/*
 * Reads one line ending in "\n" (a preceding "\r" is stripped too). *line points into the
 * buffer, NUL-terminated, valid until the next call on rb. Returns the line length without
 * the terminator, -EMSGSIZE if no newline fits in the buffer, -EPIPE on EOF mid-line,
 * -ENODATA at a clean EOF (nothing buffered), or -errno.
 */
ssize_t mob_read_line(mob_bot *self, mob_rbuf *rb, char **line, int64_t deadline);

/* Reads exactly n bytes through the buffer; *out points into it. Returns n, -EMSGSIZE if
 * n > cap, -ENODATA at a clean EOF, -EPIPE on EOF after some bytes, or -errno. */
ssize_t mob_rbuf_read_exact(mob_bot *self, mob_rbuf *rb, size_t n, char **out, int64_t deadline);

/*
 * Length-prefixed frames: a 1, 2 or 4 byte unsigned length, big or little endian, then that
 * many bytes. `max` bounds the payload (and must fit the buffer): a longer frame is -EMSGSIZE.
 * Returns the payload length with *payload pointing into the buffer, -ENODATA at a clean EOF,
 * -EPIPE on EOF mid-frame, or -errno.
 */
enum mob_endian { MOB_BIG_ENDIAN = 0, MOB_LITTLE_ENDIAN = 1 };
typedef struct mob_framing {
    int prefix_size; /* 1, 2 or 4 */
    int endian;      /* enum mob_endian */
    size_t max;      /* largest payload accepted */
} mob_framing;

ssize_t mob_read_frame(mob_bot *self, mob_rbuf *rb, const mob_framing *f, char **payload,
                       int64_t deadline);
/* Writes prefix + payload in one call. Returns len or -errno (-EMSGSIZE when len > max or
 * does not fit the prefix). */
ssize_t mob_write_frame(mob_bot *self, int fd, const mob_framing *f, const void *payload,
                        size_t len, int64_t deadline);

/* ---------------------------------------------------------------------------------------- */
/* Lockstep readiness snapshot (testtoolkit's server_wrapper)                               */
/* ---------------------------------------------------------------------------------------- */

/*
 * In lockstep mode a bot may instead poll readiness without parking, as testtoolkit bots did:
 * mob_watch registers fd (taking effect after the current tick; mob_unwatch in the same tick
 * cancels it), the loop polls every watched fd once per tick, and mob_ready answers from the
 * snapshot taken after the previous tick: a mask of MOB_IN / MOB_OUT / MOB_HUP.
 *
 * mob_watch asks for both directions, as testtoolkit's select did, so a connected socket
 * (always writable) is always "ready". mob_watch_for(self, fd, MOB_IN) reports only what is
 * asked (plus MOB_HUP); watching an fd again changes what is asked, from the next snapshot.
 * Returns 0, -EINVAL (no direction) or -ENOMEM.
 *
 * Asking costs no CPU while nothing happens: when every bot of a tick asked and found
 * nothing (mob_ready 0, mob_has_message 0, mob_try_recv -EAGAIN) and did nothing else another
 * bot could see, the loop waits in poll(2) for a watched fd to become ready in a direction it
 * asks for, a timer, or an event on an fd a bot is parked on, and at most 0.5 s (testtoolkit's
 * select timeout), before it runs the next tick. Ticks keep their order and messages their
 * visibility; only the time between two ticks grows. Not with a virtual clock.
 */
int mob_watch(mob_bot *self, int fd);
int mob_watch_for(mob_bot *self, int fd, unsigned events);
int mob_unwatch(mob_bot *self, int fd);
unsigned mob_ready(mob_loop *loop, int fd);

#ifdef __cplusplus
}
#endif

#endif /* MOB_IO_H */
