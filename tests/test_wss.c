/* SPDX-License-Identifier: MIT */
/*
 * test_wss.c: WebSocket over TLS (wss://): a bot in C opening wss connections with
 * mob_ws_dial, and the mob command's wss:// echo suite, against a TLS WebSocket echo server the
 * tests start on 127.0.0.1: the TLS test server (test_tls_server.h) forwarding to the plain
 * WebSocket echo server (test_ws_echo.h) in a thread of its own. Its certificate is
 * self-signed for IP 127.0.0.1 and DNS localhost; the stalling mode never answers the
 * ClientHello, and one test's server answers the handshake with bytes that are no TLS record. The suites are named tls_ws* so that the TLS=0 leg of .ci/run runs them too.
 *
 * Bots record what they saw; assertions run on the main stack after mob_loop_run returns.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob.h"
#include "mob_tls.h"
#include "mob_ws.h"
#include "test_tls_server.h"
#include "test_ws_echo.h"

#define SEC MOB_NS_PER_SEC

#ifndef MOB_TLS_OPENSSL

Test(tls_ws_cli, wss_in_a_build_without_tls_is_a_usage_error)
{
    struct test_out o;
    MOB(&o, "wss://127.0.0.1:1/", "-r", "1");
    cr_assert_eq(o.code, 2, "stdout: %s\nstderr: %s", o.out, o.err);
    cr_assert(strstr(o.err, "built without TLS"), "%s", o.err);
}

#else /* MOB_TLS_OPENSSL */

/* Starts the wss:// echo server (or, with stall, a TLS server that never answers). */
static void start_wss_server(int stall)
{
    intptr_t echo_port = stall ? 0 : test_ws_echo_thread();
    test_tls_server_start(stall, test_tls_forward, (void *)echo_port);
}

/* ---- a bot that opens n wss connections, echoes on each, closes each ---------------------- */

struct wclient {
    mob_tls_ctx *ctx;
    const char *server_name;
    int port;
    int n;                 /* connections, one after the other */
    int64_t timeout_ns;    /* per connection */
    /* results */
    int rc[4], cls[4], close_rc[4];
    int echoed;            /* messages that came back whole */
    char reason[192];
    uint64_t handshakes, resumed;
    int64_t took_ns;
};

static const size_t sizes[] = {0, 1, 125, 126, 9000, 16000};

static intptr_t wclient_bot(mob_bot *self, void *arg)
{
    struct wclient *cl = arg;
    static uint8_t buf[65536], msg[16000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)('a' + i % 26);
    mob_tls_conn tls;
    mob_tls_conn_init(&tls, cl->ctx);
    int64_t t0 = mob_clock_ns();
    for (int c = 0; c < cl->n && c < 4; c++) {
        int64_t dl = mob_now(mob_bot_loop(self)) + (cl->timeout_ns ? cl->timeout_ns : 5 * SEC);
        mob_ws ws;
        mob_ws_options o = {.tls = &tls, .server_name = cl->server_name};
        cl->rc[c] = mob_ws_dial(self, &ws, "127.0.0.1", cl->port, "/echo", &o, buf, sizeof buf,
                                dl);
        if (cl->rc[c] < 0) {
            cl->cls[c] = mob_fail_classify(cl->rc[c], ws.phase);
            snprintf(cl->reason, sizeof cl->reason, "%s", tls.reason);
            continue;
        }
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            int op = k % 2 ? MOB_WS_BINARY : MOB_WS_TEXT;
            mob_ws_send(self, &ws, MOB_WS_PING, "hi", 2, dl); /* answered; our recv drops it */
            ssize_t w = k == 4 ? mob_ws_send_fragmented(self, &ws, op, msg, sizes[k], 1000, dl)
                               : mob_ws_send(self, &ws, op, msg, sizes[k], dl);
            const void *d;
            int rop;
            ssize_t r = mob_ws_recv(self, &ws, &d, &rop, dl);
            cr_expect_eq(w, (ssize_t)sizes[k]);
            cr_expect_eq(r, (ssize_t)sizes[k], "size %zu: got %zd", sizes[k], r);
            cl->echoed += r == (ssize_t)sizes[k] && rop == op && !memcmp(d, msg, sizes[k]);
        }
        cl->close_rc[c] = mob_ws_close(self, &ws, MOB_WS_CLOSE_NORMAL, dl);
    }
    cl->took_ns = mob_clock_ns() - t0;
    cl->handshakes = tls.handshakes;
    cl->resumed = tls.resumed;
    mob_tls_conn_free(self, &tls);
    return 0;
}

