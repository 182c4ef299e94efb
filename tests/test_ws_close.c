/* SPDX-License-Identifier: MIT */
/*
 * test_ws_close.c: a WebSocket that mob closes says goodbye (RFC 6455 5.5.1, 7.1.2): a close
 * frame, 1000 when the bot's work is done and 1001 when it leaves (cancelled, the run over),
 * and over TLS a close_notify, in one try that never holds up a cancelled bot or the end of
 * a run. Against the echo server of test_ws_echo.h in a thread of the test (which counts how
 * each connection ended), over ws:// and, behind the TLS test server, wss://: runs that end
 * by their duration, by --max-runs and by SIGINT, and servers that never answer a close
 * (mute) and that never read (deaf).
 *
 * Bots record what they saw; assertions run on the main stack after mob_loop_run returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob.h"
#include "mob_tls.h"
#include "mob_ws.h"
#include "test_tls_server.h"
#include "test_ws_echo.h"

#define MS MOB_NS_PER_MS

/* ---- one bot, one connection, and how its close went ------------------------------------ */

struct closer {
    mob_tls_ctx *tls;      /* wss://; NULL: ws:// */
    int port;
    int cancel_after_ms;   /* > 0: the bot waits for a message, and another bot cancels it */
    int sleep_first;       /* with cancel_after_ms: cancelled in a sleep, then it sends and
                              reads */
    size_t fill;           /* > 0: first a message this long, by a 200 ms deadline */
    mob_bot *victim;
    int dialed;            /* the canceller's clock starts then */
    /* results */
    int dial_rc, recv_rc, close_rc, state_after_send;
    ssize_t send_rc;
    int64_t close_ns;      /* how long mob_ws_close took */
};

/* Dials, maybe sends or waits, then closes as a bot whose work is done (1000, by a 200 ms
 * deadline). */
static intptr_t closer_bot(mob_bot *self, void *arg)
{
    struct closer *c = arg;
    static uint8_t buf[8192], big[32 << 20];
    mob_loop *loop = mob_bot_loop(self);
    mob_tls_conn tls;
    mob_tls_conn_init(&tls, c->tls);
    mob_ws ws;
    mob_ws_options o = {.tls = c->tls ? &tls : NULL};
    c->dial_rc = mob_ws_dial(self, &ws, "127.0.0.1", c->port, "/", &o, buf, sizeof buf,
                             mob_now(loop) + 5 * MOB_NS_PER_SEC);
    c->dialed = 1;
    if (c->dial_rc < 0)
        return 0;
    if (c->fill) {
        c->send_rc = mob_ws_send(self, &ws, MOB_WS_BINARY, big, c->fill, mob_now(loop) + 200 * MS);
        c->state_after_send = ws.state;
    }
    if (c->cancel_after_ms) {
        const void *d;
        if (c->sleep_first) {
            mob_sleep(self, MOB_NS_PER_SEC); /* the cancel cuts it short */
            c->send_rc = mob_ws_send(self, &ws, MOB_WS_TEXT, "late", 4, MOB_FOREVER);
        }
        c->recv_rc = (int)mob_ws_recv(self, &ws, &d, NULL, MOB_FOREVER);
    }
    int64_t t0 = mob_clock_ns();
    c->close_rc = mob_ws_close(self, &ws, MOB_WS_CLOSE_NORMAL, mob_now(loop) + 200 * MS);
    c->close_ns = mob_clock_ns() - t0;
    mob_tls_conn_free(self, &tls);
    return 0;
}

static intptr_t canceller_bot(mob_bot *self, void *arg)
{
    struct closer *c = arg;
    while (!c->dialed) /* a TLS handshake on a loaded machine may take longer than the wait */
        mob_sleep(self, MS);
    mob_sleep(self, c->cancel_after_ms * MS);
    mob_cancel(c->victim);
    return 0;
}

static void run_closer(struct closer *c)
{
    mob_loop *loop = test_loop_new(MOB_FREE);
    c->victim = mob_spawn(loop, closer_bot, c);
    if (c->cancel_after_ms)
        mob_spawn(loop, canceller_bot, c);
    test_loop_run_free(loop);
}

/* A bot cancelled while it waits for a message (or, sleep_first, before it asks for one):
 * mob_ws_close returns at once, and the server heard 1001. */
static void cancelled_bot_says_going_away(mob_tls_ctx *tls, int port, int sleep_first)
{
    struct closer c = {.tls = tls, .port = port, .cancel_after_ms = 50,
                       .sleep_first = sleep_first};
    run_closer(&c);
    cr_assert_eq(c.dial_rc, 0, "%s", mob_strerror(c.dial_rc));
    cr_assert_eq(c.recv_rc, -ECANCELED);
    cr_assert_eq(c.send_rc, sleep_first ? -ECANCELED : 0);
    cr_assert_eq(c.close_rc, -ECANCELED);
    cr_assert_lt(c.close_ns, 20 * MS, "nothing awaited: %lld ns", (long long)c.close_ns);
    struct test_ws_closes k = test_ws_echo_closes();
    cr_assert_eq(k.opened, 1);
    cr_assert_eq(k.going_away, 1, "1001 (normal %d, other %d, no close frame %d)", k.normal,
                 k.other, k.abnormal);
}

