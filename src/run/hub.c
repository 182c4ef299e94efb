/* SPDX-License-Identifier: MIT */
/*
 * hub.c: the viewer's side of the report stream (format in watch.h). Each connection feeds
 * bytes in; complete lines are checked strictly (numbers are digits, bucket lists ascend,
 * names come before use, the token matches) and a connection that breaks a rule is dropped,
 * its reporter marked refused, and nothing of the bad line counted. What the hub keeps:
 *
 *   - the timeline: second i holds the sum of every reporter's second i (counts, failures by
 *     class, bots, and the coarse latency buckets, added as `mob merge` adds them), so the
 *     live percentiles of a second are those of the merged report;
 *   - per reporter, its latest totals and per-scenario and per-span state (cumulative, so a
 *     repeated line changes nothing): the live totals are their sums;
 *   - the latest messages, and each reporter's final report, merged at the end.
 *
 * A reporter is known by its run id, process number and name; one that reconnects resumes
 * its record, and the seconds it sends again are skipped. hub_out.c renders the state.
 *
 * Read next: src/run/hub_out.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = MOB_MALLOC(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

struct mob__hub *mob__hub_new(const char *title, const char *token)
{
    struct mob__hub *h = MOB_CALLOC(1, sizeof *h);
    if (!h)
        return NULL;
    h->title = dup_str(title ? title : "mob");
    h->token = token && *token ? dup_str(token) : NULL;
    h->tok = MOB_MALLOC(MOB__MAX_TOKENS * sizeof *h->tok);
    if (!h->title || (token && *token && !h->token) || !h->tok) {
        mob__hub_free(h);
        return NULL;
    }
    return h;
}

static void free_stats(struct hstat *st, int n)
{
    for (int i = 0; i < n; i++)
        MOB_FREE(st[i].cb);
    MOB_FREE(st);
}

void mob__hub_free(struct mob__hub *h)
{
    if (!h)
        return;
    while (h->reps) {
        struct hrep *r = h->reps;
        h->reps = r->next;
        for (int k = 0; k < 2; k++)
            free_stats(r->st[k], r->nst[k]);
        mob_result_free(r->final);
        MOB_FREE(r);
    }
    while (h->conns) {
        struct mob__hsrc *c = h->conns;
        h->conns = c->next;
        MOB_FREE(c->in);
        MOB_FREE(c);
    }
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < h->nnames[k]; i++)
            MOB_FREE(h->names[k][i]);
        MOB_FREE(h->names[k]);
    }
    for (int i = 0; i < h->nsecs; i++)
        MOB_FREE(h->secs[i].cb);
    MOB_FREE(h->secs);
    mob_result_free(h->final);
    MOB_FREE(h->tok);
    MOB_FREE(h->title);
    MOB_FREE(h->token);
    MOB_FREE(h);
}

struct mob__hsrc *mob__hub_connect(struct mob__hub *h, const char *peer)
{
    struct mob__hsrc *c = MOB_CALLOC(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "?");
    c->next = h->conns;
    h->conns = c;
    return c;
}

static void unlink_conn(struct mob__hub *h, struct mob__hsrc *c)
{
    for (struct mob__hsrc **p = &h->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    MOB_FREE(c->in);
    MOB_FREE(c);
}

void mob__hub_disconnect(struct mob__hub *h, struct mob__hsrc *c)
{
    if (c->rep && c->rep->state == MOB__SRC_CONNECTED && c->rep->conn == c)
        c->rep->state = MOB__SRC_LOST;
    if (c->rep && c->rep->conn == c)
        c->rep->conn = NULL;
    unlink_conn(h, c);
}

void mob__hub_counts(const struct mob__hub *h, int *sources, int *done)
{
    *sources = *done = 0;
    for (const struct hrep *r = h->reps; r; r = r->next) {
        (*sources)++;
        *done += r->state == MOB__SRC_DONE;
    }
}

void mob__hub_tick(struct mob__hub *h)
{
    h->ticks++;
}

void mob__hub_gates(const struct mob__hub *h, mob_options *o)
{
    o->fail_threshold = -1;
    o->stop_on_failure = 0;
    for (const struct hrep *r = h->reps; r; r = r->next) {
        int64_t f = r->fail_threshold;
        if (f >= 0 && (o->fail_threshold < 0 || f < o->fail_threshold))
            o->fail_threshold = f;
        o->stop_on_failure |= r->stop_on_failure;
    }
}

void mob__hub_set_done(struct mob__hub *h)
{
    h->done = 1;
}

int mob__hub_is_done(const struct mob__hub *h)
{
    return h->done;
}

uint64_t mob__hub_ticks(const struct mob__hub *h)
{
    return h->ticks;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* A whole number of at most 19 digits (no sign, no space): 0, or -1. */
