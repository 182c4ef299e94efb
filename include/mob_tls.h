/* SPDX-License-Identifier: MIT */
/*
 * mob_tls.h: TLS over a bot's socket, behind a seam a vendor can fill with any TLS library.
 *
 * The runtime core knows nothing of TLS and stays libc-only. This header has two halves:
 *
 * 1. The seam (mob_tls_backend): what a TLS library must provide. Nine small functions over
 *    an opaque per-connection object: handshake, read, write, shutdown, session save and
 *    restore for resumption, the reason of the last failure, free, and an optional
 *    `pending` that lets a bot whose socket is drained park at once. A backend never touches
 *    the socket: it moves bytes through the two callbacks of mob_tls_io, which say
 *    MOB_TLS_WANT_READ / MOB_TLS_WANT_WRITE instead of blocking, and returns those same codes
 *    when it needs the network. The OpenSSL 3 backend (src/proto/tls_openssl.c) is built
 *    when the headers are there (`make TLS=auto|0|1`); mbed TLS, wolfSSL or BearSSL fit the
 *    same nine calls (all of them take custom I/O callbacks).
 *
 * 2. Bot-side calls (src/proto/tls.c): mob_tls_handshake, mob_tls_read, mob_tls_write_all,
 *    mob_tls_close. They drive the backend and park the bot with mob_wait_fd whenever it
 *    wants the network, so a TLS bot blocks like a plain one and the loop pays nothing extra.
 *    Bytes go through mob_read/mob_write_all2 with MOB_NOW, so the I/O layer's readiness
 *    hints keep working (no EAGAIN system call when the socket is known to be drained).
 *
 * Above both, what every client of the protocol layer shares (src/proto/dial.c):
 * mob_tls_dial connects and, when asked, runs the handshake; mob_tls_maybe_read and
 * mob_tls_maybe_write_all go through TLS or straight to the socket. The HTTP client (https://)
 * and the WebSocket client (wss://) open and use their connections through these alone.
 *
 * Failures of the handshake (a bad certificate, a protocol alert, no shared cipher) return
 * -ECONNABORTED with the reason in words in mob_tls_conn.reason ("certificate verify failed:
 * self-signed certificate"); load layers count them as their own class (tls). A timeout is
 * -ETIMEDOUT, a cancelled bot -ECANCELED, as everywhere.
 *
 * Read next: src/proto/tls.c, then src/proto/tls_openssl.c.
 */
#ifndef MOB_TLS_H
#define MOB_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mob.h"
#include "mob_fail.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* The seam                                                                                 */
/* ======================================================================================== */

/* Returned by the backend and by the I/O callbacks: the operation needs the socket readable
 * (or writable) first. Not errno values: no -errno is this large. */
#define MOB_TLS_WANT_READ (-0x10001)
#define MOB_TLS_WANT_WRITE (-0x10002)

/* What a backend reads and writes through. recv returns > 0 bytes, 0 at EOF,
 * MOB_TLS_WANT_READ, or -errno; send returns the bytes taken (> 0), MOB_TLS_WANT_WRITE or
 * -errno. `arg` is the seam's. */
typedef struct mob_tls_io {
    ssize_t (*recv)(void *arg, void *buf, size_t len);
    ssize_t (*send)(void *arg, const void *buf, size_t len);
    void *arg;
} mob_tls_io;

/* Client configuration, shared by every connection of a context. */
typedef struct mob_tls_config {
    const char *cafile; /* PEM file of trusted CAs; NULL: the system store */
    int insecure;       /* 1: no certificate or name check (--insecure) */
    const char *alpn;   /* comma-separated protocols to offer; NULL: "http/1.1"; "": none */
} mob_tls_config;

typedef struct mob_tls_backend {
    const char *name; /* "openssl 3.0.x" */
    /* A client context from cfg, or NULL with a message in err. */
    void *(*ctx_new)(const mob_tls_config *cfg, char *err, size_t errlen);
    void (*ctx_free)(void *ctx);
    /* One client connection talking through io (which stays valid until conn_free).
     * server_name: SNI and the name (or IP address) the certificate must match, may be NULL.
     * session: one from session_take to resume, or NULL (not consumed: the caller keeps it). */
    void *(*conn_new)(void *ctx, const mob_tls_io *io, const char *server_name, void *session);
    /* Each returns >= 0 on success, MOB_TLS_WANT_READ/WRITE, or -errno (-ECONNABORTED for a
     * failed handshake, -EPROTO for a broken record afterwards, with reason() set). read
     * returns 0 when the peer closed (close_notify, or EOF without one). */
    int (*handshake)(void *conn);
    ssize_t (*read)(void *conn, void *buf, size_t len);
    ssize_t (*write)(void *conn, const void *buf, size_t len);
    /* Sends close_notify, after any record a write left pending, as far as the socket takes
     * it now (mob_tls_close calls it once, with no bot to park: WANT_* ends it); does not
     * wait for the peer's. */
    int (*shutdown)(void *conn);
    /* The session to resume the next connection with, handed to the caller (NULL: none),
     * and its free. */
    void *(*session_take)(void *conn);
    void (*session_free)(void *session);
    int (*resumed)(void *conn);          /* 1 when the handshake resumed a session */
    const char *(*reason)(void *conn);   /* the last failure in words, never NULL */
    const char *(*alpn)(void *conn);     /* the protocol agreed ("" when none) */
    void (*conn_free)(void *conn);
    /* Optional (NULL: read always asks the backend first). 1 when the connection holds
     * received bytes, decrypted or not, that read may return without the socket; 0 when a
     * read would have to go to the socket. With it, a bot whose socket is drained parks at
     * once instead of calling read only to hear MOB_TLS_WANT_READ. */
    int (*pending)(void *conn);
} mob_tls_backend;

