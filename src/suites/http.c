/* SPDX-License-Identifier: MIT */
/*
 * http.c: the suite behind `mob http://HOST[:PORT]/PATH`: keep-alive HTTP/1.1 bots, like wrk's
 * connections. The request (method, header fields and body from the command line: -m, -H,
 * --body) is built once and shared by every bot; each bot keeps its connection and its read
 * buffer in its state (mob_suite.state_size: the bot's storage, sized at spawn). Each run is
 * one exchange (mob_http_exchange, src/proto/http_client.c); a status >= 400 is a failure of
 * class status, and --expect-status / --expect-body turn what they reject into class check.
 * `https://` runs the same bots over TLS (mob_tls.h): one context per target, made when
 * the suite is chosen from --cacert and --insecure; a failed handshake is a failure of class
 * tls, with the TLS library's reason in the report. --connection close makes every request
 * open (and, over TLS, resume) a connection of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mob_events.h"
#include "mob_http.h"
#include "suites.h"

/* The read buffer bounds the response head: nginx sends about 250 bytes, so the default 512
 * keeps a bot's state (its storage, beside it: mob_suite.state_size) small; --buffer to
 * change it. */

#define EXPECT_BODY_CAP (16 * 1024) /* --expect-body looks at this much of each body */

/* One http(s):// target: what its bots share, and the suite they run (ud points back here),
 * so that several targets make several independent kinds in one run. */
struct http_target {
    mob_suite suite;
    mob_scenario scenarios[2];
    mob_tls_ctx *tls;
    mob_http_url url;
    mob_http_request req;
    char *reqbuf;            /* the request, built once */
    char name[32];           /* the scenario's name: the method in lower case */
    size_t buffer_size;      /* --buffer */
    int conn_close;
    int expect_status;
    unsigned char expect_status_set[125];
    const char *expect_body;
    size_t expect_len;
};

struct http_state {
    mob_http_conn conn;
    char why[96];            /* a check's reason, for mob_worker.reason */
    char buf[];              /* buffer_size bytes, then the body buffer for --expect-body */
};

static int http_bot_setup(mob_worker *w)
{
    struct http_state *st = w->state;
    const struct http_target *http = w->ud;
    mob_http_conn_options copt = {.tls = http->tls};
    int rc = mob_http_conn_init(&st->conn, http->url.host, http->url.port, st->buf,
                                http->buffer_size, &copt);
    st->conn.req = &http->req;
    mob_worker_observe_http(w, &st->conn); /* events and -vv, when something listens */
    if (http->expect_body) {
        st->conn.body_buf = st->buf + http->buffer_size;
        st->conn.body_cap = EXPECT_BODY_CAP;
    }
    return rc;
}

static int http_bot_teardown(mob_worker *w)
{
    struct http_state *st = w->state;
    mob_http_conn_free(w->bot, &st->conn);
    return 0;
}