static void run_wclient(struct wclient *cl)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
    mob_spawn(loop, wclient_bot, cl);
    test_loop_run_free(loop); /* no bot, timer or fd left behind */
}

#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

Test(tls_ws, a_bot_echoes_over_wss_verified_against_cacert_and_offers_http11, .timeout = 10)
{
    start_wss_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct wclient cl = {.ctx = ctx, .port = tls_srv.port, .n = 1};
    run_wclient(&cl);
    cr_assert_eq(cl.rc[0], 0, "rc %d (%s)", cl.rc[0], cl.reason);
    cr_assert_eq(cl.echoed, NSIZES, "a message over many TLS records and fragments, pings");
    cr_assert_eq(cl.close_rc[0], 0, "the close handshake ran over TLS");
    cr_assert_eq(cl.handshakes, 1);
    int hs, resumed;
    test_tls_server_counts(&hs, &resumed);
    cr_assert_eq(hs, 1);
    cr_assert_str_eq(tls_srv.alpn_offered, "http/1.1", "WebSocket's upgrade is HTTP/1.1");
    mob_tls_ctx_free(ctx);
    test_tls_server_stop();
}

Test(tls_ws, a_bot_that_reconnects_resumes_its_session, .timeout = 10)
{
    start_wss_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct wclient cl = {.ctx = ctx, .port = tls_srv.port, .n = 4};
    run_wclient(&cl);
    cr_assert_eq(cl.echoed, 4 * NSIZES, "rc %d (%s)", cl.rc[0], cl.reason);
    cr_assert_eq(cl.handshakes, 4);
    cr_assert_eq(cl.resumed, 3, "every handshake after the first resumes");
    int hs, resumed;
    test_tls_server_counts(&hs, &resumed);
    cr_assert_eq(resumed, 3, "the server agrees");
    mob_tls_ctx_free(ctx);
    test_tls_server_stop();
}

/* One connection with `bad` (and its server name) fails as class tls for `why`; one with
 * `good` echoes everything. Frees both contexts. */
static void refused_then_accepted(mob_tls_ctx *bad, const char *bad_name, const char *why,
                                  mob_tls_ctx *good, const char *good_name)
{
    struct wclient cl = {.ctx = bad, .server_name = bad_name, .port = tls_srv.port, .n = 1};
    run_wclient(&cl);
    cr_assert_eq(cl.cls[0], MOB_FAIL_TLS, "rc %d", cl.rc[0]);
    cr_assert(strstr(cl.reason, why), "reason: %s", cl.reason);
    struct wclient ok = {.ctx = good, .server_name = good_name, .port = tls_srv.port, .n = 1};
    run_wclient(&ok);
    cr_assert_eq(ok.echoed, NSIZES, "rc %d (%s)", ok.rc[0], ok.reason);
    mob_tls_ctx_free(bad);
    if (good != bad)
        mob_tls_ctx_free(good);
}

Test(tls_ws, a_self_signed_certificate_is_a_tls_failure_with_its_reason_unless_insecure,
     .timeout = 10)
{
    start_wss_server(0);
    /* The system store does not know our certificate; --insecure checks neither it nor the
     * name. */
    refused_then_accepted(test_tls_client_ctx(NULL, 0), NULL,
                          "certificate verify failed: self-signed certificate",
                          test_tls_client_ctx(NULL, 1), "wrong.example");
    test_tls_server_stop();
}

Test(tls_ws, a_name_the_certificate_does_not_carry_is_refused, .timeout = 10)
{
    start_wss_server(0);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    refused_then_accepted(ctx, "wrong.example", "hostname mismatch", ctx, "localhost");
    test_tls_server_stop();
}

