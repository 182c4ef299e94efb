/* SPDX-License-Identifier: MIT */
/*
 * verbose.c: -vv, molotov's StdoutListener. Each HTTP exchange a bot's connection reports
 * (events.c's observer) is printed on stderr as it happens: the request (its line with the
 * whole URL, its header fields, its body) when it is sent, the response (status line, header
 * fields, body, and the exchange's time) when it is complete, each as one block under a
 * separator line naming the bot, so that blocks of bots taking turns stay whole.
 *
 * What molotov does not do, and why: bodies are cut at MOB__VV_BODY bytes ("... (N bytes)"
 * says how long the whole was), and bytes that are not printable ASCII are escaped (\xHH, \\;
 * CRLF line ends show as LF), so that a binary body or a terminal escape sequence in a
 * response cannot garble the terminal, where molotov prints a warning instead of a body it
 * cannot decode. At most MOB__MSG_PER_S exchanges a second per process are shown, so that
 * -vv cannot turn a load test into a test of the terminal; the exchanges not shown are
 * counted and said just before the next one shown, and at the end. On a terminal, each block
 * first erases the live line, which the next second draws again.
 *
 * Read next: src/run/events.c (the observer that calls it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mob_http.h"
#include "run.h"

#define RULE 45 /* molotov's separator lines: 45 '>', '=' or '<' */

/* The block being written: one buffer, kept for the process, so a block is one write. */
static struct {
    char *p;
    size_t n, cap;
    int broken; /* out of memory: the block is dropped */
} out;

static void put(const char *s, size_t n)
{
    if (out.n + n > out.cap) {
        size_t cap = out.cap ? out.cap : 4096;
        while (cap < out.n + n)
            cap *= 2;
        char *p = MOB_REALLOC(out.p, cap);
        if (!p) {
            out.broken = 1;
            return;
        }
        out.p = p;
        out.cap = cap;
    }
    memcpy(out.p + out.n, s, n);
    out.n += n;
}

static void putf(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void rule(char c, const mob_worker *w)
{
    char r[RULE];
    memset(r, c, sizeof r);
    put(r, sizeof r);
    putf(" [W:%d]", w->id);
}

/* Bytes as text a terminal shows as they are: printable ASCII, LF and tab; CRLF as LF; the
 * rest (control bytes, ESC, bytes of 0x80 and up) as \xHH, and the backslash doubled. */
static void put_escaped(const char *p, size_t n)
{
    size_t run = 0; /* printable bytes not yet copied, ending at p + i */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if ((ch >= 0x20 && ch < 0x7f && ch != '\\') || ch == '\n' || ch == '\t') {
            run++;
            continue;
        }
        put(p + i - run, run);
        run = 0;
        if (ch == '\r' && i + 1 < n && p[i + 1] == '\n')
            continue;
        if (ch == '\\')
            put("\\\\", 2);
        else
            putf("\\x%02x", ch);
    }
    put(p + n - run, run);
}

/* A body: its first MOB__VV_BODY bytes of the `stored` kept, then how long it was when cut. */
static void put_body(const char *p, size_t stored, uint64_t len)
{
    size_t shown = stored < MOB__VV_BODY ? stored : MOB__VV_BODY;
    if (len == 0)
        return;
    put("\n", 1);
    put_escaped(p ? p : "", p ? shown : 0);
    if (shown > 0 && p[shown - 1] != '\n')
        put("\n", 1);
    if (len > shown)
        putf("... (%llu bytes)\n", (unsigned long long)len);
}

/* On a terminal the live line (live.c) is left unfinished, where a block would go on from
 * it: each block first erases it, and the next second draws it again below the block. */
static void clear_live_line(const mob_options *o)
{
    if (mob__live_enabled(o) && o->live < 0 && isatty(2))
        put("\r\033[K", 4);
}

/* Writes the block and starts the next one empty. */
static void flush_block(void)
{
    if (!out.broken && out.n)
        fwrite(out.p, 1, out.n, stderr);
    out.n = 0;
    out.broken = 0;
}

static void say_unshown(struct mob__events *ev)
{
    if (!ev->vv_unsaid)
        return;
    putf("mob: -vv: %llu HTTP exchanges not shown (at most %d a second are)\n",
         (unsigned long long)ev->vv_unsaid, MOB__MSG_PER_S);
    ev->vv_unsaid = 0;
}

static void request(const mob_worker *w, const mob_run_event *e)
{
    rule('>', w);
    putf("\n");
    put_escaped(e->method, e->method_len);
    putf(" %s://", e->scheme);
    put_escaped(e->host, e->host_len);
    put_escaped(e->target, e->target_len);
    /* The header fields are the request's lines after the first, up to its blank line. */
    const char *nl = memchr(e->request, '\n', e->request_len);
    const char *end = e->request_body ? e->request_body : e->request + e->request_len;
    if (nl && nl + 1 < end)
        put_escaped(nl, (size_t)(end - nl) - (e->request_body ? 2 : 0));
    else
        put("\n", 1);
    put_body(e->request_body, e->request_body_len, e->request_body_len);
}

static void response(const mob_worker *w, const mob_run_event *e)
{
    rule('=', w);
    putf(" %.3f ms\nHTTP/1.%d %d ", (double)e->latency_ns / 1e6, e->minor_version, e->status);
    put_escaped(e->status_reason, e->status_reason_len);
    put("\n", 1);
    for (int i = 0; i < e->nheaders; i++) {
        const mob_http_header *h = &e->headers[i];
        put_escaped(h->name, h->name_len);
        put(": ", 2);
        put_escaped(h->value, h->value_len);
        put("\n", 1);
    }
    put_body(e->body, e->body_stored, e->body_len);
    char r[RULE + 1];
    memset(r, '<', RULE);
    r[RULE] = '\n';
    put(r, sizeof r);
}

void mob__vv_exchange(struct mob__events *ev, struct mob__wstate *ws, const mob_worker *w,
                      const mob_run_event *e)
{
    if (e->kind == MOB_EV_SENDING_REQUEST) {
        ws->vv_shown = mob__per_second(&ev->window, &ev->in_window, MOB__MSG_PER_S);
        if (!ws->vv_shown) {
            ev->vv_unsaid++;
            return;
        }
        clear_live_line(ev->o);
        say_unshown(ev);
        request(w, e);
    } else if (ws->vv_shown) {
        ws->vv_shown = 0;
        clear_live_line(ev->o);
        response(w, e);
    }
    flush_block();
}

void mob__vv_finish(struct mob__events *ev)
{
    if (ev->vv_unsaid)
        clear_live_line(ev->o);
    say_unshown(ev);
    flush_block();
    MOB_FREE(out.p);
    out.p = NULL;
    out.cap = 0;
}
