/* SPDX-License-Identifier: MIT */
/*
 * tls.c: the bot side of the TLS seam (mob_tls.h). It turns a backend's "want read / want
 * write" into parking the bot with mob_wait_fd, and gives the backend its bytes through
 * mob_read and mob_write_all2 with MOB_NOW: those never block, and they keep the I/O layer's
 * readiness hints, so when the socket is known to be drained the backend's read costs no
 * system call and the bot parks at once; when the backend also says it holds nothing
 * (mob_tls_backend.pending), the bot parks without calling its read at all. Nothing here
 * knows which TLS library is behind the seam; src/proto/tls_openssl.c is the one mob carries.
 *
 * Read next: src/proto/tls_openssl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "mob_tls.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on every socket mob makes instead */
#endif

struct mob_tls_ctx {
    const mob_tls_backend *b;
    void *be;
};

mob_tls_ctx *mob_tls_ctx_new(const mob_tls_backend *backend, const mob_tls_config *cfg,
                             char *err, size_t errlen)
{
    const mob_tls_backend *b = backend ? backend : mob_tls_builtin();
    if (!b) {
        snprintf(err, errlen, "this mob was built without TLS (make TLS=1 with libssl-dev)");
        return NULL;
    }
    mob_tls_config def = {0};
    mob_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ctx->b = b;
    ctx->be = b->ctx_new(cfg ? cfg : &def, err, errlen);
    if (!ctx->be) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

void mob_tls_ctx_free(mob_tls_ctx *ctx)
{
    if (!ctx)
        return;
    ctx->b->ctx_free(ctx->be);
    free(ctx);
}

void mob_tls_conn_init(mob_tls_conn *t, mob_tls_ctx *ctx)
{
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    t->fd = -1;
}

/* The backend's socket callbacks: never block; "would block" becomes WANT_*. With no bot (a
 * goodbye: mob_tls_close, mob_tls_maybe_write_now) they are the bare system calls: the I/O
 * layer's calls refuse a cancelled bot, and even with MOB_NOW they may yield to the loop
 * (the I/O budget), where the run's end can cancel the bot half-way through its goodbye.
 * Bare calls leave the layer's readiness hints as they were, which is safe: a hint that says
 * "ready" costs one more system call at worst. */
static ssize_t raw_result(ssize_t n, long would_block)
{
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return would_block;
    return -errno;
}

static ssize_t io_recv(void *arg, void *buf, size_t len)
{
    mob_tls_conn *t = arg;
    if (!t->bot)
        return raw_result(recv(t->fd, buf, len, MSG_DONTWAIT), MOB_TLS_WANT_READ);
    ssize_t n = mob_read(t->bot, t->fd, buf, len, MOB_NOW);
    /* Short, as for mob_read: nothing more is waiting, and the I/O layer knows it too. */
    t->drained = n == -ETIMEDOUT || (n > 0 && (size_t)n < len);
    /* A cancelled bot's call is refused before the socket: to the library that is "not now"
     * (the wait that follows says -ECANCELED), not a broken connection, which would leave it
     * unable to send close_notify. */
    if (n == -ETIMEDOUT || n == -ECANCELED)
        return MOB_TLS_WANT_READ;
    if (n < 0)
        t->io_err = (int)n;
    return n;
}

static ssize_t io_send(void *arg, const void *buf, size_t len)
{
    mob_tls_conn *t = arg;
    if (!t->bot)
        return raw_result(send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL),
                          MOB_TLS_WANT_WRITE);
    size_t done = 0;
    ssize_t n = mob_write_all2(t->bot, t->fd, buf, len, MOB_NOW, &done);
    if (n >= 0)
        return n;
    if (n == -ETIMEDOUT || n == -ECANCELED) /* -ECANCELED: as in io_recv */
        return done > 0 ? (ssize_t)done : MOB_TLS_WANT_WRITE;
    t->io_err = (int)n;
    return n;
}

/*
 * Parks until the socket can do what the backend wants. A cancelled bot or a passed deadline
 * ends the call; an error or hang-up lets the backend try again and see it.
 */
static int wait_for(mob_bot *self, mob_tls_conn *t, long want, int64_t deadline)
{
    int rc = mob_wait_fd(self, t->fd, want == MOB_TLS_WANT_READ ? MOB_IN : MOB_OUT, deadline);
    return rc < 0 ? rc : 0;
}

static void set_reason(mob_tls_conn *t)
{
    snprintf(t->reason, sizeof t->reason, "%s", t->ctx->b->reason(t->be));
}

