/* SPDX-License-Identifier: MIT */
/*
 * ws_echo.c: the suite behind `mob ws://HOST[:PORT]/PATH` and `mob wss://HOST[:PORT]/PATH`
 * (ports 80 and 443 by default, as for http(s)://):
 * WebSocket echo bots. Each run sends one --size message (64 bytes by default, at most 4096)
 * and waits for the same bytes back; the runner times the runs and counts the errors by
 * class, and each bot keeps its connection (struct echo_state) in its state between runs.
 * wss:// runs the same bots over TLS (mob_ws_dial with the bot's mob_tls_conn): one context
 * per target from --cacert and --insecure, as https:// has; a failed handshake is a
 * failure of class tls with the TLS library's reason, and a bot that reconnects resumes its
 * session. --connection close makes every run open (and, over TLS, resume) a connection of its
 * own, as it does for http(s)://.
 *
 * Read next: src/suites/builtin.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mob_http.h"
#include "mob_ws.h"
#include "suites.h"

struct echo_options {
    mob_tls_ctx *tls;     /* wss://; NULL: ws:// */
    const char *host;
    int port;
    const char *path;
    size_t message_size;  /* bytes per message; 0: 32 */
    int binary;           /* send binary frames instead of text */
    int64_t timeout_ns;   /* per step when no deadline is given; default 5 s */
    int conn_close;       /* --connection close: every run opens and closes its WebSocket */
};

/* One echo bot's connection and buffers, kept between steps; zeroed before the first. */
struct echo_state {
    mob_ws ws;
    mob_tls_conn tls;     /* wss://: keeps the session between connections */
    int connected;
    uint64_t seq;
    uint8_t buf[8192];
    char msg[4096];
};

/*
 * Closes the bot's connection with `code`, waiting for the server's close until `deadline`;
 * a bot leaving because the run is over (or cancelled) says 1001 where it would say 1000 and
 * waits for nothing: the frame and close_notify go in one try (MOB_NOW), so no server,
 * reading or not, answering or not, holds up the end of the run and its report.
 */
static void echo_close(mob_worker *w, struct echo_state *st, int code, int64_t deadline)
{
    if (mob_cancelled(w->bot) || mob_worker_ending(w)) {
        code = code == MOB_WS_CLOSE_NORMAL ? MOB_WS_CLOSE_GOING_AWAY : code;
        deadline = MOB_NOW;
    }
    mob_ws_close(w->bot, &st->ws, code, deadline);
    st->connected = 0;
}

/*
 * One step of the echo bot: connects on first use (or after an error), sends one message
 * and waits for the same bytes to come back, by w->deadline (0: now + opt->timeout_ns).
 * *latency_ns gets the round-trip time of this step (connect included on the first).
 * Returns 0, or a failure class (after which the next step reconnects): connect, tls (the
 * reason in st->tls.reason), timeout, protocol (a bad handshake or frame, or the echo
 * differed), read, write, ...
 */
static int echo_step(mob_worker *w, const struct echo_options *opt, int64_t *latency_ns)
{
    mob_bot *self = w->bot;
    struct echo_state *st = w->state;
    int64_t deadline = w->deadline;
    mob_loop *loop = mob_bot_loop(self);
    int64_t timeout = opt->timeout_ns > 0 ? opt->timeout_ns : 5 * MOB_NS_PER_SEC;
    size_t size = opt->message_size ? opt->message_size : 32;
    if (size > sizeof st->msg)
        size = sizeof st->msg;
    int64_t t0 = mob_now(loop);
    if (deadline <= 0)
        deadline = t0 + timeout;
    *latency_ns = 0;
    if (!st->connected) {
        if (opt->tls && !st->tls.ctx)
            mob_tls_conn_init(&st->tls, opt->tls);
        mob_ws_options wo = {.tls = &st->tls};
        int rc = mob_ws_dial(self, &st->ws, opt->host, opt->port, opt->path ? opt->path : "/",
                             &wo, st->buf, sizeof st->buf, deadline);
        if (rc < 0)
            return mob_fail_classify(rc, st->ws.phase);
        st->connected = 1;
    }
    /* A message that changes every step, so a stale echo cannot pass for a fresh one. */
    int n = snprintf(st->msg, sizeof st->msg, "mob %llu ", (unsigned long long)st->seq++);
    for (size_t i = (size_t)n; i < size; i++)
        st->msg[i] = (char)('a' + i % 26);
    int op = opt->binary ? MOB_WS_BINARY : MOB_WS_TEXT;
    ssize_t sent = mob_ws_send(self, &st->ws, op, st->msg, size, deadline);
    const void *d = NULL;
    int rop = 0;
    ssize_t r = sent < 0 ? sent : mob_ws_recv(self, &st->ws, &d, &rop, deadline);
    int rc = 0;
    if (r < 0)
        rc = (int)r;
    else if ((size_t)r != size || rop != op || memcmp(d, st->msg, size) != 0)
        rc = -EBADMSG;
    if (rc < 0) {
        /* A bad echo is the peer's fault (1002); anything else, the end of the run
         * included, is us going away (1001). */
        int code = rc == -EBADMSG ? MOB_WS_CLOSE_PROTOCOL : MOB_WS_CLOSE_GOING_AWAY;
        echo_close(w, st, code, mob_now(loop) + MOB_NS_PER_SEC / 10);
        return mob_fail_classify(rc, MOB_PHASE_ANY);
    }
    *latency_ns = mob_now(loop) - t0;
    return 0;
}

