/* SPDX-License-Identifier: MIT */
/*
 * events.c: molotov's session fixtures and events. A bot's session is made just before its
 * first scenario run (session_setup) and ended at the bot's end, before bot_teardown
 * (session_teardown); mob_run.h says what a session is and what a failure of each does,
 * mob_events.h what each event carries.
 * Events go to the suite's listeners on the fiber of the bot they are about: scenario start,
 * success and failure (sent by the runner), current workers (the process's count of live
 * bots, as molotov sends it: at the start, then once a second, and 0 at the end, so a ramp of
 * 10,000 bots is a few events, not 10,000), HTTP requests and responses (an observer the HTTP
 * client calls, set on a bot's connection only when something listens), and custom events.
 * A failing listener is counted, reported once per listener and event kind, and otherwise
 * ignored. -vv is molotov's StdoutListener, in verbose.c, fed by the same observer.
 *
 * The HTTP events carry the request as sent and the response's head as the client parsed
 * it, by pointer: free. Response bodies cost a copy (the client keeps reading into one
 * buffer), so they are kept only up to what a listener asks (mob_listener.body_size) or -vv
 * shows, in one buffer per bot made when its first connection is observed.
 *
 * With no listener and no -vv, the runner's calls stop at one test of ev->n (run.h's inline
 * wrappers) and no connection has an observer.
 *
 * Read next: src/run/runner.c (where the calls are), src/proto/http_client.c (what calls the
 * observer), src/run/verbose.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mob_http.h"
#include "run.h"

static const char *const kind_names[MOB_EV_NKINDS] = {
    "sending_request", "response_received", "scenario_start", "scenario_success",
    "scenario_failure", "current_workers", "custom",
};

void mob__events_init(struct mob__events *ev, const mob_suite *s, const mob_options *o,
                      mob_result *res)
{
    memset(ev, 0, sizeof *ev);
    ev->suite = s;
    ev->o = o;
    ev->res = res;
    ev->vv = o->verbose >= 2 && !o->quiet;
    ev->body_size = ev->vv ? MOB__VV_BODY : 0;
    for (const mob_listener *l = s->listeners; l && l->fn; l++) {
        ev->n++;
        if (l->body_size > ev->body_size)
            ev->body_size = l->body_size;
    }
}

void mob__events_finish(struct mob__events *ev)
{
    if (ev->vv)
        mob__vv_finish(ev);
}

void mob__events_bot_end(struct mob__wstate *ws)
{
    MOB_FREE(ws->body);
    ws->body = NULL;
}

/* The first failure of listener i on this kind of event is said once, with its reason. */
static void listener_failed(struct mob__events *ev, int i, const mob_run_event *e, int rc)
{
    ev->res->t.listener_failed++;
    uint64_t bit = (uint64_t)1 << (i < 63 ? i : 63); /* listeners past the 64th share one */
    if ((ev->told[e->kind] & bit) || ev->o->quiet)
        return;
    ev->told[e->kind] |= bit;
    const mob_listener *l = &ev->suite->listeners[i];
    char who[64], why[32];
    if (l->name)
        snprintf(who, sizeof who, "%s", l->name);
    else
        snprintf(who, sizeof who, "listener %d", i);
    snprintf(why, sizeof why, "it returned %d", rc);
    fprintf(stderr, "mob: %s failed on %s%s: %s; ignored (said once per listener and event "
            "kind)\n", who, e->kind == MOB_EV_CUSTOM ? "custom event " : "", e->name,
            rc < 0 ? mob_strerror(rc) : why);
}

/* Calls every listener with e, in the table's order. Returns how many were called. */
static int emit(struct mob__events *ev, mob_worker *w, mob_run_event *e)
{
    if (!e->name)
        e->name = kind_names[e->kind];
    for (int i = 0; i < ev->n; i++) {
        const mob_listener *l = &ev->suite->listeners[i];
        int rc = l->fn(w, e, l->ud);
        if (rc != 0)
            listener_failed(ev, i, e, rc);
    }
    return ev->n;
}

void mob__events_scenario(struct mob__events *ev, mob_worker *w, const char *scenario,
                          int kind, int cls, int rc)
{
    mob_run_event e = {.kind = kind, .scenario = scenario, .fail = cls};
    if (kind == MOB_EV_SCENARIO_FAILURE)
        e.reason = w->reason ? w->reason : rc < 0 ? mob_errname(rc) : NULL;
    emit(ev, w, &e);
}

void mob__events_workers_now(struct mob__events *ev, int n)
{
    mob_run_event e = {.kind = MOB_EV_CURRENT_WORKERS, .workers = n};
    emit(ev, NULL, &e);
}

int mob_run_event_send(mob_worker *w, const char *name, const void *data)
{
    if (!name)
        return -EINVAL;
    struct mob__wstate *ws = w ? w->internal : NULL;
    if (!ws || !ws->ev || ws->ev->n == 0)
        return 0;
    mob_run_event e = {.kind = MOB_EV_CUSTOM, .name = name, .data = data};
    return emit(ws->ev, w, &e);
}

/* Why a hook failed, in words: the reason it gave, its error, or that it returned nonzero. */
static const char *hook_why(const mob_worker *w, int rc)
{
    if (w->reason)
        return w->reason;
    return rc < 0 ? mob_strerror(rc) : "it returned nonzero";
}

