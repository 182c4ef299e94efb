/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c: the TLS seam (mob_tls.h, src/proto/tls.c) and HTTPS through the HTTP client and
 * the mob command, against real TLS servers the tests start on 127.0.0.1:
 *
 *   - the TLS test server (test_tls_server.h: OpenSSL, a certificate for IP 127.0.0.1 and
 *     "localhost", handshakes and resumptions counted, ALPN offers recorded) answering GET /
 *     and GET /big;
 *   - a listener that accepts and never says a word (a handshake that stalls);
 *   - a pass-through backend of our own, to show that the seam is not tied to OpenSSL.
 *
 * Bots record what they saw; assertions run on the main stack after mob_loop_run returns.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob.h"
#include "mob_http.h"
#include "mob_tls.h"
#include "test_tls_server.h"

#define SEC MOB_NS_PER_SEC
#define BIG 100000

/* ---- a plain HTTP/1.1 answer, shared by the TLS server and the pass-through test ---------- */

/* Reads one request head through rd (returns bytes or <= 0) into buf. Returns its length, 0
 * at EOF or on error. */
typedef int (*read_fn)(void *io, char *buf, int len);
typedef int (*write_fn)(void *io, const char *buf, int len);

static int serve_http(void *io, read_fn rd, write_fn wr)
{
    char buf[8192];
    int n = 0;
    for (;;) {
        char *end = n ? memmem(buf, (size_t)n, "\r\n\r\n", 4) : NULL;
        if (end) {
            int close_after = memmem(buf, (size_t)n, "Connection: close", 17) != NULL;
            int big = strncmp(buf, "GET /big ", 9) == 0;
            char head[128];
            int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n",
                              big ? BIG : 5, close_after ? "Connection: close\r\n" : "");
            if (wr(io, head, hl) <= 0)
                return -1;
            if (big) {
                static char body[BIG];
                memset(body, 'b', sizeof body);
                if (wr(io, body, BIG) <= 0)
                    return -1;
            } else if (wr(io, "hello", 5) <= 0) {
                return -1;
            }
            int used = (int)(end + 4 - buf);
            memmove(buf, buf + used, (size_t)(n - used));
            n -= used;
            if (close_after)
                return 0;
            continue;
        }
        if (n == (int)sizeof buf)
            return -1;
        int r = rd(io, buf + n, (int)sizeof buf - n);
        if (r <= 0)
            return 0;
        n += r;
    }
}

static int plain_read(void *io, char *buf, int len)
{
    return (int)read(*(int *)io, buf, (size_t)len);
}

static int plain_write(void *io, const char *buf, int len)
{
    return (int)send(*(int *)io, buf, (size_t)len, MSG_NOSIGNAL);
}

/* A plain HTTP server thread: one thread per connection, for the pass-through backend. */
static void *plain_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    serve_http(&fd, plain_read, plain_write);
    close(fd);
    return NULL;
}

static void *plain_accept(void *arg) { return test_accept_threads((int)(intptr_t)arg, plain_conn); }

static int start_plain_server(void)
{
    int port;
    int lfd = test_listen_loopback(&port);
    cr_assert_gt(lfd, 0);
    pthread_t t;
    pthread_create(&t, NULL, plain_accept, (void *)(intptr_t)lfd);
    pthread_detach(t);
    return port;
}

/* ---- a bot that makes n requests and records what happened -------------------------------- */

struct client {
    mob_tls_ctx *ctx;
    const char *server_name;
    int port;
    const char *path;
    int n;              /* requests to make */
    int close_between;  /* close the connection after each request (forces a new handshake) */
    int64_t timeout_ns; /* per request */
    void (*before)(void); /* called before each request, on the bot's stack */
    /* results */
    int ok, status[8], rc[8], cls[8];
    uint64_t body_len[8];
    char reason[192];
    uint64_t handshakes, resumed;
    int64_t took_ns;
};