Test(tls_ws, a_server_that_stalls_mid_handshake_meets_the_deadline, .timeout = 10)
{
    start_wss_server(1);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    struct wclient cl = {.ctx = ctx, .port = tls_srv.port, .n = 1,
                         .timeout_ns = 300 * MOB_NS_PER_MS};
    run_wclient(&cl);
    cr_assert_eq(cl.rc[0], -ETIMEDOUT);
    cr_assert_eq(cl.cls[0], MOB_FAIL_TIMEOUT);
    TIME_EXPECT(cl.took_ns, 300 * MOB_NS_PER_MS, 100);
    mob_tls_ctx_free(ctx);
    test_tls_server_stop();
}

/* ---- the mob command over wss:// -------------------------------------------------------- */

Test(tls_ws_cli, wss_with_cacert_succeeds_without_it_fails_as_tls_and_insecure_passes,
     .timeout = 30)
{
    start_wss_server(0);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/echo", tls_srv.port);
    test_tls_cli_trust(url);
    struct test_out o;
    /* A name the certificate carries, as SNI and for the check. */
    snprintf(url, sizeof url, "wss://localhost:%d/echo", tls_srv.port);
    MOB(&o, url, "-w", "1", "-r", "2", "-q", "--cacert", tls_srv.cert_path);
    cr_assert_eq(o.code, 0, "stderr: %s", o.err);
    test_tls_server_stop();
}

Test(tls_ws_cli, connection_close_reconnects_every_run_and_resumes, .timeout = 30)
{
    start_wss_server(0);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/echo", tls_srv.port);
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "4", "-q", "--cacert", tls_srv.cert_path, "--connection",
        "close");
    cr_assert_eq(o.code, 0, "stderr: %s", o.err);
    int hs, resumed;
    test_tls_server_counts(&hs, &resumed);
    cr_assert_eq(hs, 4, "a connection per run");
    cr_assert_eq(resumed, 3, "each after the first resumes the bot's session");
    test_tls_server_stop();
}

Test(tls_ws_cli, a_stalled_handshake_ends_at_timeout, .timeout = 30)
{
    start_wss_server(1);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/", tls_srv.port);
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "1", "--timeout", "300ms", "--cacert", tls_srv.cert_path,
        "--no-live");
    cr_assert_eq(o.code, 1, "nothing succeeded: %s", o.out);
    cr_assert(strstr(o.out, "timeout 1"), "%s", o.out);
    cr_assert_lt(o.wall_ns, 5 * SEC, "ended by its deadline, not hung");
    test_tls_server_stop();
}

/* A hostile server: after the handshake, bytes that are no TLS record. */
static void serve_garbage(SSL *ssl, void *arg)
{
    (void)arg;
    static const char junk[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
    char b[4096];
    if (write(SSL_get_fd(ssl), junk, sizeof junk - 1) > 0)
        while (read(SSL_get_fd(ssl), b, sizeof b) > 0) /* until the client gives up */
            ;
}

Test(tls_ws_cli, a_broken_record_is_a_protocol_failure_with_the_tls_reason, .timeout = 30)
{
    test_tls_server_start(0, serve_garbage, NULL);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/", tls_srv.port);
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "2", "--cacert", tls_srv.cert_path, "--no-live");
    cr_assert_eq(o.code, 1, "%s", o.out);
    cr_assert(strstr(o.out, "protocol 2"), "%s", o.out);
    cr_assert(strstr(o.out, "protocol: TLS record error"), "the TLS library's reason: %s",
              o.out);
    test_tls_server_stop();
}

Test(tls_ws_cli, bad_wss_urls_and_cacert_files_are_usage_errors)
{
    struct test_out o;
    MOB(&o, "wss://127.0.0.1:0/", "-r", "1");
    cr_assert_eq(o.code, 2, "%s", o.err);
    cr_assert(strstr(o.err, "want ws[s]://HOST[:PORT][/PATH]"), "%s", o.err);
    MOB(&o, "wss://127.0.0.1:1/", "-r", "1", "--cacert", "/nonexistent/ca.pem");
    cr_assert_eq(o.code, 2, "%s", o.err);
    cr_assert(strstr(o.err, "/nonexistent/ca.pem"), "%s", o.err);
}

#endif /* MOB_TLS_OPENSSL */
