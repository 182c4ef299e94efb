/* SPDX-License-Identifier: MIT */
/*
 * http_client.c: the keep-alive HTTP/1.1 client of mob_http.h, one connection per bot.
 *
 * A request is prebuilt bytes, so an exchange is: one write, then reads into the connection's
 * buffer until the parser (http_parse.c) says the head is complete, then the body, counted and
 * dropped unless the caller gave a buffer. Every read asks for the whole free buffer, never
 * just "the rest of the body": a read that comes back short tells the I/O layer the socket is
 * drained (src/core/io.c), so the next request's read parks at once instead of paying an
 * EAGAIN system call. The price is that bytes beyond the response would be swallowed; there
 * is no pipelining, so such bytes are the server's error and fail the request (-EPROTO).
 *
 * Over TLS (mob_http_conn_options.tls), the same exchange runs through the TLS seam
 * (src/proto/tls.c): connections open with mob_tls_dial (a handshake after each connect), then
 * mob_tls_maybe_read/_write_all go through TLS. The bot's last session is kept, so reconnects
 * resume.
 *
 * What it does not do: pipelining, redirects, cookies, DNS lookups of its own (names come
 * from mob_addr_parse: resolve them once before the load with mob_resolve).
 *
 * Read next: src/proto/http_parse.c for the parser, tests/test_http_client.c for the behaviour.
 */
#include <errno.h>
#include <string.h>

#include "mob_base.h"
#include "mob_http.h"

#define DEFAULT_MAX_BODY ((uint64_t)1 << 30)

int mob_http_conn_init(mob_http_conn *c, const char *host, int port, void *buf, size_t cap,
                       const mob_http_conn_options *opt)
{
    if (c == NULL || buf == NULL || cap < 256)
        return -EINVAL;
    memset(c, 0, sizeof *c);
    int len = mob_addr_parse(host, port, &c->addr);
    if (len < 0)
        return len;
    c->addrlen = (socklen_t)len;
    c->buf = buf;
    c->cap = cap;
    c->fd = -1;
    c->max_body = opt && opt->max_body ? opt->max_body : DEFAULT_MAX_BODY;
    c->max_head_size = opt && opt->max_head_size ? opt->max_head_size : MOB_HTTP_MAX_HEAD_SIZE;
    if (opt)
        c->copt = opt->connect;
    mob_tls_conn_init(&c->tls, opt ? opt->tls : NULL);
    c->server_name = opt && opt->server_name ? opt->server_name : host;
    return 0;
}

void mob_http_conn_close(mob_bot *self, mob_http_conn *c)
{
    if (c->fd >= 0) {
        if (c->tls.be)
            mob_tls_close(self, &c->tls);
        mob_close(self, c->fd);
        c->fd = -1;
    }
}

void mob_http_conn_free(mob_bot *self, mob_http_conn *c)
{
    mob_http_conn_close(self, c);
    if (c->tls.ctx)
        mob_tls_conn_free(self, &c->tls);
}

/* The socket or TLS over it (mob_tls.h): one test per call, no indirect call on the plain
 * path. */
static inline ssize_t conn_read(mob_bot *self, mob_http_conn *c, void *buf, size_t len,
                                int64_t deadline)
{
    return mob_tls_maybe_read(self, &c->tls, c->fd, buf, len, deadline);
}

static inline ssize_t conn_write(mob_bot *self, mob_http_conn *c, const void *buf, size_t len,
                                 int64_t deadline)
{
    return mob_tls_maybe_write_all(self, &c->tls, c->fd, buf, len, deadline);
}

/* Ends a failed exchange: the connection is in an unknown state, so it goes. */
static int exchange_fail(mob_bot *self, mob_http_conn *c, mob_http_result *res, int rc,
                         int phase)
{
    mob_http_conn_close(self, c);
    res->rc = rc;
    res->fail = mob_fail_classify(rc, phase);
    if (res->fail == MOB_FAIL_TLS || (c->tls.ctx && rc == -EPROTO))
        res->reason = c->tls.reason;
    res->end_ns = mob_clock_ns();
    return rc;
}

/*
 * Whether a failure on a reused connection looks like the server had closed it while it was
 * idle (keep-alive timeout, request limit): the request can be resent on a new connection.
 */
static int looks_stale(int rc)
{
    return rc == -EPIPE || rc == -ECONNRESET;
}