static intptr_t client_bot(mob_bot *self, void *arg)
{
    struct client *cl = arg;
    mob_http_conn c;
    char buf[1024];
    mob_http_conn_options opt = {.tls = cl->ctx, .server_name = cl->server_name};
    if (mob_http_conn_init(&c, "127.0.0.1", cl->port, buf, sizeof buf, &opt) < 0)
        return -1;
    char rq[256];
    mob_http_request req;
    mob_http_request_build(&req, rq, sizeof rq, "GET", cl->path ? cl->path : "/", "127.0.0.1",
                           NULL, 0, NULL, 0);
    int64_t t0 = mob_clock_ns();
    for (int i = 0; i < cl->n && i < 8; i++) {
        mob_http_result res;
        int64_t dl = mob_now(mob_bot_loop(self)) + (cl->timeout_ns ? cl->timeout_ns : 5 * SEC);
        if (cl->before)
            cl->before();
        cl->rc[i] = mob_http_exchange(self, &c, &req, &res, dl);
        cl->status[i] = res.status;
        cl->cls[i] = res.fail;
        cl->body_len[i] = res.body_len;
        if (res.reason)
            snprintf(cl->reason, sizeof cl->reason, "%s", res.reason);
        cl->ok += res.status == 200;
        if (cl->close_between)
            mob_http_conn_close(self, &c);
    }
    cl->took_ns = mob_clock_ns() - t0;
    cl->handshakes = c.tls.handshakes;
    cl->resumed = c.tls.resumed;
    mob_http_conn_free(self, &c);
    return 0;
}

static void run_client(struct client *cl)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, client_bot, cl);
    mob_loop_run(loop);
    cr_assert_eq(mob_loop_free(loop), 0, "the loop leaked a bot, a timer or an fd");
}

/* ---- the pass-through backend: the seam without any TLS library -------------------------- */

struct pt_conn {
    const mob_tls_io *io;
    int handshakes;
};

static void *pt_ctx_new(const mob_tls_config *cfg, char *err, size_t errlen)
{
    (void)cfg, (void)err, (void)errlen;
    static int ctx;
    return &ctx;
}
static void pt_ctx_free(void *ctx) { (void)ctx; }
static void *pt_conn_new(void *ctx, const mob_tls_io *io, const char *name, void *session)
{
    (void)ctx, (void)name, (void)session;
    struct pt_conn *c = calloc(1, sizeof *c);
    c->io = io;
    return c;
}
static int pt_handshake(void *p)
{
    ((struct pt_conn *)p)->handshakes++;
    return 0;
}
static int pt_want_reads; /* reads that came back with MOB_TLS_WANT_READ */
static ssize_t pt_read(void *p, void *buf, size_t len)
{
    struct pt_conn *c = p;
    ssize_t n = c->io->recv(c->io->arg, buf, len);
    pt_want_reads += n == MOB_TLS_WANT_READ;
    return n;
}
static ssize_t pt_write(void *p, const void *buf, size_t len)
{
    struct pt_conn *c = p;
    return c->io->send(c->io->arg, buf, len);
}
static int pt_shutdown(void *p) { (void)p; return 0; }
static void *pt_session_take(void *p) { (void)p; return NULL; }
static void pt_session_free(void *s) { (void)s; }
static int pt_resumed(void *p) { (void)p; return 0; }
static const char *pt_reason(void *p) { (void)p; return ""; }
static const char *pt_alpn(void *p) { (void)p; return ""; }
static void pt_conn_free(void *p) { free(p); }
static int pt_pending(void *p) { (void)p; return 0; } /* it never holds a byte */

static const mob_tls_backend passthrough = {
    "pass-through", pt_ctx_new, pt_ctx_free, pt_conn_new, pt_handshake, pt_read, pt_write,
    pt_shutdown, pt_session_take, pt_session_free, pt_resumed, pt_reason, pt_alpn,
    pt_conn_free, NULL,
};

static const mob_tls_backend passthrough_pending = {
    "pass-through", pt_ctx_new, pt_ctx_free, pt_conn_new, pt_handshake, pt_read, pt_write,
    pt_shutdown, pt_session_take, pt_session_free, pt_resumed, pt_reason, pt_alpn,
    pt_conn_free, pt_pending,
};

Test(tls, a_backend_of_our_own_plugs_into_the_seam, .timeout = 10)
{
    int port = start_plain_server();
    char err[128];
    mob_tls_ctx *ctx = mob_tls_ctx_new(&passthrough, NULL, err, sizeof err);
    cr_assert_not_null(ctx);
    struct client cl = {.ctx = ctx, .port = port, .path = "/big", .n = 3, .close_between = 1};
    run_client(&cl);
    cr_assert_eq(cl.ok, 3, "rc %d %d %d", cl.rc[0], cl.rc[1], cl.rc[2]);
    cr_assert_eq(cl.body_len[2], BIG);
    cr_assert_eq(cl.handshakes, 3, "one handshake per connection through the seam");
    mob_tls_ctx_free(ctx);
}