/* A message cut by a full socket (the server never reads): the stream cannot carry a close
 * frame any more, and the close keeps its 200 ms deadline whatever the socket does. */
static void cut_send_then_close_keeps_its_deadline(mob_tls_ctx *tls, int port)
{
    struct closer c = {.tls = tls, .port = port, .fill = 32 << 20};
    run_closer(&c);
    cr_assert_eq(c.dial_rc, 0, "%s", mob_strerror(c.dial_rc));
    cr_assert_eq(c.send_rc, -ETIMEDOUT, "the socket filled up: %zd", c.send_rc);
    cr_assert_eq(c.state_after_send, MOB_WS_CLOSED, "a cut frame ends the stream");
    cr_assert_lt(c.close_ns, 200 * MS * test_slow_factor(), "took %lld ns",
                 (long long)c.close_ns);
}

Test(ws_close, a_cancelled_bot_says_going_away_at_once, .timeout = 10)
{
    cancelled_bot_says_going_away(NULL, test_ws_echo_thread(), 0);
}

Test(ws_close, a_close_after_a_send_cut_by_a_full_socket_keeps_its_deadline, .timeout = 10)
{
    cut_send_then_close_keeps_its_deadline(NULL, test_ws_echo_thread_mode(TEST_WS_DEAF));
}

/* ---- the mob command ------------------------------------------------------------------- */

/* Three runs against url: three bots done after --max-runs say 1000 (and wait for the
 * answer); four bots, mostly between runs when the run's second is over, say 1001; so do 200
 * bots mostly in a run then, whose goodbye comes while the run's controller cancels the bots
 * that have left their runs. Every connection's close is counted by code; none ends without
 * one. Returns the connections. */
static int every_connection_says_goodbye(const char *url, const char *cacert)
{
    static const struct {
        const char *bots, *how, *value, *delay;
        int normal, going_away; /* the connections' closes it adds */
    } runs[] = {
        {"3", "-r", "4", "0", 3, 0},
        {"4", "-d", "1", "20ms", 0, 4},
        {"200", "-d", "1", "0", 0, 200},
    };
    const char *ca = cacert ? "--cacert" : NULL; /* without: the arguments end there */
    struct test_ws_closes want = {0}, k;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct test_out o;
        test_run_mob(&o, 0, 0,
                     (const char *[]){url, "-w", runs[i].bots, runs[i].how, runs[i].value,
                                      "--delay", runs[i].delay, "-q", ca, cacert, NULL});
        cr_assert_eq(o.code, 0, "run %zu: %s", i, o.err);
        want.normal += runs[i].normal;
        want.going_away += runs[i].going_away;
        k = test_ws_echo_closes();
        cr_assert_eq(k.opened, want.normal + want.going_away, "run %zu: a connection per bot", i);
        cr_assert(k.normal == want.normal && k.going_away == want.going_away &&
                      k.other + k.abnormal == 0,
                  "run %zu: 1000 %d (want %d), 1001 %d (want %d), other %d, none %d", i,
                  k.normal, want.normal, k.going_away, want.going_away, k.other, k.abnormal);
    }
    return k.opened;
}

/* A run interrupted by SIGINT (as a terminal's Ctrl-C: every run in flight cut now): its 50
 * bots each say 1001. Returns the connections. */
static int an_interrupted_run_says_goodbye(const char *url, const char *cacert)
{
    struct test_out o;
    test_run_mob(&o, SIGINT, 700 * MS,
                 (const char *[]){url, "-w", "50", "-d", "30", "--no-live",
                                  cacert ? "--cacert" : NULL, cacert, NULL});
    cr_assert(strstr(o.out, "interrupted by SIGINT"), "%s\n%s", o.out, o.err);
    struct test_ws_closes k = test_ws_echo_closes();
    cr_assert(k.opened == 50 && k.going_away == 50,
              "%d opened; 1001 %d, 1000 %d, other %d, none %d", k.opened, k.going_away,
              k.normal, k.other, k.abnormal);
    return k.opened;
}

Test(ws_close_cli, an_interrupted_run_says_1001_on_every_connection, .timeout = 30)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", test_ws_echo_thread());
    an_interrupted_run_says_goodbye(url, NULL);
}

Test(ws_close_cli, every_connection_says_1000_after_max_runs_and_1001_at_the_end, .timeout = 30)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", test_ws_echo_thread());
    every_connection_says_goodbye(url, NULL);
}

