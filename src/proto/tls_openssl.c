/* SPDX-License-Identifier: MIT */
/*
 * tls_openssl.c: the TLS seam of mob_tls.h filled with OpenSSL 3 (Debian's libssl-dev), the
 * library wrk, h2load and nginx use. Built only with `make TLS=1` (or TLS=auto when the
 * headers are there); the library then links -lssl -lcrypto, and nothing below src/proto
 * knows.
 *
 * OpenSSL never sees the socket: a BIO of our own hands its reads and writes to the seam's
 * callbacks (mob_tls_io), which never block, and SSL_ERROR_WANT_READ/WRITE go back to
 * src/proto/tls.c as MOB_TLS_WANT_*, where the bot parks. OpenSSL's error queue is per
 * thread and every bot shares the thread. No bot can park inside a call (the BIO never
 * parks), and every way out of this file leaves the queue empty: a failure takes its reason
 * and clears it, a finished handshake clears what verification or decoding left behind.
 * Reads and writes, the hot path, do not touch the queue at all: a clear walks every slot
 * and even a look costs a few hundred instructions, against a few thousand for a whole
 * small record (`callgrind` on `mob https://`, tools/PERFORMANCE.md). "Would block" is known
 * from our own BIO instead of SSL_get_error, and a failure tells its own errors from what
 * other code (a scenario's own use of OpenSSL) left in the thread by the library of the
 * newest one (fail).
 *
 * Sessions: the client cache is off (SSL_SESS_CACHE_NO_INTERNAL_STORE) and every new session
 * (TLS 1.2 at the end of the handshake, TLS 1.3 tickets whenever they come) is caught by the
 * new-session callback and kept by the connection, for the seam to take and resume with.
 */
#ifdef MOB_TLS_OPENSSL /* the Makefile defines it with TLS=1 or auto; the amalgamation too */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mob_tls.h"

struct octx {
    SSL_CTX *ctx;
    BIO_METHOD *bm;
    int insecure;
};

struct oconn {
    SSL *ssl;
    const mob_tls_io *io;
    SSL_SESSION *fresh; /* the newest session the server gave, not taken yet */
    int want;           /* MOB_TLS_WANT_* when the BIO said "would block" in this call */
    char reason[192];
};

/* ---- the BIO: OpenSSL's bytes through the seam's callbacks ----------------------------- */