static int contains(const char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

/* The response checks of the command line: returns the class the run counts as. */
static int check(struct http_state *st, const mob_http_result *res, mob_worker *w)
{
    const struct http_target *http = w->ud;
    int f = res->fail;
    if (res->status <= 0 || (f != MOB_FAIL_NONE && f != MOB_FAIL_STATUS))
        return f;
    if (http->expect_status) {
        int s = res->status;
        if (!(s >= 0 && s < 1000 && (http->expect_status_set[s / 8] >> (s % 8) & 1))) {
            snprintf(st->why, sizeof st->why, "status %d is not one --expect-status names", s);
            w->reason = st->why;
            return MOB_FAIL_CHECK;
        }
        f = MOB_FAIL_NONE;
    }
    if (f == MOB_FAIL_NONE && http->expect_body &&
        !contains(st->conn.body_buf, res->body_stored, http->expect_body, http->expect_len)) {
        snprintf(st->why, sizeof st->why, "the body lacks the --expect-body text (%.40s)",
                 http->expect_body);
        w->reason = st->why;
        return MOB_FAIL_CHECK;
    }
    return f;
}

static int http_run(mob_worker *w)
{
    struct http_state *st = w->state;
    const struct http_target *http = w->ud;
    mob_http_result res;
    mob_http_exchange(w->bot, &st->conn, &http->req, &res, w->deadline);
    w->reason = res.reason;
    mob_worker_status(w, res.status);
    if (http->conn_close)
        mob_http_conn_close(w->bot, &st->conn);
    if (res.fail == MOB_FAIL_CANCELED)
        return -ECANCELED;
    /* Classified by the client, where it failed; the checks may turn a success into check. */
    return http->expect_status || http->expect_body ? check(st, &res, w) : res.fail;
}

/* Builds the request from the URL and args into a buffer of its own. 0 or -errno. */
static int build_request(struct http_target *http, const mob_suite_args *args, char *err,
                         size_t errlen)
{
    mob_http_header h[MOB_MAX_HEADERS + 1];
    size_t n = 0, room = strlen(http->url.path) + sizeof http->url.authority + 256 +
                         args->body_len;
    int has_conn = 0;
    for (int i = 0; i < args->nheaders; i++) {
        const char *v = args->headers[i], *colon = strchr(v, ':');
        if (!colon)
            return -EINVAL;
        h[n].name = v;
        h[n].name_len = (size_t)(colon - v);
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
            ;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        h[n].value = v;
        h[n].value_len = vl;
        has_conn |= h[n].name_len == 10 && strncasecmp(h[n].name, "connection", 10) == 0;
        room += h[n].name_len + vl + 4;
        n++;
    }
    if (args->conn_close && !has_conn)
        h[n++] = (mob_http_header){"Connection", 10, "close", 5};
    const char *method = args->method ? args->method : "GET";
    http->reqbuf = MOB_MALLOC(room);
    if (!http->reqbuf)
        return -ENOMEM;
    int rc = mob_http_request_build(&http->req, http->reqbuf, room, method, http->url.path,
                                    http->url.authority, h, n, args->body, args->body_len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot build the request: %s", rc == -EINVAL
                 ? "a header the request builder owns (Content-Length, Transfer-Encoding) or a "
                   "malformed field"
                 : mob_strerror(rc));
        return rc;
    }
    size_t k = 0;
    for (; method[k] && k + 1 < sizeof http->name; k++)
        http->name[k] = (char)(method[k] >= 'A' && method[k] <= 'Z' ? method[k] + 32 : method[k]);
    http->name[k] = 0;
    return 0;
}

/* What an http(s):// instance points to: its request and its TLS context. */
static void http_fini(void *instance)
{
    struct http_target *http = instance;
    MOB_FREE(http->reqbuf);
    if (http->tls)
        mob_tls_ctx_free(http->tls);
}

/* The target into http; 0, or -1 with a message in err. */
static int http_make(void *instance, const char *target, const mob_suite_args *args, char *err,
                     size_t errlen)
{
    struct http_target *http = instance;
    if (mob_http_url_parse(target, &http->url) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want http[s]://HOST[:PORT][/PATH])", target);
        return -1;
    }
    if (mob__suite_resolve(http->url.host, http->url.port, target, err, errlen) < 0)
        return -1;
    if (build_request(http, args, err, errlen) < 0)
        return -1;
    if (http->url.tls) {
        mob_tls_config cfg = {.cafile = args->cacert, .insecure = args->insecure};
        http->tls = mob_tls_ctx_new(NULL, &cfg, err, errlen);
        if (!http->tls)
            return -1;
    }
    http->conn_close = args->conn_close;
    http->expect_status = args->expect_status;
    memcpy(http->expect_status_set, args->expect_status_set, sizeof http->expect_status_set);
    http->expect_body = args->expect_body;
    http->expect_len = args->expect_body ? strlen(args->expect_body) : 0;
    http->buffer_size = args->buffer_size >= 256 ? args->buffer_size : 512;
    http->scenarios[0] = (mob_scenario){http->name, http_run, 1, 0};
    http->suite = (mob_suite){
        .name = "http",
        .scenarios = http->scenarios,
        .bot_setup = http_bot_setup,
        .bot_teardown = http_bot_teardown,
        .state_size = sizeof(struct http_state) + http->buffer_size +
                      (http->expect_body ? EXPECT_BODY_CAP : 0),
        .ud = http,
        .release = mob__suite_release,
    };
    return 0;
}

const mob_suite *mob__suite_http(const char *target, const mob_suite_args *args, char *err,
                                 size_t errlen)
{
    return mob__suite_new(sizeof(struct http_target), http_make, http_fini, target, args, err,
                          errlen);
}