/* The server answers each request a while after it came (its thread has to wake), in two
 * writes (head, then body). A backend that says it holds nothing lets a bot whose socket is
 * drained park at once: reads that only hear WANT_READ are then rare (the first one of the
 * connection, or an edge the poller reported for bytes already read), not one or two per
 * request. */
Test(tls, a_drained_bot_parks_without_asking_a_backend_that_holds_nothing, .timeout = 10)
{
    int port = start_plain_server();
    char err[128];
    mob_tls_ctx *ctx = mob_tls_ctx_new(&passthrough_pending, NULL, err, sizeof err);
    cr_assert_not_null(ctx);
    struct client cl = {.ctx = ctx, .port = port, .n = 8};
    pt_want_reads = 0;
    run_client(&cl);
    cr_assert_eq(cl.ok, 8, "rc %d %d %d", cl.rc[0], cl.rc[1], cl.rc[2]);
    cr_assert_lt(pt_want_reads, cl.n / 2, "%d reads only heard WANT_READ", pt_want_reads);
    mob_tls_ctx_free(ctx);
}

#ifndef MOB_TLS_OPENSSL

Test(tls, without_a_backend_a_context_says_how_to_get_one)
{
    char err[160] = "";
    cr_assert_null(mob_tls_builtin());
    cr_assert_null(mob_tls_ctx_new(NULL, NULL, err, sizeof err));
    cr_assert(strstr(err, "TLS=1") != NULL, "%s", err);
}

#else /* MOB_TLS_OPENSSL: the OpenSSL backend against an OpenSSL server */

#include <openssl/err.h>
#include <openssl/ssl.h>

static int ssl_read_fn(void *io, char *buf, int len)
{
    return SSL_read(io, buf, len);
}

static int ssl_write_fn(void *io, const char *buf, int len)
{
    return SSL_write(io, buf, len);
}

/* The TLS server's answer: HTTP, as the plain server gives it. */
static void serve_https(SSL *ssl, void *arg)
{
    (void)arg;
    serve_http(ssl, ssl_read_fn, ssl_write_fn);
}

static void start_tls_server(int stall)
{
    test_tls_server_start(stall, serve_https, NULL);
}

static void stop_tls_server(void)
{
    test_tls_server_stop();
}

Test(tls, https_get_verifies_against_cacert_and_offers_http11, .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .path = "/big", .n = 3};
    run_client(&cl);
    cr_assert_eq(cl.ok, 3, "rc %d (%s)", cl.rc[0], cl.reason);
    cr_assert_eq(cl.body_len[0], BIG, "a body over many TLS records arrives whole");
    cr_assert_eq(cl.handshakes, 1, "keep-alive: one handshake for three requests");
    cr_assert_str_eq(tls_srv.alpn_offered, "http/1.1");
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

/* What a scenario's own use of OpenSSL may leave in the thread's error queue. */
static void leave_an_error(void)
{
    ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
}

Test(tls, an_error_left_in_the_thread_by_other_code_fails_no_read, .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .path = "/big", .n = 8,
                        .before = leave_an_error};
    run_client(&cl);
    cr_assert_eq(cl.ok, 8, "rc %d %d %d (%s)", cl.rc[0], cl.rc[1], cl.rc[2], cl.reason);
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, a_bot_that_reconnects_resumes_its_session, .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .n = 4, .close_between = 1};
    run_client(&cl);
    cr_assert_eq(cl.ok, 4, "rc %d (%s)", cl.rc[0], cl.reason);
    cr_assert_eq(cl.handshakes, 4);
    cr_assert_eq(cl.resumed, 3, "every handshake after the first resumes");
    int hs, resumed;
    test_tls_server_counts(&hs, &resumed);
    cr_assert_eq(resumed, 3, "the server agrees");
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

/* The ClientHellos the server saw, and how many offered TLS 1.3 (supported_versions). */
static int hellos, hellos_offering_tls13;