/* The backend this build of mob carries (OpenSSL with TLS=1 or auto), or NULL. */
const mob_tls_backend *mob_tls_builtin(void);

/* ======================================================================================== */
/* Bot-side calls                                                                           */
/* ======================================================================================== */

typedef struct mob_tls_ctx mob_tls_ctx;

/*
 * A context for many connections (any number of bots; one thread). backend NULL: the builtin.
 * Returns it, or NULL with a message in err (no backend in this build, an unreadable
 * --cacert file, ...).
 */
mob_tls_ctx *mob_tls_ctx_new(const mob_tls_backend *backend, const mob_tls_config *cfg,
                             char *err, size_t errlen);
void mob_tls_ctx_free(mob_tls_ctx *ctx);

/*
 * One bot's TLS state over one socket at a time. The caller owns it (on the bot's stack or in
 * its state). It keeps the last session between connections, so a bot that reconnects
 * resumes (an abbreviated handshake) when the server allows it.
 */
typedef struct mob_tls_conn {
    mob_tls_ctx *ctx;
    void *be;          /* the backend's connection, NULL when none */
    void *session;     /* to resume with, or NULL */
    mob_bot *bot;      /* the bot inside the current call */
    int fd;
    int io_err;        /* the last -errno of the socket, for the backend's SYSCALL cases */
    int drained;       /* the backend's last read of the socket emptied it */
    mob_tls_io io;
    uint64_t handshakes, resumed; /* counters since init */
    char reason[192];  /* why the last call failed */
} mob_tls_conn;

void mob_tls_conn_init(mob_tls_conn *t, mob_tls_ctx *ctx);

/*
 * Starts TLS on the connected socket fd and completes the handshake by deadline. server_name
 * is sent as SNI (when it is a name, not an address) and checked against the certificate.
 * Returns 0, -ECONNABORTED (the handshake failed: t->reason says why), -ETIMEDOUT,
 * -ECANCELED, or the socket's -errno (-ECONNRESET, -EPIPE when the server closed).
 */
int mob_tls_handshake(mob_bot *self, mob_tls_conn *t, int fd, const char *server_name,
                      int64_t deadline);

/* Reads decrypted bytes, up to len: > 0, 0 when the peer closed, or -errno (-EPROTO for a
 * broken record, with t->reason). */
ssize_t mob_tls_read(mob_bot *self, mob_tls_conn *t, void *buf, size_t len, int64_t deadline);

/* Writes all of buf. Returns len or -errno. */
ssize_t mob_tls_write_all(mob_bot *self, mob_tls_conn *t, const void *buf, size_t len,
                          int64_t deadline);

/* Sends close_notify if it fits without waiting, through the bare socket (so from a
 * cancelled bot too; self may be NULL: the host), and frees the backend's connection,
 * keeping the session for the next handshake. Does not close fd (the caller does, with
 * mob_close, after this call: a number already closed may belong to another socket). */
void mob_tls_close(mob_bot *self, mob_tls_conn *t);

/* mob_tls_close, then drops the saved session: the state can be thrown away. */
void mob_tls_conn_free(mob_bot *self, mob_tls_conn *t);

/* 1 when the current connection's handshake resumed a session. */
int mob_tls_resumed(const mob_tls_conn *t);

/* ======================================================================================== */
/* Either transport: what the clients of src/proto share (HTTP, WebSocket)                  */
/* ======================================================================================== */

/*
 * Connects to addr (mob_connect, with copt: may be NULL) and, when t is not NULL and has a
 * context, completes the TLS handshake over the new socket by deadline (mob_tls_handshake:
 * server_name for SNI and the certificate; t's last session offered for resumption). Returns
 * the fd, owned by self, or -errno with nothing left open (t keeps its session and, after a
 * failed handshake, t->reason). *phase (may be NULL) gets where it ended: MOB_PHASE_CONNECT,
 * or MOB_PHASE_TLS once the socket was connected and TLS was asked for; classify a failure
 * with mob_fail_classify(rc, *phase).
 */
int mob_tls_dial(mob_bot *self, mob_tls_conn *t, const struct sockaddr *addr, socklen_t addrlen,
                 const mob_connect_options *copt, const char *server_name, int64_t deadline,
                 int *phase);

/* Reads from fd, or through TLS when t is not NULL and has a context (then fd is the one its
 * handshake ran on). Returns as mob_read / mob_tls_read. One test on the plain path. */
static inline ssize_t mob_tls_maybe_read(mob_bot *self, mob_tls_conn *t, int fd, void *buf,
                                         size_t len, int64_t deadline)
{
    if (t && t->ctx)
        return mob_tls_read(self, t, buf, len, deadline);
    return mob_read(self, fd, buf, len, deadline);
}

/* Writes all of buf to fd, or through TLS as mob_tls_maybe_read reads. Returns len or -errno. */
static inline ssize_t mob_tls_maybe_write_all(mob_bot *self, mob_tls_conn *t, int fd,
                                              const void *buf, size_t len, int64_t deadline)
{
    if (t && t->ctx)
        return mob_tls_write_all(self, t, buf, len, deadline);
    return mob_write_all(self, fd, buf, len, deadline);
}

/*
 * A goodbye's write (a WebSocket close frame): buf to fd, or through TLS when t has a
 * context, in one try on the bare socket that never parks or yields, so that a cancelled bot
 * may make it too (its other calls return -ECANCELED): what the socket takes now. Returns len
 * when all of it went, -EAGAIN when the socket took part of it or none (the rest is dropped:
 * the connection is being closed), or -errno (-EPIPE, -ECONNRESET, -ENOTCONN).
 */
ssize_t mob_tls_maybe_write_now(mob_tls_conn *t, int fd, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MOB_TLS_H */