Test(ws_close_cli, a_server_that_never_answers_the_close_does_not_hold_up_the_end, .timeout = 30)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", test_ws_echo_thread_mode(TEST_WS_MUTE));
    struct test_out o;
    MOB(&o, url, "-w", "4", "-d", "1", "--no-live");
    cr_assert_eq(o.code, 0, "stdout: %s\nstderr: %s", o.out, o.err);
    cr_assert(strstr(o.out, "SUCCESSES"), "the summary is whole: %s", o.out);
    cr_assert_lt(o.wall_ns, 1600 * MS, "took %lld ms", (long long)(o.wall_ns / MS));
    struct test_ws_closes k = test_ws_echo_closes();
    cr_assert_eq(k.going_away, 4, "1001 (1000 %d, other %d, none %d)", k.normal, k.other,
                 k.abnormal);
}

/* Bots whose every run times out (the server never reads a message) end with the run, and
 * the summary counts every run. */
static void deaf_server_run_ends_by_its_deadline(const char *url, const char *cacert)
{
    struct test_out o;
    test_run_mob(&o, 0, 0,
                 (const char *[]){url, "-w", "2", "-d", "1", "--timeout", "300ms", "--size",
                                  "4096", "--no-live", cacert ? "--cacert" : NULL, cacert, NULL});
    cr_assert_eq(o.code, 1, "every run failed: stdout: %s\nstderr: %s", o.out, o.err);
    int timeouts = -1, failures = -2;
    const char *t = strstr(o.out, "timeout "), *f = strstr(o.out, "FAILURES: ");
    cr_assert(t && f && sscanf(t, "timeout %d", &timeouts) == 1 &&
                  sscanf(f, "FAILURES: %d", &failures) == 1,
              "the summary is whole: %s", o.out);
    cr_assert(timeouts >= 2 && timeouts == failures, "every run a timeout: %s", o.out);
    cr_assert_lt(o.wall_ns, 2500 * MS, "1 s, a 300 ms run in flight, no wait for a goodbye: "
                 "took %lld ms", (long long)(o.wall_ns / MS));
}

Test(ws_close_cli, a_server_that_never_reads_ends_with_the_run, .timeout = 30)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", test_ws_echo_thread_mode(TEST_WS_DEAF));
    deaf_server_run_ends_by_its_deadline(url, NULL);
}

#ifdef MOB_TLS_OPENSSL

/* The wss:// server: the TLS test server forwarding to the echo server in `mode`. */
static void start_wss(enum test_ws_echo_mode mode)
{
    intptr_t port = test_ws_echo_thread_mode(mode);
    test_tls_server_start(0, test_tls_forward, (void *)port);
}

/* cancelled_bot_says_going_away over wss://, and the server saw the close_notify. */
static void wss_cancelled_bot_says_goodbye(int sleep_first)
{
    start_wss(TEST_WS_ECHO);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    cancelled_bot_says_going_away(ctx, tls_srv.port, sleep_first);
    cr_assert_eq(test_tls_server_close_notifies(1), 1, "the server saw close_notify");
    mob_tls_ctx_free(ctx);
    test_tls_server_stop();
}

Test(tls_ws_close, a_cancelled_bot_says_going_away_and_close_notify_at_once, .timeout = 10)
{
    wss_cancelled_bot_says_goodbye(0);
}

/* The send and read a cancelled bot asks for are refused before a byte goes; neither the
 * WebSocket nor the TLS library may take that for a broken connection, or no close frame or
 * close_notify could follow. */
Test(tls_ws_close, a_bot_cancelled_before_it_sends_and_reads_still_says_goodbye, .timeout = 10)
{
    wss_cancelled_bot_says_goodbye(1);
}

Test(tls_ws_close, a_close_after_a_send_cut_by_a_full_socket_keeps_its_deadline, .timeout = 10)
{
    start_wss(TEST_WS_DEAF);
    mob_tls_ctx *ctx = test_tls_client_ctx(tls_srv.cert_path, 0);
    cut_send_then_close_keeps_its_deadline(ctx, tls_srv.port);
    mob_tls_ctx_free(ctx);
    test_tls_server_stop();
}

/* A goodbye scenario of the mob command against the wss:// echo server: every connection it
 * made sent close_notify too. */
static void wss_cli_goodbye(int (*scenario)(const char *url, const char *cacert))
{
    start_wss(TEST_WS_ECHO);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/", tls_srv.port);
    int n = scenario(url, tls_srv.cert_path);
    cr_assert_eq(test_tls_server_close_notifies(n), n, "every connection's close_notify");
    test_tls_server_stop();
}

Test(tls_ws_close_cli, every_connection_says_goodbye_and_close_notify, .timeout = 30)
{
    wss_cli_goodbye(every_connection_says_goodbye);
}

Test(tls_ws_close_cli, an_interrupted_run_says_goodbye_and_close_notify, .timeout = 30)
{
    wss_cli_goodbye(an_interrupted_run_says_goodbye);
}

Test(tls_ws_close_cli, a_server_that_never_reads_ends_with_the_run, .timeout = 30)
{
    start_wss(TEST_WS_DEAF);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/", tls_srv.port);
    deaf_server_run_ends_by_its_deadline(url, tls_srv.cert_path);
    test_tls_server_stop();
}

#endif /* MOB_TLS_OPENSSL */