int mob_tls_handshake(mob_bot *self, mob_tls_conn *t, int fd, const char *server_name,
                      int64_t deadline)
{
    const mob_tls_backend *b = t->ctx->b;
    if (t->be)
        mob_tls_close(self, t);
    t->bot = self;
    t->fd = fd;
    t->io_err = 0;
    t->drained = 0;
    t->reason[0] = 0;
    t->io = (mob_tls_io){io_recv, io_send, t};
    t->be = b->conn_new(t->ctx->be, &t->io, server_name, t->session);
    if (!t->be) {
        snprintf(t->reason, sizeof t->reason, "out of memory for a TLS connection");
        return -ENOMEM;
    }
    for (;;) {
        int rc = b->handshake(t->be);
        if (rc >= 0)
            break;
        if (rc == MOB_TLS_WANT_READ || rc == MOB_TLS_WANT_WRITE) {
            int w = wait_for(self, t, rc, deadline);
            if (w < 0)
                return w;
            continue;
        }
        set_reason(t);
        /* The socket's own failure (reset, EOF) is reported as such when the backend saw one;
         * anything the TLS library refused is the handshake's. */
        if (t->io_err < 0)
            return t->io_err;
        return rc == -EPIPE || rc == -ECONNRESET ? rc : -ECONNABORTED;
    }
    t->handshakes++;
    if (b->resumed(t->be))
        t->resumed++;
    /* Keep the session now: with TLS 1.2 it is complete at the end of the handshake. TLS 1.3
     * tickets come later, and mob_tls_close takes the newer one. */
    void *s = b->session_take(t->be);
    if (s) {
        if (t->session)
            b->session_free(t->session);
        t->session = s;
    }
    return 0;
}

ssize_t mob_tls_read(mob_bot *self, mob_tls_conn *t, void *buf, size_t len, int64_t deadline)
{
    if (!t->be)
        return -ENOTCONN;
    const mob_tls_backend *b = t->ctx->b;
    t->bot = self;
    /* The socket is drained and the backend holds nothing: a read now would only come back
     * with WANT_READ, the whole record layer walked for nothing. Park first; the parked bot
     * costs no system call, because the I/O layer knows the socket is empty. */
    if (t->drained && b->pending && !b->pending(t->be)) {
        int w = wait_for(self, t, MOB_TLS_WANT_READ, deadline);
        if (w < 0)
            return w;
        t->drained = 0;
    }
    for (;;) {
        ssize_t n = b->read(t->be, buf, len);
        if (n >= 0)
            return n;
        if (n == MOB_TLS_WANT_READ || n == MOB_TLS_WANT_WRITE) {
            int w = wait_for(self, t, (long)n, deadline);
            if (w < 0)
                return w;
            continue;
        }
        set_reason(t);
        return t->io_err < 0 ? t->io_err : n;
    }
}

ssize_t mob_tls_write_all(mob_bot *self, mob_tls_conn *t, const void *buf, size_t len,
                          int64_t deadline)
{
    if (!t->be)
        return -ENOTCONN;
    t->bot = self;
    size_t off = 0;
    while (off < len) {
        ssize_t n = t->ctx->b->write(t->be, (const char *)buf + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n == MOB_TLS_WANT_READ || n == MOB_TLS_WANT_WRITE) {
            int w = wait_for(self, t, (long)n, deadline);
            if (w < 0)
                return w;
            continue;
        }
        set_reason(t);
        return t->io_err < 0 ? t->io_err : (n < 0 ? n : -EPIPE);
    }
    return (ssize_t)len;
}

ssize_t mob_tls_maybe_write_now(mob_tls_conn *t, int fd, const void *buf, size_t len)
{
    ssize_t n;
    if (t && t->ctx) {
        if (!t->be)
            return -ENOTCONN;
        t->bot = NULL; /* the bare socket calls: see io_recv */
        t->io_err = 0;
        n = t->ctx->b->write(t->be, buf, len);
        if (n < 0 && n != MOB_TLS_WANT_READ && n != MOB_TLS_WANT_WRITE)
            return t->io_err < 0 ? t->io_err : n;
    } else {
        n = raw_result(send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL), MOB_TLS_WANT_WRITE);
        if (n < 0 && n != MOB_TLS_WANT_WRITE)
            return n;
    }
    return n == (ssize_t)len ? n : -EAGAIN;
}

void mob_tls_close(mob_bot *self, mob_tls_conn *t)
{
    (void)self; /* the goodbye uses the bare socket calls, whoever calls (see io_recv) */
    if (!t->be)
        return;
    const mob_tls_backend *b = t->ctx->b;
    /* close_notify in one try, from a cancelled bot too: a full socket buffer is not worth
     * waiting for, but a server that hears no close_notify logs a truncated connection. */
    t->bot = NULL;
    (void)b->shutdown(t->be);
    void *s = b->session_take(t->be);
    if (s) {
        if (t->session)
            b->session_free(t->session);
        t->session = s;
    }
    b->conn_free(t->be);
    t->be = NULL;
    t->fd = -1;
}

void mob_tls_conn_free(mob_bot *self, mob_tls_conn *t)
{
    mob_tls_close(self, t);
    if (t->session && t->ctx)
        t->ctx->b->session_free(t->session);
    t->session = NULL;
}

int mob_tls_resumed(const mob_tls_conn *t)
{
    return t->be ? t->ctx->b->resumed(t->be) : 0;
}

#ifdef MOB_TLS_OPENSSL
extern const mob_tls_backend mob__tls_openssl;
#endif

const mob_tls_backend *mob_tls_builtin(void)
{
#ifdef MOB_TLS_OPENSSL
    return &mob__tls_openssl;
#else
    return NULL;
#endif
}