static int num(const char *s, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 19)
            return -1;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0)
        return -1;
    *out = v;
    return 0;
}

static int unescape(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int v = 0;
        for (int k = 1; k <= 2; k++) {
            char c = p[k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        if (v == 0)
            return -1;
        *o++ = (char)v;
        p += 2;
    }
    *o = 0;
    return 0;
}

/* ntok tokens from t[at]: NCB then NCB pairs, ascending and on coarse bucket bounds. */
static int buckets(char **t, int ntok, int at, struct mob__cbucket **out, int *n)
{
    int64_t k;
    if (at >= ntok || num(t[at], &k) < 0 || k > MOB__COARSE_MAX || at + 1 + 2 * k != ntok)
        return -1;
    *out = NULL;
    *n = (int)k;
    if (k == 0)
        return 0;
    struct mob__cbucket *b = MOB_MALLOC((size_t)k * sizeof *b);
    if (!b)
        return -1;
    for (int i = 0; i < k; i++) {
        int64_t lo, cnt;
        if (num(t[at + 1 + 2 * i], &lo) < 0 || num(t[at + 2 + 2 * i], &cnt) < 0 ||
            mob__coarse_lowest(lo) != lo || (i > 0 && lo <= b[i - 1].lowest)) {
            MOB_FREE(b);
            return -1;
        }
        b[i] = (struct mob__cbucket){lo, (uint64_t)cnt};
    }
    *out = b;
    return 0;
}

/* The failure classes a line carries (every class but "ok"), from t[4]; the fields after them
 * are counted from NC on, so a new class moves them rather than breaking the protocol. */
#define NC (MOB_FAIL_NCLASS - 1)

static int classes(char **t, int at, uint64_t *fail)
{
    for (int c = 1; c < MOB_FAIL_NCLASS; c++) {
        int64_t v;
        if (num(t[at + c - 1], &v) < 0)
            return -1;
        fail[c] = (uint64_t)v;
    }
    return 0;
}

static struct hsec *hub_second(struct mob__hub *h, int sec)
{
    if (mob_grow(&h->secs, &h->cap, sec + 1, sizeof *h->secs, 64))
        return NULL;
    while (h->nsecs <= sec)
        memset(&h->secs[h->nsecs++], 0, sizeof *h->secs);
    return &h->secs[sec];
}

static int line_second(struct mob__hub *h, struct hrep *r, char **t, int n)
{
    int64_t sec, ok, fail, bots, sum, max;
    uint64_t f[MOB_FAIL_NCLASS] = {0};
    if (n < NC + 8 || num(t[1], &sec) < 0 || sec > MOB__MAX_SECONDS || num(t[2], &ok) < 0 ||
        num(t[3], &fail) < 0 || classes(t, 4, f) < 0 || num(t[NC + 4], &bots) < 0 ||
        num(t[NC + 5], &sum) < 0 || num(t[NC + 6], &max) < 0)
        return -1;
    struct mob__cbucket *cb;
    int ncb;
    if (buckets(t, n, NC + 7, &cb, &ncb) < 0)
        return -1;
    if (sec < r->nsec) { /* sent again after a reconnect: the hub has it */
        MOB_FREE(cb);
        return 0;
    }
    struct hsec *s = hub_second(h, (int)sec);
    int m = s ? mob__coarse_merge(&s->cb, s->ncb, cb, ncb) : -1;
    MOB_FREE(cb);
    if (m < 0)
        return -1;
    s->ncb = m;
    s->ok += (uint64_t)ok;
    s->fail += (uint64_t)fail;
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        s->f[c] += f[c];
    s->bots += bots;
    s->sum += (double)sum;
    if (max > s->max)
        s->max = max;
    r->nsec = (int)sec + 1;
    return 0;
}

/* The hub-wide index of a scenario or span name, added if new. */
static int global_name(struct mob__hub *h, int k, const char *name)
{
    for (int i = 0; i < h->nnames[k]; i++)
        if (strcmp(h->names[k][i], name) == 0)
            return i;
    if (h->nnames[k] >= MOB__MAX_NAMES)
        return -1;
    char **v = MOB_REALLOC(h->names[k], (size_t)(h->nnames[k] + 1) * sizeof *v);
    if (!v)
        return -1;
    h->names[k] = v;
    if (!(v[h->nnames[k]] = dup_str(name)))
        return -1;
    return h->nnames[k]++;
}

static int kind_of(const char *t)
{
    return strcmp(t, "s") == 0 ? 0 : strcmp(t, "p") == 0 ? 1 : -1;
}

static int line_name(struct mob__hub *h, struct hrep *r, char **t, int n)
{
    int k = n == 4 ? kind_of(t[1]) : -1;
    int64_t idx;
    if (k < 0 || num(t[2], &idx) < 0 || idx > r->nst[k] || idx >= MOB__MAX_NAMES ||
        unescape(t[3]) < 0)
        return -1;
    int g = global_name(h, k, t[3]);
    if (g < 0)
        return -1;
    if (idx < r->nst[k]) /* declared again on a new connection: it must be the same name */
        return r->st[k][idx].g == g ? 0 : -1;
    struct hstat *st = MOB_REALLOC(r->st[k], (size_t)(r->nst[k] + 1) * sizeof *st);
    if (!st)
        return -1;
    r->st[k] = st;
    memset(&st[r->nst[k]], 0, sizeof *st);
    st[r->nst[k]++].g = g;
    return 0;
}

static int line_cumul(struct hrep *r, char **t, int n)
{
    int k = n >= NC + 7 ? kind_of(t[1]) : -1;
    int64_t idx, ok, max, sum;
    uint64_t f[MOB_FAIL_NCLASS] = {0};
    if (k < 0 || num(t[2], &idx) < 0 || idx >= r->nst[k] || num(t[3], &ok) < 0 ||
        classes(t, 4, f) < 0 || num(t[NC + 4], &max) < 0 || num(t[NC + 5], &sum) < 0)
        return -1;
    struct mob__cbucket *cb;
    int ncb;
    if (buckets(t, n, NC + 6, &cb, &ncb) < 0)
        return -1;
    struct hstat *st = &r->st[k][idx];
    MOB_FREE(st->cb);
    st->cb = cb;
    st->ncb = ncb;
    st->ok = (uint64_t)ok;
    st->max = max;
    st->sum = (double)sum;
    memcpy(st->fail, f, sizeof f);
    return 0;
}

static int line_totals(struct hrep *r, char **t, int n)
{
    int64_t v[7] = {0}, nv = r->proto == 1 ? 6 : 7; /* version 1 has no CUTGRACEFUL */
    for (int i = 0; i < nv; i++)
        if (n != nv + 1 || num(t[i + 1], &v[i]) < 0)
            return -1;
    r->ok = (uint64_t)v[0];
    r->fail = (uint64_t)v[1];
    r->cancelled = (uint64_t)v[2];
    r->bots = v[3];
    r->elapsed = v[4];
    r->dropped = (uint64_t)v[5];
    r->cut_graceful = (uint64_t)v[6] < r->cancelled ? (uint64_t)v[6] : r->cancelled;
    r->last_ns = mob_clock_ns();
    return 0;
}

static int line_message(struct mob__hub *h, struct hrep *r, char **t, int n)
{
    int64_t ms, bot;
    if (n != 4 || num(t[1], &ms) < 0 || num(t[2], &bot) < 0 || unescape(t[3]) < 0)
        return -1;
    struct hmsg *m = &h->msgs[h->nmsg++ % MOB__HUB_MSGS];
    m->t_ms = ms;
    m->bot = bot;
    snprintf(m->src, sizeof m->src, "%s", r->name);
    snprintf(m->text, sizeof m->text, "%s", t[3]);
    return 0;
}

/* H: finds the reporter this connection resumes, or makes a new one. Version 1 (no gates),
 * 2, or the current one (which may send Z). */
static int line_hello(struct mob__hub *h, struct mob__hsrc *c, char **t, int n)
{
    int64_t proto, process, processes, fail = -1;
    if (n < 2 || num(t[1], &proto) < 0 || proto < 1 || proto > MOB__FEED_PROTO ||
        n != (proto == 1 ? 7 : 9) || unescape(t[2]) < 0 || unescape(t[3]) < 0 ||
        num(t[4], &process) < 0 || num(t[5], &processes) < 0 || unescape(t[6]) < 0)
        return -1;
    if (proto > 1 && ((strcmp(t[7], "-") != 0 && num(t[7], &fail) < 0) ||
                      (strcmp(t[8], "0") != 0 && strcmp(t[8], "1") != 0)))
        return -1;
    const char *token = strcmp(t[2], "-") == 0 ? "" : t[2];
    if (h->token && strcmp(token, h->token) != 0)
        return -1;
    struct hrep *r = h->reps;
    for (; r; r = r->next)
        if (strcmp(r->runid, t[3]) == 0 && r->process == process && strcmp(r->name, t[6]) == 0)
            break;
    if (r && r->conn && r->conn != c)
        return -1; /* the same reporter twice at once: one of them is lying */
    if (!r) {
        if (h->nreps >= MOB__MAX_REPORTERS || !(r = MOB_CALLOC(1, sizeof *r)))
            return -1;
        snprintf(r->runid, sizeof r->runid, "%s", t[3]);
        snprintf(r->name, sizeof r->name, "%s", t[6]);
        r->process = (int)process;
        r->processes = (int)processes;
        struct hrep **p = &h->reps;
        while (*p)
            p = &(*p)->next;
        *p = r;
        h->nreps++;
    }
    r->state = MOB__SRC_CONNECTED;
    r->proto = (int)proto;
    r->fail_threshold = fail;
    r->stop_on_failure = proto > 1 && t[8][0] == '1';
    r->conn = c;
    r->conns++;
    c->rep = r;
    return 0;
}

static int line(struct mob__hub *h, struct mob__hsrc *c, char *s)
{
    /* Fields are separated by exactly one space; an empty field is an error. */
    int n = 0;
    for (char *p = s;;) {
        if (n == MOB__MAX_TOKENS)
            return -1;
        h->tok[n++] = p;
        char *sp = strchr(p, ' ');
        if (!sp)
            break;
        *sp = 0;
        p = sp + 1;
        if (*p == 0 || *p == ' ')
            return -1;
    }
    char **t = h->tok;
    if (n == 0 || strlen(t[0]) != 1)
        return -1;
    if (t[0][0] == 'H')
        return c->rep ? -1 : line_hello(h, c, t, n);
    struct hrep *r = c->rep;
    if (!r)
        return -1;
    switch (t[0][0]) {
    case 'S': return line_second(h, r, t, n);
    case 'N': return line_name(h, r, t, n);
    case 'C': return line_cumul(r, t, n);
    case 'T': return line_totals(r, t, n);
    case 'M': return line_message(h, r, t, n);
    case 'Z':
        return r->proto >= 3 && n == 3 && num(t[1], &r->sz_tol) == 0 && r->sz_tol < 100000 &&
                       num(t[2], &r->sz_win) == 0 && r->sz_win >= 1 && r->sz_win <= 3600
                   ? 0
                   : -1;
    case 'E':
        if (n != 1)
            return -1;
        r->state = MOB__SRC_DONE;
        return 0;
    case 'R': {
        int64_t len;
        if (n != 2 || num(t[1], &len) < 0 || (size_t)len > MOB__REPORT_MAX || len == 0)
            return -1;
        c->want = (size_t)len;
        return 0;
    }
    default: return -1;
    }
}

/* A final report has arrived whole in c->in[0..want). */
static int final_report(struct mob__hsrc *c)
{
    mob_result *res;
    char keep = c->in[c->want];
    c->in[c->want] = 0; /* the JSON reader needs a NUL after the text */
    int rc = mob__result_parse_json(c->in, c->want, &res);
    c->in[c->want] = keep;
    if (rc < 0)
        return -1;
    mob_result_free(c->rep->final);
    c->rep->final = res;
    return 0;
}

static int refuse(struct mob__hsrc *c)
{
    if (c->rep) {
        c->rep->state = MOB__SRC_REFUSED;
        if (c->rep->conn == c)
            c->rep->conn = NULL;
        c->rep = NULL;
    }
    c->refused = 1;
    return -EPROTO;
}

int mob__hub_input(struct mob__hub *h, struct mob__hsrc *c, const char *data, size_t len)
{
    if (c->refused)
        return -EPROTO;
    if (c->incap - c->inlen < len + 1) {
        size_t cap = c->incap ? c->incap : 4096;
        while (cap - c->inlen < len + 1)
            cap *= 2;
        if (cap > MOB__REPORT_MAX + MOB__LINE_MAX)
            return refuse(c);
        char *b = MOB_REALLOC(c->in, cap);
        if (!b)
            return refuse(c);
        c->in = b;
        c->incap = cap;
    }
    memcpy(c->in + c->inlen, data, len);
    c->inlen += len;
    size_t at = 0;
    for (;;) {
        if (c->want) {
            if (c->inlen - at < c->want + 1)
                break;
            memmove(c->in, c->in + at, c->inlen - at);
            c->inlen -= at;
            at = 0;
            if (final_report(c) < 0)
                return refuse(c);
            at = c->want;
            c->want = 0;
            continue;
        }
        char *nl = memchr(c->in + at, '\n', c->inlen - at);
        if (!nl) {
            if (c->inlen - at > MOB__LINE_MAX)
                return refuse(c);
            break;
        }
        *nl = 0;
        if (memchr(c->in + at, 0, (size_t)(nl - (c->in + at))) ||
            line(h, c, c->in + at) < 0)
            return refuse(c);
        at = (size_t)(nl - c->in) + 1;
    }
    memmove(c->in, c->in + at, c->inlen - at);
    c->inlen -= at;
    return 0;
}

const mob_result *mob__hub_final(struct mob__hub *h)
{
    mob_result_free(h->final);
    h->final = NULL;
    for (struct hrep *r = h->reps; r; r = r->next) {
        if (!r->final)
            continue;
        if (!h->final) {
            /* A copy through merge: the hub keeps each reporter's report as it came. */
            h->final = mob__result_new(r->final->suite, r->final->target, NULL, 0);
            if (!h->final)
                return NULL;
        }
        if (mob_result_merge(h->final, r->final) < 0)
            return h->final;
    }
    return h->final;
}