static int count_hello(SSL *ssl, int *alert, void *arg)
{
    (void)alert, (void)arg;
    const unsigned char *ext;
    size_t len;
    int tls13 = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &ext, &len);
    pthread_mutex_lock(&tls_srv.mu);
    hellos++;
    hellos_offering_tls13 += tls13;
    pthread_mutex_unlock(&tls_srv.mu);
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* Offering TLS 1.3 beside a TLS 1.2 session costs a key share per connection for nothing. */
Test(tls, a_tls12_session_resumes_without_offering_tls13, .timeout = 10)
{
    start_tls_server(0);
    SSL_CTX_set_max_proto_version(tls_srv.ctx, TLS1_2_VERSION); /* no connection yet */
    SSL_CTX_set_client_hello_cb(tls_srv.ctx, count_hello, NULL);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .n = 4, .close_between = 1};
    run_client(&cl);
    cr_assert_eq(cl.ok, 4, "rc %d (%s)", cl.rc[0], cl.reason);
    cr_assert_eq(cl.resumed, 3, "every handshake after the first resumes");
    cr_assert_eq(hellos, 4);
    cr_assert_eq(hellos_offering_tls13, 1, "only the first hello, without a session, offers 1.3");
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, a_self_signed_certificate_without_cacert_is_a_tls_failure_with_its_reason,
     .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(NULL, 0); /* the system store does not know our cert */
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .n = 1};
    run_client(&cl);
    cr_assert_eq(cl.ok, 0);
    cr_assert_eq(cl.rc[0], -ECONNABORTED);
    cr_assert_eq(cl.cls[0], MOB_FAIL_TLS);
    cr_assert_str_eq(mob_fail_name(MOB_FAIL_TLS), "tls");
    cr_assert(strstr(cl.reason, "certificate verify failed: self-signed certificate"),
              "reason: %s", cl.reason);
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, a_name_the_certificate_does_not_carry_is_refused, .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .server_name = "wrong.example", .port = tls_srv.port, .n = 1};
    run_client(&cl);
    cr_assert_eq(cl.cls[0], MOB_FAIL_TLS);
    cr_assert(strstr(cl.reason, "hostname mismatch"), "reason: %s", cl.reason);
    /* The same with localhost, which the certificate names: accepted. */
    struct client ok = {.ctx = ctx, .server_name = "localhost", .port = tls_srv.port, .n = 1};
    run_client(&ok);
    cr_assert_eq(ok.ok, 1, "rc %d (%s)", ok.rc[0], ok.reason);
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, insecure_accepts_any_certificate, .timeout = 10)
{
    start_tls_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(NULL, 1);
    struct client cl = {.ctx = ctx, .server_name = "wrong.example", .port = tls_srv.port, .n = 2};
    run_client(&cl);
    cr_assert_eq(cl.ok, 2, "rc %d (%s)", cl.rc[0], cl.reason);
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, a_server_that_stalls_mid_handshake_meets_the_deadline, .timeout = 10)
{
    start_tls_server(1);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct client cl = {.ctx = ctx, .port = tls_srv.port, .n = 1, .timeout_ns = 300 * MOB_NS_PER_MS};
    run_client(&cl);
    cr_assert_eq(cl.rc[0], -ETIMEDOUT);
    cr_assert_eq(cl.cls[0], MOB_FAIL_TIMEOUT);
    TIME_EXPECT(cl.took_ns, 300 * MOB_NS_PER_MS, 100);
    mob_tls_ctx_free(ctx);
    stop_tls_server();
}

Test(tls, a_missing_cacert_file_is_refused_with_a_message)
{
    char err[256] = "";
    mob_tls_config cfg = {.cafile = "/nonexistent/ca.pem"};
    cr_assert_null(mob_tls_ctx_new(NULL, &cfg, err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/ca.pem"), "%s", err);
}

/* ---- the mob command over https:// -------------------------------------------------------- */


Test(tls_cli, https_with_cacert_succeeds_and_without_it_fails_as_tls, .timeout = 30)
{
    start_tls_server(0);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/", tls_srv.port);
    test_tls_cli_trust(url);
    stop_tls_server();
}

Test(tls_cli, an_unreadable_cacert_is_a_usage_error)
{
    struct test_out o;
    MOB(&o, "https://127.0.0.1:1/", "-r", "1", "--cacert", "/nonexistent/ca.pem");
    cr_assert_eq(o.code, 2, "%s", o.err);
    cr_assert(strstr(o.err, "/nonexistent/ca.pem"), "%s", o.err);
}

#endif /* MOB_TLS_OPENSSL */
