/* SPDX-License-Identifier: MIT */
/*
 * watch.h: the live views of a run, shared by the files that make them.
 *
 *   feed.c      a process's numbers as lines of the report stream (the reporter's side)
 *   hub.c       many streams summed into one live state (the viewer's side)
 *   hub_out.c   that state as the page's JSON, Prometheus text, or a mob_result
 *   dash.c      the HTTP server: the page, its WebSocket, /metrics, /report.json
 *   dash_page.c the page itself
 *   watch.c     what a running process starts: dashboard, reporters, statsd, CSV
 *   view.c      `mob view`: a hub and a dashboard that reporters connect to
 *
 * The report stream is text, one record per line, fields separated by one space, names and
 * messages percent-escaped (no space, newline or '%' inside a field):
 *
 *   H 2 TOKEN RUNID PROCESS PROCESSES NAME FAIL STOP    hello (TOKEN "-" for none; FAIL
 *                                               and STOP the reporter's -f N ("-": none) and
 *                                               -x (0 or 1), for the viewer's exit status)
 *   Z TOLERANCE WINDOW                          (version 3, after H) the reporter runs --sizing:
 *                                               its tolerance in thousandths of a percent and
 *                                               its window in seconds
 *   N s|p INDEX NAME                            names scenario or span INDEX
 *   S SEC OK FAIL F1..F7 BOTS SUMNS MAXNS NCB [LOWEST COUNT]*NCB    one second of the run
 *   C s|p INDEX OK F1..F7 MAXNS SUMNS NCB [LOWEST COUNT]*NCB       a scenario/span so far
 *   T OK FAIL CANCELLED BOTS ELAPSEDNS MSGDROPPED CUTGRACEFUL      the totals so far
 *   M UNIXMS BOT TEXT                           an info message from a bot
 *   R LEN                                       the final JSON report: LEN bytes follow
 *   E                                           the end
 *
 * Seconds are numbered from the run's start; a reporter that reconnects sends its seconds
 * again from 0 and the hub skips those it has (so a reconnect neither loses nor doubles one).
 * F1..F7 are failures by class (connect ... other) within the second or, in C, so far.
 * CUTGRACEFUL counts the cut runs that ended themselves at a graceful end (not held against
 * -f). A reporter says version 3 only when it sends Z (else 2, which older viewers take). A
 * hub also takes version 1 streams, whose hello lacks FAIL STOP and whose T lacks CUTGRACEFUL
 * (read as none); other versions are refused at their hello.
 */
#ifndef MOB_RUN_WATCH_H
#define MOB_RUN_WATCH_H

#include "run.h"

#define MOB__FEED_PROTO 3
#define MOB__LINE_MAX (256 * 1024)          /* longest line a hub accepts */

/* ---- hub_out.c: strings ---------------------------------------------------------------- */