static int bio_read(BIO *b, char *buf, int len)
{
    struct oconn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = c->io->recv(c->io->arg, buf, (size_t)len);
    if (n >= 0)
        return (int)n;
    if (n == MOB_TLS_WANT_READ) {
        BIO_set_retry_read(b);
        c->want = MOB_TLS_WANT_READ;
    }
    return -1;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    struct oconn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = c->io->send(c->io->arg, buf, (size_t)len);
    if (n > 0)
        return (int)n;
    if (n == MOB_TLS_WANT_WRITE) {
        BIO_set_retry_write(b);
        c->want = MOB_TLS_WANT_WRITE;
    }
    return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* writes are never buffered here */
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- contexts ---------------------------------------------------------------------------- */

static int new_session(SSL *ssl, SSL_SESSION *s)
{
    struct oconn *c = SSL_get_app_data(ssl);
    if (!c || !SSL_SESSION_is_resumable(s))
        return 0;
    if (c->fresh)
        SSL_SESSION_free(c->fresh);
    c->fresh = s;
    return 1; /* we keep the reference */
}

/* "h2,http/1.1" -> "\x02h2\x08http/1.1". Returns the length, or -1. */
static int alpn_wire(const char *list, unsigned char *out, size_t cap)
{
    size_t n = 0;
    while (*list) {
        const char *e = strchr(list, ',');
        size_t l = e ? (size_t)(e - list) : strlen(list);
        if (l == 0 || l > 255 || n + 1 + l > cap)
            return -1;
        out[n++] = (unsigned char)l;
        memcpy(out + n, list, l);
        n += l;
        list += l + (e != NULL);
    }
    return (int)n;
}

static void take_error(char *dst, size_t cap, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(dst, cap, "%s%s%s", what, r ? ": " : "", r ? r : "");
    ERR_clear_error();
}

static void octx_free(void *p)
{
    struct octx *o = p;
    if (!o)
        return;
    SSL_CTX_free(o->ctx);
    if (o->bm)
        BIO_meth_free(o->bm);
    free(o);
}

static void *octx_new(const mob_tls_config *cfg, char *err, size_t errlen)
{
    struct octx *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    o->ctx = SSL_CTX_new(TLS_client_method());
    o->bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mob");
    if (!o->ctx || !o->bm) {
        take_error(err, errlen, "cannot make a TLS context");
        octx_free(o);
        return NULL;
    }
    BIO_meth_set_read(o->bm, bio_read);
    BIO_meth_set_write(o->bm, bio_write);
    BIO_meth_set_ctrl(o->bm, bio_ctrl);
    BIO_meth_set_create(o->bm, bio_create);
    SSL_CTX_set_min_proto_version(o->ctx, TLS1_2_VERSION);
    /* Many servers close without close_notify after a response delimited by Content-Length;
     * that is not an attack on a load generator, and the HTTP layer checks the framing. */
    SSL_CTX_set_options(o->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Read ahead: one read(2) takes whatever records have arrived instead of a 5-byte header
     * and then its body, and a short read tells the I/O layer the socket is drained, so the
     * next response's read parks at once instead of paying an EAGAIN call. */
    SSL_CTX_set_read_ahead(o->ctx, 1);
    SSL_CTX_set_session_cache_mode(o->ctx,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(o->ctx, new_session);
    o->insecure = cfg->insecure;
    if (cfg->insecure) {
        SSL_CTX_set_verify(o->ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(o->ctx, SSL_VERIFY_PEER, NULL);
        int ok = cfg->cafile ? SSL_CTX_load_verify_locations(o->ctx, cfg->cafile, NULL)
                             : SSL_CTX_set_default_verify_paths(o->ctx);
        if (ok != 1) {
            char what[160];
            snprintf(what, sizeof what, "cannot load CA certificates from %s",
                     cfg->cafile ? cfg->cafile : "the system store");
            take_error(err, errlen, what);
            octx_free(o);
            return NULL;
        }
    }
    const char *alpn = cfg->alpn ? cfg->alpn : "http/1.1";
    if (*alpn) {
        unsigned char wire[256];
        int n = alpn_wire(alpn, wire, sizeof wire);
        if (n < 0 || SSL_CTX_set_alpn_protos(o->ctx, wire, (unsigned)n) != 0) {
            snprintf(err, errlen, "bad ALPN list '%s'", alpn);
            octx_free(o);
            return NULL;
        }
    }
    return o;
}

/* ---- connections ------------------------------------------------------------------------- */

static void *oconn_new(void *ctxp, const mob_tls_io *io, const char *name, void *session)
{
    struct octx *o = ctxp;
    struct oconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->io = io;
    ERR_clear_error();
    c->ssl = SSL_new(o->ctx);
    BIO *bio = c->ssl ? BIO_new(o->bm) : NULL;
    if (!bio) {
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_app_data(c->ssl, c);
    SSL_set_connect_state(c->ssl);
    if (name && *name) {
        unsigned char addr[16];
        int is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
        if (!is_ip)
            SSL_set_tlsext_host_name(c->ssl, name); /* SNI carries names only (RFC 6066) */
        if (!o->insecure) {
            if (is_ip)
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name);
            else
                SSL_set1_host(c->ssl, name);
        }
    }
    if (session) {
        SSL_set_session(c->ssl, session);
        /* A session resumes only in the version that made it. Offering TLS 1.3 beside a
         * TLS 1.2 session would make the client generate a key share for every connection
         * (the bulk of a resumed handshake's cost) that a 1.2 server never uses. */
        int v = SSL_SESSION_get_protocol_version(session);
        if (v >= TLS1_2_VERSION && v < TLS1_3_VERSION)
            SSL_set_max_proto_version(c->ssl, v);
    }
    ERR_clear_error();
    return c;
}

/* Turns an OpenSSL failure into a code and c->reason. */
static int fail(struct oconn *c, int ret, int in_handshake)
{
    int e = SSL_get_error(c->ssl, ret);
    /* SSL_get_error answers from the oldest error in the queue. After a read or a write
     * (a handshake step clears the queue first), a newest error that is not the TLS
     * library's means this call pushed nothing and the queue holds what other code left:
     * ask again without it, or a clean close would look like a broken record. */
    if (!in_handshake && (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL) &&
        ERR_GET_LIB(ERR_peek_last_error()) != ERR_LIB_SSL) {
        ERR_clear_error();
        e = SSL_get_error(c->ssl, ret);
    }
    /* SSL_get_error answers WANT_* and ZERO_RETURN only when the queue is empty. */
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return MOB_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return MOB_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        take_error(c->reason, sizeof c->reason,
                   in_handshake ? "connection closed during the TLS handshake"
                                : "connection closed inside a TLS record");
        return -EPIPE;
    default:
        break;
    }
    long v = SSL_get_verify_result(c->ssl);
    if (in_handshake && v != X509_V_OK) {
        snprintf(c->reason, sizeof c->reason, "certificate verify failed: %s",
                 X509_verify_cert_error_string(v));
        ERR_clear_error();
    } else {
        take_error(c->reason, sizeof c->reason,
                   in_handshake ? "TLS handshake failed" : "TLS record error");
    }
    return in_handshake ? -ECONNABORTED : -EPROTO;
}

static int oconn_handshake(void *p)
{
    struct oconn *c = p;
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r != 1)
        return fail(c, r, 1);
    ERR_clear_error(); /* anything a successful handshake left would fail the next read */
    return 0;
}

static ssize_t oconn_read(void *p, void *buf, size_t len)
{
    struct oconn *c = p;
    size_t n = 0;
    c->want = 0;
    int r = SSL_read_ex(c->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    return c->want ? c->want : fail(c, r, 0);
}

static ssize_t oconn_write(void *p, const void *buf, size_t len)
{
    struct oconn *c = p;
    size_t n = 0;
    c->want = 0;
    int r = SSL_write_ex(c->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    if (c->want)
        return c->want;
    int rc = fail(c, r, 0);
    return rc == 0 ? -EPIPE : rc;
}

static int oconn_shutdown(void *p)
{
    struct oconn *c = p;
    ERR_clear_error();
    /* A record still pending (a write its bot gave up on) must go before the alert, and each
     * SSL_shutdown call takes one of those steps: go on while the socket takes the bytes. */
    int r = -1;
    for (int i = 0; i < 3 && r < 0; i++) {
        c->want = 0;
        r = SSL_shutdown(c->ssl);
        if (c->want)
            break; /* the socket is full: close_notify is not worth waiting for */
    }
    ERR_clear_error();
    return r < 0 ? -EPIPE : 0;
}

static void *oconn_session_take(void *p)
{
    struct oconn *c = p;
    SSL_SESSION *s = c->fresh;
    c->fresh = NULL;
    return s;
}

static void osession_free(void *s)
{
    SSL_SESSION_free(s);
}

static int oconn_resumed(void *p)
{
    return SSL_session_reused(((struct oconn *)p)->ssl);
}

/* Decrypted bytes, or record bytes read ahead and not yet opened. */
static int oconn_pending(void *p)
{
    return SSL_has_pending(((struct oconn *)p)->ssl);
}

static const char *oconn_reason(void *p)
{
    return ((struct oconn *)p)->reason;
}

static const char *oconn_alpn(void *p)
{
    static _Thread_local char out[64];
    const unsigned char *d = NULL;
    unsigned n = 0;
    SSL_get0_alpn_selected(((struct oconn *)p)->ssl, &d, &n);
    if (n >= sizeof out)
        n = sizeof out - 1;
    if (n)
        memcpy(out, d, n);
    out[n] = 0;
    return out;
}

static void oconn_free(void *p)
{
    struct oconn *c = p;
    if (!c)
        return;
    if (c->fresh)
        SSL_SESSION_free(c->fresh);
    SSL_free(c->ssl);
    free(c);
}

const mob_tls_backend mob__tls_openssl = {
    .name = OPENSSL_VERSION_TEXT,
    .ctx_new = octx_new,
    .ctx_free = octx_free,
    .conn_new = oconn_new,
    .handshake = oconn_handshake,
    .read = oconn_read,
    .write = oconn_write,
    .shutdown = oconn_shutdown,
    .session_take = oconn_session_take,
    .session_free = osession_free,
    .resumed = oconn_resumed,
    .reason = oconn_reason,
    .alpn = oconn_alpn,
    .conn_free = oconn_free,
    .pending = oconn_pending,
};

#else
typedef int mob__tls_openssl_absent; /* ISO C wants a translation unit to declare something */
#endif /* MOB_TLS_OPENSSL */
