/* SPDX-License-Identifier: MIT */
/*
 * mob_events.h: molotov's events() for a mob_suite (mob_run.h): listeners the runner calls
 * with what happens in a run (scenario starts, successes and failures, the live bot count,
 * HTTP requests and responses, custom events), and the call that lets an HTTP connection's
 * exchanges reach them. The session fixtures (session_setup, session_teardown) are mob_suite's
 * own, in mob_run.h.
 *
 * Read next: src/run/events.c, then tools/examples/11-events.c.
 */
#ifndef MOB_EVENTS_H
#define MOB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "mob_run.h"

struct mob_http_header;

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Events and listeners                                                                     */
/* ======================================================================================== */

/* What an event is about. (Not mob_event, the runtime's wait-for-a-flag of mob.h.) */
enum mob_run_event_kind {
    MOB_EV_SENDING_REQUEST,   /* an HTTP request is about to be sent (connect included) */
    MOB_EV_RESPONSE_RECEIVED, /* its response came back whole (any status) */
    MOB_EV_SCENARIO_START,    /* a scenario is about to run */
    MOB_EV_SCENARIO_SUCCESS,  /* it returned 0 */
    MOB_EV_SCENARIO_FAILURE,  /* it failed, or was cut by the end of the run (fail is then
                                 MOB_FAIL_CANCELED): every start has one success or failure */
    MOB_EV_CURRENT_WORKERS,   /* the number of live bots of this process, as molotov says it:
                                 at the start, once a second, and 0 once every bot ended */
    MOB_EV_CUSTOM,            /* sent by a scenario or hook with mob_run_event_send */
    MOB_EV_NKINDS
};

/* One event. Every pointer is borrowed: valid only during the listener's call. */
typedef struct mob_run_event {
    int kind;                 /* enum mob_run_event_kind */
    const char *name;         /* "sending_request", "scenario_start", ...; custom: its name */
    const char *scenario;     /* scenario events: its name in reports (KIND/NAME in kinds) */
    int fail;                 /* scenario_failure: the class (enum mob_fail) */
    const char *reason;       /* scenario_failure: the scenario's reason (mob_worker.reason),
                                 else the error's name (-ECONNREFUSED...), or NULL */
    int workers;              /* current_workers: live bots in this process */
    /* HTTP: the request's method, target and Host field (pointing into the request; the URL
     * is scheme://host + target), its length; response_received also: status, header
     * fields, body bytes, and the exchange's time. */
    const char *method, *target, *host;
    size_t method_len, target_len, host_len, request_len;
    const char *scheme;       /* "http" or "https" */
    int status;
    int nheaders;
    uint64_t body_len;
    int64_t latency_ns;
    const void *data;         /* custom: what the sender passed */
    /* HTTP: the request as sent, request_len bytes (its line, header fields, a blank line,
     * its body), and its body (request_body_len bytes, 0 for none; NULL when the request
     * has no blank line). */
    const char *request;
    const char *request_body;
    size_t request_body_len;
    /* response_received: the status line's version (the 1 of HTTP/1.1) and reason, and the
     * nheaders header fields, as the client parsed them. */
    int minor_version;
    const char *status_reason;
    size_t status_reason_len;
    const struct mob_http_header *headers; /* mob_http.h */
    /* response_received: the first body_stored bytes of the body (decoded when chunked):
     * kept only when a listener asks (mob_listener.body_size), or for -vv, or when the
     * connection's owner keeps bodies (mob_http_conn.body_buf); else NULL. */
    const void *body;
    size_t body_stored;
} mob_run_event;

/*
 * A listener: called for every event of the run, in the order of the suite's table, on the
 * fiber of the bot the event is about (w; NULL for current_workers, which the runner sends).
 * It runs inside the bot's work, so it must not block (no I/O wait, no sleep): a slow
 * listener slows the load and counts in the latency. Returns 0, or nonzero for a failure:
 * counted (mob_totals.listener_failed), reported on stderr once per listener and event kind
 * in each process, with its reason (-errno: its message; else the value), and otherwise
 * ignored: the run and its exit code go on as if it had succeeded (molotov's rule). With -p,
 * each process calls the listeners of its own bots (current_workers counts its own).
 */
typedef int (*mob_listener_fn)(mob_worker *w, const mob_run_event *ev, void *ud);

typedef struct mob_listener {
    mob_listener_fn fn;       /* NULL ends a table */
    void *ud;
    const char *name;         /* in failure reports; NULL: "listener N" (its index) */
    size_t body_size;         /* response_received: keep the first body_size bytes of each
                                 body as ev->body (0: none, and nothing is copied). A bot
                                 keeps one buffer of the largest size any listener asks. */
} mob_listener;

/*
 * Sends a custom event named `name` with `data` to the suite's listeners, now, on this bot's
 * fiber (w must be the calling bot's worker). Returns how many listeners were called (0 with
 * none), or -EINVAL for a NULL name.
 */
int mob_run_event_send(mob_worker *w, const char *name, const void *data);

/*
 * Lets the events of an HTTP connection (src/proto/http_client.c) reach the listeners of w's
 * run as sending_request and response_received, and -vv's printer. The built-in http(s)://
 * suite calls it from bot_setup; a suite of its own that uses mob_http_conn may too. Sets
 * nothing when nothing listens, so the connection pays nothing. When a listener asks for
 * bodies (mob_listener.body_size) or -vv is on, and c has no body_buf of its caller's, it
 * also sets c->body_buf to a buffer of the bot's, valid until the bot ends (after its
 * bot_teardown). `c` is a mob_http_conn (mob_http.h).
 */
struct mob_http_conn;
void mob_worker_observe_http(mob_worker *w, struct mob_http_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* MOB_EVENTS_H */