/* Closes an echo bot's connection and drops its TLS session. A bot whose work is done (its
 * --max-runs) says 1000 and waits for the server's close, bounded by the per-run --timeout;
 * a bot leaving with the run says 1001 at once (echo_close). */
static void echo_finish(mob_worker *w)
{
    struct echo_state *st = w->state;
    mob_bot *self = w->bot;
    int64_t timeout = w->opt->timeout_ns > 0 ? w->opt->timeout_ns : 5 * MOB_NS_PER_SEC;
    if (st->connected)
        echo_close(w, st, MOB_WS_CLOSE_NORMAL, mob_now(mob_bot_loop(self)) + timeout);
    if (st->tls.ctx)
        mob_tls_conn_free(self, &st->tls);
}

/* One ws(s):// target and its suite (ud points back here): several targets, several kinds.
 * The URL is parsed as the http(s):// one it upgrades from, default ports included. */
struct echo_target {
    mob_suite suite;
    mob_http_url url;
    struct echo_options o;
};

static int echo_bot_teardown(mob_worker *w)
{
    echo_finish(w);
    return 0;
}

static int echo_run(mob_worker *w)
{
    struct echo_state *st = w->state;
    const struct echo_target *echo = w->ud;
    int64_t lat;
    int cls = echo_step(w, &echo->o, &lat);
    if (cls == MOB_FAIL_NONE && echo->o.conn_close)
        echo_close(w, st, MOB_WS_CLOSE_NORMAL, w->deadline);
    if (cls == MOB_FAIL_CANCELED)
        return -ECANCELED;
    /* A failed handshake says why; so does a broken record later (the reason is cleared by
     * each handshake, so a WebSocket protocol error on a sound record has none). */
    if (cls == MOB_FAIL_TLS || (cls == MOB_FAIL_PROTOCOL && st->tls.ctx && st->tls.reason[0]))
        w->reason = st->tls.reason;
    return cls;
}

static const mob_scenario echo_scenarios[] = {
    {"ws-echo", echo_run, 1, 0},
    {NULL, NULL, 0, 0},
};

/* "ws://REST" as "http://REST" and "wss://REST" as "https://REST" into url: the handshake is
 * an HTTP request, so the URL rules (and the default ports 80 and 443) are HTTP's. 0 or
 * -EINVAL. */
int mob__suite_ws_url(const char *target, mob_http_url *url)
{
    int tls = strncmp(target, "wss://", 6) == 0;
    if (!tls && strncmp(target, "ws://", 5) != 0)
        return -EINVAL;
    char http[sizeof url->authority + sizeof url->path + 16];
    if ((size_t)snprintf(http, sizeof http, "http%s", target + 2) >= sizeof http)
        return -EINVAL;
    return mob_http_url_parse(http, url);
}

static void echo_fini(void *instance)
{
    struct echo_target *echo = instance;
    if (echo->o.tls)
        mob_tls_ctx_free(echo->o.tls);
}

/* The target into echo; 0, or -1 with a message in err. */
static int echo_make(void *instance, const char *target, const mob_suite_args *args, char *err,
                     size_t errlen)
{
    struct echo_target *echo = instance;
    if (mob__suite_ws_url(target, &echo->url) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want ws[s]://HOST[:PORT][/PATH])", target);
        return -1;
    }
    if (mob__suite_resolve(echo->url.host, echo->url.port, target, err, errlen) < 0)
        return -1;
    echo->o.message_size = args->payload_size ? args->payload_size : 64;
    if (echo->o.message_size > sizeof(((struct echo_state *)0)->msg)) {
        snprintf(err, errlen, "--size %zu is over the %zu bytes a ws:// echo message can hold",
                 echo->o.message_size, sizeof(((struct echo_state *)0)->msg));
        return -1;
    }
    if (echo->url.tls) {
        mob_tls_config cfg = {.cafile = args->cacert, .insecure = args->insecure};
        echo->o.tls = mob_tls_ctx_new(NULL, &cfg, err, errlen);
        if (!echo->o.tls)
            return -1;
    }
    echo->o.conn_close = args->conn_close;
    echo->o.host = echo->url.host;
    echo->o.port = echo->url.port;
    echo->o.path = echo->url.path;
    echo->suite = (mob_suite){
        .name = "ws-echo",
        .scenarios = echo_scenarios,
        .bot_teardown = echo_bot_teardown,
        .state_size = sizeof(struct echo_state),
        .ud = echo,
        .release = mob__suite_release,
    };
    return 0;
}

const mob_suite *mob__suite_ws_echo(const char *target, const mob_suite_args *args, char *err,
                                    size_t errlen)
{
    return mob__suite_new(sizeof(struct echo_target), echo_make, echo_fini, target, args, err,
                          errlen);
}