/* Counts body bytes and stores what fits in the caller's body buffer. */
static void body_take(mob_http_conn *c, mob_http_result *res, const char *p, size_t n)
{
    res->body_len += n;
    if (c->body_buf != NULL && res->body_stored < c->body_cap) {
        size_t room = c->body_cap - res->body_stored;
        size_t k = n < room ? n : room;
        memcpy(c->body_buf + res->body_stored, p, k);
        res->body_stored += k;
    }
}

/*
 * Where body bytes are read: the part of the buffer after the head, so that the head (which
 * res->resp points into) survives until the next exchange.
 */
struct room {
    char *p;
    size_t n;
};

/* Reads whatever comes into the whole room; EOF is -EPIPE (the response was cut short). A
 * head that filled the buffer leaves no room: -EMSGSIZE, as for a head that does not fit. */
static ssize_t read_more(mob_bot *self, mob_http_conn *c, struct room r, int64_t deadline)
{
    if (r.n == 0)
        return -EMSGSIZE;
    ssize_t n = conn_read(self, c, r.p, r.n, deadline);
    return n == 0 ? -EPIPE : n;
}

/* A Content-Length body, of which `have` bytes came with the head. Returns 0 or -errno. */
static int read_length_body(mob_bot *self, mob_http_conn *c, mob_http_result *res,
                            struct room r, size_t have, int64_t deadline)
{
    uint64_t left = (uint64_t)c->resp.f.content_length;
    if (left > c->max_body)
        return -EMSGSIZE;
    if (have > left)
        return -EPROTO;
    body_take(c, res, r.p, have);
    left -= have;
    while (left > 0) {
        ssize_t n = read_more(self, c, r, deadline);
        if (n < 0)
            return (int)n;
        if ((uint64_t)n > left)
            return -EPROTO;
        body_take(c, res, r.p, (size_t)n);
        left -= (uint64_t)n;
    }
    return 0;
}

/* A chunked body: decoded in place when the caller keeps bodies, only scanned otherwise. */
static int read_chunked_body(mob_bot *self, mob_http_conn *c, mob_http_result *res,
                             struct room r, size_t have, int64_t deadline)
{
    char *p = r.p;
    mob_http_chunked d;
    mob_http_chunked_init(&d);
    for (;;) {
        ssize_t rc;
        size_t after;
        if (c->body_buf != NULL) {
            size_t m = have;
            rc = mob_http_chunked_decode(&d, p, &m);
            body_take(c, res, p, m);
            after = rc > 0 ? (size_t)rc : 0;
        } else {
            rc = mob_http_chunked_skip(&d, p, have);
            after = rc > 0 ? have - (size_t)rc : 0;
            res->body_len = d.total;
        }
        if (rc == -1)
            return -EPROTO;
        if (d.total > c->max_body)
            return -EMSGSIZE;
        if (rc >= 0)
            return after ? -EPROTO : 0;
        ssize_t n = read_more(self, c, r, deadline);
        if (n < 0)
            return (int)n;
        have = (size_t)n;
    }
}

/* A body that ends when the server closes the connection. */
static int read_close_body(mob_bot *self, mob_http_conn *c, mob_http_result *res,
                           struct room r, size_t have, int64_t deadline)
{
    body_take(c, res, r.p, have);
    for (;;) {
        if (res->body_len > c->max_body)
            return -EMSGSIZE;
        if (r.n == 0)
            return -EMSGSIZE;
        ssize_t n = conn_read(self, c, r.p, r.n, deadline);
        if (n == 0)
            return 0;
        if (n < 0)
            return (int)n;
        body_take(c, res, r.p, (size_t)n);
    }
}

