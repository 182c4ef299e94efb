/* SPDX-License-Identifier: MIT */
/*
 * http.c: the suite behind `mob http://HOST:PORT/PATH`: keep-alive HTTP/1.1 bots, like wrk's
 * connections. The request is built once and shared by every bot; each bot keeps its
 * connection and its read buffer in its state (mob_suite.state_size: the bot's storage,
 * sized at spawn). Each run is one GET (mob_http_get_step, src/proto/http_client.c); a
 * status >= 400 is a failure of class status. `https://` runs the same bots over TLS
 * (mob_tls.h): one context for the process, made when the suite is chosen from --cacert and
 * --insecure; a failed handshake is a failure of class tls, with the TLS library's reason in
 * the report.
 */
#include <errno.h>
#include <string.h>

#include "mob_http.h"
#include "suites.h"

/* The read buffer bounds the response head: nginx sends about 250 bytes, and the whole state
 * then fits with the bot's frames in one 4 KiB page of its stack (--buffer to change it). */

static struct {
    mob_tls_ctx *tls;
    mob_http_url url;
    mob_http_request req;
    char reqbuf[MOB_HTTP_PATH_MAX + 512];
} http;

struct http_state {
    mob_http_conn conn;
    char buf[]; /* buffer_size bytes */
};

static size_t buffer_size; /* --buffer (mob_suite_args), read when the suite is chosen */

static int http_bot_setup(mob_worker *w)
{
    struct http_state *st = w->state;
    mob_http_conn_options copt = {.tls = http.tls};
    int rc = mob_http_conn_init(&st->conn, http.url.host, http.url.port, st->buf, buffer_size,
                                &copt);
    st->conn.req = &http.req;
    return rc;
}

static int http_bot_teardown(mob_worker *w)
{
    struct http_state *st = w->state;
    mob_http_conn_free(w->bot, &st->conn);
    return 0;
}

static int http_get(mob_worker *w)
{
    struct http_state *st = w->state;
    mob_http_result res;
    mob_http_get_step(w->bot, &st->conn, &res, w->deadline);
    w->reason = res.reason;
    /* Classified by the client, where it failed; the runner counts the class as is. */
    return res.fail == MOB_FAIL_CANCELED ? -ECANCELED : res.fail;
}

static const mob_scenario http_scenarios[] = {
    {"get", http_get, 1, 0},
    {NULL, NULL, 0, 0},
};

static mob_suite http_suite = {
    .name = "http",
    .scenarios = http_scenarios,
    .bot_setup = http_bot_setup,
    .bot_teardown = http_bot_teardown,
};

const mob_suite *mob__suite_http(const char *target, const mob_suite_args *args, char *err,
                                 size_t errlen)
{
    if (mob_http_url_parse(target, &http.url) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want http[s]://HOST[:PORT][/PATH])", target);
        return NULL;
    }
    if (mob_http_request_get(&http.req, http.reqbuf, sizeof http.reqbuf, &http.url) < 0) {
        snprintf(err, errlen, "cannot build a request for '%s'", target);
        return NULL;
    }
    mob_tls_ctx_free(http.tls); /* a previous choice's, in a program that runs several */
    http.tls = NULL;
    if (http.url.tls) {
        mob_tls_config cfg = {.cafile = args->cacert, .insecure = args->insecure};
        http.tls = mob_tls_ctx_new(NULL, &cfg, err, errlen);
        if (!http.tls)
            return NULL;
    }
    buffer_size = args->buffer_size >= 256 ? args->buffer_size : 512;
    http_suite.state_size = sizeof(struct http_state) + buffer_size;
    return &http_suite;
}