/* A growable output string; out of memory it keeps what it has and sets failed. */
struct mob__str {
    char *s;
    size_t len, cap;
    int failed;
};
void mob__str_printf(struct mob__str *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void mob__str_append(struct mob__str *b, const void *data, size_t n);
void mob__str_json(struct mob__str *b, const char *s);
void mob__str_free(struct mob__str *b);

/* ---- feed.c --------------------------------------------------------------------------- */

/* One destination's position in the stream, and the bytes it has yet to send. */
struct mob__feed {
    struct mob__str out;    /* failed: out of memory, the stream is incomplete */
    int secs_sent;          /* seconds already sent on this connection */
    int names_s, names_p;   /* scenario and span names declared on this connection */
    uint64_t msg_seq;       /* messages of the ring already sent */
};

/* Starts a new connection: everything but the messages will be sent again. */
void mob__feed_restart(struct mob__feed *f);
void mob__feed_free(struct mob__feed *f);
/* gates: the options whose -f and -x the viewer applies to the merged run (NULL: none). */
void mob__feed_hello(struct mob__feed *f, const char *token, const char *runid, int process,
                     int processes, const char *name, const mob_options *gates);
/* New seconds, names, every scenario and span so far, the totals, new messages. */
void mob__feed_update(struct mob__feed *f, const mob_result *r, const struct mob__info_log *m,
                      int bots);
/* The end mark alone. */
void mob__feed_end(struct mob__feed *f);
/* The final JSON report and the end mark. */
void mob__feed_final(struct mob__feed *f, const mob_result *r);

/* Percent-escapes s into out (cap bytes, NUL-terminated, cut if too long). */
void mob__feed_escape(char *out, size_t cap, const char *s);

/* ---- hub.c ---------------------------------------------------------------------------- */

struct mob__hub;
struct mob__hsrc;

/* Reporter states, as the page lists them:
 *   connected --E--> done;  connected --EOF--> lost --H again--> connected;
 *   connected --bad line or wrong token--> refused (its numbers so far are kept). */
enum { MOB__SRC_CONNECTED, MOB__SRC_DONE, MOB__SRC_LOST, MOB__SRC_REFUSED };

/* token: what every reporter's hello must carry (NULL: nothing). */
struct mob__hub *mob__hub_new(const char *title, const char *token);
void mob__hub_free(struct mob__hub *h);
/* A new connection. Returns NULL when out of memory. */
struct mob__hsrc *mob__hub_connect(struct mob__hub *h, const char *peer);
/* Bytes read from a connection. Returns 0, or -EPROTO when the connection must be dropped
 * (garbage, a wrong token, a line too long): the source is then refused. */
int mob__hub_input(struct mob__hub *h, struct mob__hsrc *s, const char *data, size_t len);
/* The connection ended (EOF or error). */
void mob__hub_disconnect(struct mob__hub *h, struct mob__hsrc *s);
/* Number of reporters that said hello, and how many of them ended with E. */
void mob__hub_counts(const struct mob__hub *h, int *sources, int *done);
/* The merged final reports of the reporters that sent one (NULL if none). Borrowed. */
const mob_result *mob__hub_final(struct mob__hub *h);
/* Seconds since the connected reporter heard from least recently sent its totals (each sends
 * them once a second, so a hub that keeps up stays near or under 1). */
double mob__hub_lag(const struct mob__hub *h);
/* Names the reporters that sent no final report, one line each. */
void mob__hub_missing_finals(const struct mob__hub *h, FILE *f);
/* Closes the hub's current second: called once a second by its owner. */
void mob__hub_tick(struct mob__hub *h);
/* The gates the reporters run with, into o: the lowest -f N of those that set one (else -1)
 * and -x if any set it. */
void mob__hub_gates(const struct mob__hub *h, mob_options *o);
/* Marks the run over (the page says so). */
void mob__hub_set_done(struct mob__hub *h);
int mob__hub_is_done(const struct mob__hub *h);
/* How many times mob__hub_tick was called: a page is up to date when it has sent this one. */
uint64_t mob__hub_ticks(const struct mob__hub *h);

/* ---- hub_out.c ------------------------------------------------------------------------ */


/* The page's message: the state now, with the seconds from `from` on. */
void mob__hub_state_json(struct mob__hub *h, struct mob__str *b, int from);
/* Seconds the hub has (a client's next `from`). */
int mob__hub_nsecs(const struct mob__hub *h);
/* The summed window of the reporters that run --sizing, over the seconds every connected one
 * has sent: its runs in *ok and *fail and the live line's words in text. Returns 0 when none
 * runs --sizing. O(window). */
int mob__hub_sizing(const struct mob__hub *h, uint64_t *ok, uint64_t *fail, char *text,
                    size_t cap);
/* Prometheus text exposition of the state. */
void mob__hub_metrics(struct mob__hub *h, struct mob__str *b);
/* The state as a result (scenario latencies in coarse buckets); NULL when out of memory. */
mob_result *mob__hub_result(struct mob__hub *h);

/* ---- dash.c --------------------------------------------------------------------------- */

struct mob__dash;

/* Starts serving on host:port (port 0: any) in this loop: the page, its WebSocket, /metrics
 * and /report.json from the hub. With accept_reporters, connections that start with "H "
 * are reporters feeding the hub (mob view). token: asked of every request and reporter
 * (NULL: none). report_fn writes the current report (NULL: from the hub). Returns 0 or
 * -errno; *out gets the server. */
int mob__dash_start(mob_loop *loop, struct mob__hub *hub, const char *host, int port,
                    const char *token, int accept_reporters,
                    void (*report_fn)(FILE *f, const void *ud), const void *report_ud,
                    struct mob__dash **out);
/* The port it listens on. */
int mob__dash_port(const struct mob__dash *d);
/* From a bot of the same loop: waits until every open page has been sent the hub's latest
 * tick, or the deadline passes (so the final state reaches the pages). */
void mob__dash_flush(struct mob__dash *d, mob_bot *self, int64_t deadline);
/* From a bot of the same loop: stops the listener and every connection (cancels and joins
 * their bots) and frees the server. */
void mob__dash_stop(struct mob__dash *d, mob_bot *self);

/* ---- dash_page.c ---------------------------------------------------------------------- */

extern const char mob__dash_page[];

/* ---- statsd.c ------------------------------------------------------------------------- */

struct mob__statsd;
/* url: "udp://HOST:PORT". Returns 0, -EINVAL or -errno. */
int mob__statsd_new(struct mob__statsd **out, const char *url);
/* Sends what each scenario did since the last call. */
void mob__statsd_second(struct mob__statsd *s, const mob_result *r);
void mob__statsd_free(struct mob__statsd *s);

/* ---- addresses ------------------------------------------------------------------------ */

/* "[HOST:]PORT" (HOST defaults to 127.0.0.1) into host (cap bytes) and port. 0 or -EINVAL. */
int mob__parse_hostport(const char *s, char *host, size_t cap, int *port);
/* Nonzero when host is a loopback address (127.x, ::1, localhost). */
int mob__host_is_loopback(const char *host);

#endif /* MOB_RUN_WATCH_H */