int mob__session_make(struct mob__events *ev, mob_worker *w)
{
    struct mob__wstate *ws = w->internal;
    w->reason = NULL; /* the hook's own, if it gives one */
    int rc = ev->suite->session_setup ? ev->suite->session_setup(w) : 0;
    if (rc == 0) {
        ws->session = 1;
        return 0;
    }
    /* The end of the run cancels a bot waiting in its session setup: not a failure of the
     * setup (molotov's cancellation is no Exception either), and nothing to stop. */
    if (mob_cancelled(w->bot) || mob_worker_ending(w))
        return -ECANCELED;
    mob_totals *t = &ev->res->t;
    t->session_setup_failed++;
    if (!t->session_setup_failed_rc) {
        t->session_setup_failed_rc = rc;
        if (!ev->o->quiet)
            fprintf(stderr, "mob: bot %d: session setup failed: %s; the run stops\n", w->id,
                    hook_why(w, rc));
    }
    w->reason = NULL;
    return rc < 0 ? rc : -EINVAL;
}

void mob__session_end(struct mob__events *ev, mob_worker *w)
{
    struct mob__wstate *ws = w->internal;
    if (!ws->session)
        return;
    ws->session = 0;
    w->reason = NULL; /* not a reason a cut run left */
    int rc = ev->suite->session_teardown ? ev->suite->session_teardown(w) : 0;
    if (rc == 0)
        return;
    /* Reported and ignored, as molotov prints teardown_session's error and goes on. */
    if (!ev->res->t.session_teardown_failed++ && !ev->o->quiet)
        fprintf(stderr, "mob: bot %d: session teardown failed: %s (counted, ignored)\n", w->id,
                hook_why(w, rc));
    w->reason = NULL;
}

/* The request's Host field (the builder always writes one; else "") and where its head ends:
 * its body, NULL when the head has no end (a request not from the builder). */
static void request_parts(const char *p, size_t n, mob_run_event *e)
{
    e->host = "";
    /* Line by line (memchr: the head is scanned once, a word at a time). */
    for (const char *q = memchr(p, '\n', n); q; q = memchr(q + 1, '\n', n - (size_t)(q + 1 - p))) {
        size_t i = (size_t)(q - p);
        if (i + 2 >= n)
            return;
        if (q[1] == '\r' && q[2] == '\n') {
            e->request_body = q + 3;
            e->request_body_len = n - (i + 3);
            return;
        }
        if (e->host_len || i + 6 >= n || strncasecmp(q + 1, "host:", 5) != 0)
            continue;
        size_t a = i + 6, b;
        while (a < n && (p[a] == ' ' || p[a] == '\t'))
            a++;
        for (b = a; b < n && p[b] != '\r' && p[b] != '\n'; b++)
            ;
        e->host = p + a;
        e->host_len = b - a;
    }
}

/* The HTTP client's observer (mob_http_observer): the exchange as an event. */
static void observe(mob_bot *self, const struct mob_http_conn *c, const mob_http_request *req,
                    const mob_http_result *res, void *ud)
{
    (void)self;
    mob_worker *w = ud;
    struct mob__wstate *ws = w->internal;
    mob_run_event e = {.kind = res ? MOB_EV_RESPONSE_RECEIVED : MOB_EV_SENDING_REQUEST};
    /* The request line, "METHOD TARGET HTTP/1.1": prebuilt, so always well formed. */
    const char *p = req->data, *end = req->data + req->len;
    const char *sp = memchr(p, ' ', req->len);
    const char *sp2 = sp ? memchr(sp + 1, ' ', (size_t)(end - sp - 1)) : NULL;
    e.method = p;
    e.method_len = sp ? (size_t)(sp - p) : 0;
    e.target = sp ? sp + 1 : p;
    e.target_len = sp2 ? (size_t)(sp2 - sp - 1) : 0;
    e.request = req->data;
    e.request_len = req->len;
    request_parts(req->data, req->len, &e);
    e.scheme = c->tls.ctx ? "https" : "http";
    if (res) {
        e.status = res->status;
        if (res->resp) {
            e.minor_version = res->resp->f.minor_version;
            e.status_reason = res->resp->reason;
            e.status_reason_len = res->resp->reason_len;
            e.headers = res->resp->f.headers;
            e.nheaders = (int)res->resp->f.num_headers;
        }
        e.body_len = res->body_len;
        if (c->body_buf) {
            e.body = c->body_buf;
            e.body_stored = res->body_stored;
        }
        e.latency_ns = res->end_ns - res->start_ns;
    }
    if (ws->ev->vv)
        mob__vv_exchange(ws->ev, ws, w, &e);
    if (ws->ev->n)
        emit(ws->ev, w, &e);
}

void mob_worker_observe_http(mob_worker *w, struct mob_http_conn *c)
{
    struct mob__wstate *ws = w ? w->internal : NULL;
    if (!c || !ws || !ws->ev || (ws->ev->n == 0 && !ws->ev->vv))
        return;
    c->observe = observe;
    c->observe_ud = w;
    /* A body buffer the caller set is kept (the events then see what it keeps). */
    size_t want = ws->ev->body_size;
    if (want && !c->body_buf) {
        if (!ws->body)
            ws->body = MOB_MALLOC(want);
        c->body_buf = ws->body; /* out of memory: NULL, and the events carry no body */
        c->body_cap = ws->body ? want : 0;
    }
}