int mob_http_exchange(mob_bot *self, mob_http_conn *c, const mob_http_request *req,
                      mob_http_result *res, int64_t deadline)
{
    MOB_ASSERT(c != NULL && req != NULL && res != NULL, "mob_http_exchange: NULL argument");
    memset(res, 0, sizeof *res);
    c->requests++;
    if (c->observe)
        c->observe(self, c, req, NULL, c->observe_ud);
    int retried = 0;
    int reused;

again:
    reused = c->fd >= 0;
    if (!reused) {
        res->start_ns = mob_clock_ns();
        int phase;
        int fd = mob_tls_dial(self, &c->tls, (const struct sockaddr *)&c->addr, c->addrlen,
                              &c->copt, c->server_name, deadline, &phase);
        int connected = fd >= 0 || phase == MOB_PHASE_TLS;
        c->connects += connected;
        res->reconnected = connected;
        if (fd < 0)
            return exchange_fail(self, c, res, fd, phase);
        c->fd = fd;
        c->conn_requests = 0;
    }
    c->conn_requests++;

    /* The clock starts here: connecting is not part of a request's latency (as in wrk). */
    res->start_ns = mob_clock_ns();
    ssize_t w = conn_write(self, c, req->data, req->len, deadline);
    if (w < 0) {
        if (reused && req->retry_safe && !retried && looks_stale((int)w)) {
            mob_http_conn_close(self, c);
            retried = 1;
            c->retries++;
            goto again;
        }
        return exchange_fail(self, c, res, (int)w, MOB_PHASE_WRITE);
    }

    /* The head. Interim 1xx responses are dropped and the loop goes on with what follows. */
    size_t end = 0, last = 0;
    int head, need_read = 1;
    for (;;) {
        if (need_read) {
            ssize_t n = conn_read(self, c, c->buf + end, c->cap - end, deadline);
            if (n <= 0) {
                int rc = n == 0 ? -EPIPE : (int)n;
                if (end == 0 && reused && req->retry_safe && !retried && looks_stale(rc)) {
                    mob_http_conn_close(self, c);
                    retried = 1;
                    c->retries++;
                    goto again;
                }
                return exchange_fail(self, c, res, rc, MOB_PHASE_READ);
            }
            end += (size_t)n;
        }
        c->resp.f.headers = c->headers;
        c->resp.f.max_headers = MOB_HTTP_CONN_HEADERS;
        c->resp.f.max_head_size = c->max_head_size;
        head = mob_http_parse_response(c->buf, end, last, &c->resp);
        if (head == -1)
            return exchange_fail(self, c, res, -EPROTO, MOB_PHASE_READ);
        if (head == -2) {
            if (end == c->cap)
                return exchange_fail(self, c, res, -EMSGSIZE, MOB_PHASE_READ);
            last = end;
            need_read = 1;
            continue;
        }
        if (c->resp.status >= 200 || c->resp.status == 101)
            break;
        memmove(c->buf, c->buf + head, end - (size_t)head);
        end -= (size_t)head;
        last = 0;
        need_read = end == 0;
    }
    res->status = c->resp.status;
    res->resp = &c->resp;

    /* The body. A HEAD response never has one, whatever its fields announce. */
    struct room r = {c->buf + head, c->cap - (size_t)head};
    size_t have = end - (size_t)head;
    int mode = req->head || c->resp.status == 101 ? MOB_HTTP_BODY_NONE : c->resp.f.body;
    int rc = 0;
    switch (mode) {
    case MOB_HTTP_BODY_NONE:
        rc = have ? -EPROTO : 0;
        break;
    case MOB_HTTP_BODY_LENGTH:
        rc = read_length_body(self, c, res, r, have, deadline);
        break;
    case MOB_HTTP_BODY_CHUNKED:
        rc = read_chunked_body(self, c, res, r, have, deadline);
        break;
    default:
        rc = read_close_body(self, c, res, r, have, deadline);
        break;
    }
    if (rc < 0)
        return exchange_fail(self, c, res, rc, MOB_PHASE_READ);
    res->end_ns = mob_clock_ns();

    /* res->resp points into c->buf, which stays as it is until the next exchange. */
    if (!c->resp.f.keep_alive || mode == MOB_HTTP_BODY_CLOSE || c->resp.status == 101)
        mob_http_conn_close(self, c);
    res->rc = res->status;
    res->fail = res->status >= 400 ? MOB_FAIL_STATUS : MOB_FAIL_NONE;
    if (c->observe)
        c->observe(self, c, req, res, c->observe_ud);
    return res->status;
}

int64_t mob_http_get_step(mob_bot *self, mob_http_conn *c, mob_http_result *res,
                          int64_t deadline)
{
    MOB_ASSERT(c->req != NULL, "mob_http_get_step: c->req is not set");
    int rc = mob_http_exchange(self, c, c->req, res, deadline);
    if (rc < 0)
        return rc;
    return res->end_ns - res->start_ns;
}
