/* SPDX-License-Identifier: MIT */
/*
 * dash.c: mob's own small HTTP server for the live views, run by bots in the loop that owns
 * the hub (the runner's loop, the -p parent's, or `mob view`'s). A listener bot accepts; each
 * connection gets a bot that reads one request head and answers it:
 *
 *   GET /             the page (dash_page.c): one document, no external asset
 *   GET /ws           WebSocket (mob_ws): the hub's state once at once, then at every tick
 *   GET /metrics      Prometheus text exposition
 *   GET /report.json  the current report, as a download
 *   "H ..."           (mob view only) a reporter: its stream goes into the hub
 *
 * Responses close the connection (no keep-alive: a page and a scrape are one request each).
 * With a token, every request must carry it (?token=T, or Authorization: Bearer T) and every
 * reporter's hello too; otherwise 403 and a closed connection. A WebSocket bot wakes four
 * times a second to see whether the hub ticked, so the page is at most 250 ms behind it and
 * an idle dashboard costs four wakeups a second per open page.
 *
 * Read next: src/run/dash_page.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "watch.h"
#include "mob_http.h"
#include "mob_io.h"
#include "mob_ws.h"

#define HEAD_MAX 8192
#define WS_BUF (64 * 1024)
#define POLL_NS (250 * MOB_NS_PER_MS)
#define IO_NS (10 * MOB_NS_PER_SEC)          /* a request head, a response, a WS frame */
#define REPORTER_IDLE_NS (60 * MOB_NS_PER_SEC) /* a reporter says something every second */

struct conn {
    struct conn *next, *prev;
    struct mob__dash *d;
    mob_bot *bot;
    int fd;
    int ws;                  /* a WebSocket page */
    uint64_t sent_tick;      /* the hub tick it last sent */
};

struct mob__dash {
    mob_loop *loop;
    struct mob__hub *hub;
    char *token;
    int accept_reporters;
    void (*report_fn)(FILE *f, const void *ud);
    const void *report_ud;
    int lfd, port;
    mob_bot *listener;
    struct conn *conns;
};

/* ---- addresses ----------------------------------------------------------------------------- */

int mob__parse_hostport(const char *s, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    const char *p = colon ? colon + 1 : s;
    char *e;
    long v = strtol(p, &e, 10);
    if (!*p || *e || v < 0 || v > 65535)
        return -EINVAL;
    size_t hl = colon ? (size_t)(colon - s) : 0;
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') { /* [::1]:8089 */
        s++;
        hl -= 2;
    }
    if (hl == 0) {
        snprintf(host, cap, "127.0.0.1");
    } else {
        if (hl >= cap)
            return -EINVAL;
        memcpy(host, s, hl);
        host[hl] = 0;
    }
    *port = (int)v;
    return 0;
}

int mob__host_is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0;
}

/* ---- responses ------------------------------------------------------------------------- */

static void respond(mob_bot *self, int fd, const char *status, const char *type,
                    const char *extra, const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
                     status, type, len, extra ? extra : "");
    int64_t dl = mob_now(mob_bot_loop(self)) + IO_NS;
    if (mob_write_all(self, fd, head, (size_t)n, dl) == n && len)
        mob_write_all(self, fd, body, len, dl);
}

static void respond_str(mob_bot *self, int fd, const char *status, const char *text)
{
    respond(self, fd, status, "text/plain; charset=utf-8", NULL, text, strlen(text));
}

/* The value of `key` in a query string (up to '#' or the end), into out. */
static int query_param(const char *q, size_t qlen, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < qlen;) {
        size_t end = i;
        while (end < qlen && q[end] != '&')
            end++;
        if (end - i > kl && strncmp(q + i, key, kl) == 0 && q[i + kl] == '=') {
            size_t vl = end - i - kl - 1;
            if (vl >= cap)
                return -1;
            memcpy(out, q + i + kl + 1, vl);
            out[vl] = 0;
            return 0;
        }
        i = end + 1;
    }
    return -1;
}

static int token_ok(const struct mob__dash *d, const mob_http_request_head *req,
                    const char *query, size_t qlen)
{
    if (!d->token)
        return 1;
    char got[256];
    if (query && query_param(query, qlen, "token", got, sizeof got) == 0 &&
        strcmp(got, d->token) == 0)
        return 1;
    const mob_http_header *a = mob_http_find_header(&req->f, "Authorization");
    size_t tl = strlen(d->token);
    return a && a->value_len == 7 + tl && strncmp(a->value, "Bearer ", 7) == 0 &&
           memcmp(a->value + 7, d->token, tl) == 0;
}

static void send_report(mob_bot *self, struct mob__dash *d, int fd)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    mob_result *r = NULL;
    if (mem) {
        if (d->report_fn) {
            d->report_fn(mem, d->report_ud);
        } else {
            const mob_result *fin = mob__hub_is_done(d->hub) ? mob__hub_final(d->hub) : NULL;
            if (!fin)
                fin = r = mob__hub_result(d->hub);
            if (fin)
                mob__result_json_write(fin, mem);
        }
    }
    mob_result_free(r);
    if (!mem || fclose(mem) != 0 || !text) {
        free(text); /* open_memstream's buffer is libc's */
        respond_str(self, fd, "500 Internal Server Error", "out of memory\n");
        return;
    }
    respond(self, fd, "200 OK", "application/json",
            "Content-Disposition: attachment; filename=\"mob-report.json\"\r\n", text, len);
    free(text);
}

static void send_metrics(mob_bot *self, struct mob__dash *d, int fd)
{
    struct mob__str b = {0};
    mob__hub_metrics(d->hub, &b);
    if (b.failed)
        respond_str(self, fd, "500 Internal Server Error", "out of memory\n");
    else
        respond(self, fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", NULL, b.s,
                b.len);
    mob__str_free(&b);
}

/* ---- the WebSocket page feed ----------------------------------------------------------- */

static void serve_ws(mob_bot *self, struct conn *c, char *buf, size_t len)
{
    struct mob__dash *d = c->d;
    mob_ws_request wr;
    char resp[256];
    if (mob_ws_parse_request(buf, len, &wr, NULL) < 0) {
        respond_str(self, c->fd, "400 Bad Request", "not a WebSocket request\n");
        return;
    }
    int n = mob_ws_build_response(resp, sizeof resp, wr.key, wr.key_len);
    mob_loop *loop = mob_bot_loop(self);
    if (n < 0 || mob_write_all(self, c->fd, resp, (size_t)n, mob_now(loop) + IO_NS) != n)
        return;
    uint8_t *wbuf = MOB_MALLOC(WS_BUF);
    if (!wbuf)
        return;
    mob_ws ws;
    mob_ws_init(&ws, c->fd, MOB_WS_SERVER, wbuf, WS_BUF);
    c->ws = 1;
    int from = 0;
    c->sent_tick = mob__hub_ticks(d->hub) - 1; /* send the state at once */
    for (;;) {
        if (c->sent_tick != mob__hub_ticks(d->hub)) {
            uint64_t tick = mob__hub_ticks(d->hub);
            struct mob__str b = {0};
            mob__hub_state_json(d->hub, &b, from);
            ssize_t w = b.failed ? -ENOMEM
                                 : mob_ws_send(self, &ws, MOB_WS_TEXT, b.s, b.len,
                                               mob_now(loop) + IO_NS);
            mob__str_free(&b);
            if (w < 0)
                break;
            from = mob__hub_nsecs(d->hub);
            c->sent_tick = tick;
        }
        int r = mob_wait_fd(self, c->fd, MOB_IN, mob_now(loop) + POLL_NS);
        if (r == -ETIMEDOUT)
            continue;
        if (r < 0)
            break;
        const void *data;
        if (mob_ws_recv(self, &ws, &data, NULL, mob_now(loop) + IO_NS) < 0)
            break; /* what a page sends is ignored; its close or an error ends it */
    }
    MOB_FREE(wbuf);
}

/* ---- a reporter (mob view) --------------------------------------------------------------- */

static void serve_reporter(mob_bot *self, struct conn *c, char *buf, size_t len, size_t cap)
{
    char peer[64] = "?";
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
        snprintf(peer, sizeof peer, "fd %d", c->fd);
    struct mob__hsrc *src = mob__hub_connect(c->d->hub, peer);
    if (!src)
        return;
    ssize_t n = (ssize_t)len;
    while (n > 0 && mob__hub_input(c->d->hub, src, buf, (size_t)n) == 0)
        n = mob_read(self, c->fd, buf, cap, mob_now(mob_bot_loop(self)) + REPORTER_IDLE_NS);
    mob__hub_disconnect(c->d->hub, src);
}

/* ---- connections --------------------------------------------------------------------------- */

static void route(mob_bot *self, struct conn *c, char *buf, size_t len, size_t head)
{
    struct mob__dash *d = c->d;
    mob_http_header hdr[32];
    mob_http_request_head req;
    memset(&req, 0, sizeof req);
    req.f.headers = hdr;
    req.f.max_headers = 32;
    if (mob_http_parse_request(buf, head, 0, &req) < 0) {
        respond_str(self, c->fd, "400 Bad Request", "bad request\n");
        return;
    }
    const char *q = memchr(req.target, '?', req.target_len);
    size_t plen = q ? (size_t)(q - req.target) : req.target_len;
    size_t qlen = q ? req.target_len - plen - 1 : 0;
    if (q)
        q++;
#define IS(p) (plen == strlen(p) && memcmp(req.target, p, plen) == 0)
    if (req.method_len != 3 || memcmp(req.method, "GET", 3) != 0) {
        respond_str(self, c->fd, "405 Method Not Allowed", "GET only\n");
    } else if (!token_ok(d, &req, q, qlen)) {
        respond_str(self, c->fd, "403 Forbidden", "this dashboard needs ?token=\n");
    } else if (IS("/") || IS("/index.html")) {
        respond(self, c->fd, "200 OK", "text/html; charset=utf-8", NULL, mob__dash_page,
                strlen(mob__dash_page));
    } else if (IS("/ws")) {
        serve_ws(self, c, buf, len);
    } else if (IS("/metrics")) {
        send_metrics(self, d, c->fd);
    } else if (IS("/report.json")) {
        send_report(self, d, c->fd);
    } else {
        respond_str(self, c->fd, "404 Not Found", "not here\n");
    }
#undef IS
}

static intptr_t conn_main(mob_bot *self, void *arg)
{
    struct conn *c = arg;
    mob_fd_adopt(self, c->fd);
    size_t cap = 64 * 1024;
    char *buf = MOB_MALLOC(cap);
    size_t len = 0;
    int64_t dl = mob_now(mob_bot_loop(self)) + IO_NS;
    while (buf) {
        ssize_t n = mob_read(self, c->fd, buf + len, HEAD_MAX - len, dl);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (c->d->accept_reporters && len >= 2 && buf[0] == 'H' && buf[1] == ' ') {
            serve_reporter(self, c, buf, len, cap);
            break;
        }
        char *end = NULL;
        for (size_t i = 3; i < len && !end; i++)
            if (memcmp(buf + i - 3, "\r\n\r\n", 4) == 0)
                end = buf + i + 1;
        if (end) {
            route(self, c, buf, len, (size_t)(end - buf));
            break;
        }
        if (len == HEAD_MAX) {
            respond_str(self, c->fd, "431 Request Header Fields Too Large", "too long\n");
            break;
        }
    }
    MOB_FREE(buf);
    mob_close(self, c->fd);
    /* Unlink ourselves: the server may be stopping and walking this list. */
    if (c->prev)
        c->prev->next = c->next;
    else
        c->d->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    MOB_FREE(c);
    return 0;
}

static intptr_t listener_main(mob_bot *self, void *arg)
{
    struct mob__dash *d = arg;
    for (;;) {
        int fd = mob_accept(self, d->lfd, MOB_FOREVER);
        if (fd == -ECANCELED)
            break;
        if (fd < 0) {
            /* EMFILE and friends: the run matters more than the page; try again soon. */
            if (mob_sleep(self, 100 * MOB_NS_PER_MS) < 0)
                break;
            continue;
        }
        struct conn *c = MOB_CALLOC(1, sizeof *c);
        if (c) {
            c->d = d;
            c->fd = fd;
            mob_fd_release(self, fd);
            c->bot = mob_spawn(d->loop, conn_main, c);
        }
        if (!c || !c->bot) {
            MOB_FREE(c);
            mob_close(self, fd);
            continue;
        }
        c->next = d->conns;
        if (d->conns)
            d->conns->prev = c;
        d->conns = c;
    }
    return 0;
}

int mob__dash_start(mob_loop *loop, struct mob__hub *hub, const char *host, int port,
                    const char *token, int accept_reporters,
                    void (*report_fn)(FILE *f, const void *ud), const void *report_ud,
                    struct mob__dash **out)
{
    *out = NULL;
    struct mob__dash *d = MOB_CALLOC(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->loop = loop;
    d->hub = hub;
    d->accept_reporters = accept_reporters;
    d->report_fn = report_fn;
    d->report_ud = report_ud;
    if (token && *token) {
        size_t n = strlen(token) + 1;
        if (!(d->token = MOB_MALLOC(n))) {
            MOB_FREE(d);
            return -ENOMEM;
        }
        memcpy(d->token, token, n);
    }
    d->lfd = mob_tcp_listen(NULL, host, port, 0);
    if (d->lfd < 0) {
        int rc = d->lfd;
        MOB_FREE(d->token);
        MOB_FREE(d);
        return rc;
    }
    d->port = mob_local_port(d->lfd);
    d->listener = mob_spawn(loop, listener_main, d);
    if (!d->listener) {
        mob_close(NULL, d->lfd);
        MOB_FREE(d->token);
        MOB_FREE(d);
        return -ENOMEM;
    }
    *out = d;
    return 0;
}

int mob__dash_port(const struct mob__dash *d)
{
    return d->port;
}

/* Waits (from a bot) until every open page has been sent the hub's latest tick, or the
 * deadline passes: so the final state reaches the pages before the server goes. */
void mob__dash_flush(struct mob__dash *d, mob_bot *self, int64_t deadline)
{
    for (;;) {
        int pending = 0;
        for (struct conn *c = d->conns; c; c = c->next)
            pending += c->ws && c->sent_tick != mob__hub_ticks(d->hub);
        if (!pending || mob_now(d->loop) >= deadline)
            return;
        if (mob_sleep(self, 10 * MOB_NS_PER_MS) < 0)
            return;
    }
}

void mob__dash_stop(struct mob__dash *d, mob_bot *self)
{
    if (!d)
        return;
    mob_cancel(d->listener);
    for (struct conn *c = d->conns; c; c = c->next)
        mob_cancel(c->bot);
    mob_join(self, d->listener, NULL, MOB_FOREVER);
    while (d->conns) /* each unlinks itself as it returns */
        mob_join(self, d->conns->bot, NULL, MOB_FOREVER);
    mob_close(NULL, d->lfd);
    MOB_FREE(d->token);
    MOB_FREE(d);
}
