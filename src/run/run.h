/* SPDX-License-Identifier: MIT */
/*
 * run.h: what the files of src/run share: the result struct (stats.c), the sorted scenario
 * table and the random stream (scenario.c), the one-process runner (runner.c), processes
 * (procs.c), the live line and signals (live.c) and the JSON reader (json.c).
 */
#ifndef MOB_RUN_INTERNAL_H
#define MOB_RUN_INTERNAL_H

#include <signal.h>

#include "mob_base.h"
#include "mob_events.h"
#include "mob_run.h"

/* ---- stats.c -------------------------------------------------------------------------- */

/* One coarse latency bucket of a second (hist.c): its lowest value and its count. */
struct mob__cbucket {
    int64_t lowest;
    uint64_t count;
};

struct mob__second {
    uint64_t ok, fail;
    double sum_ns;
    int64_t p50, p99, max;
    /* The second's successful latencies in coarse buckets, ascending, so that merging adds
     * distributions and p50/p99 stay true. ncb -1: unknown (a report written before
     * timelines kept them); merging such a second falls back to the worst p50/p99 of the two.
     * Owned by the result. */
    struct mob__cbucket *cb;
    int ncb;
    /* The second's failures by class, when byclass is 1 (they add up to fail). byclass 0:
     * unknown, a report written before timelines kept them (format version 1), or a merge
     * with one; the second then has only its total. */
    uint64_t f[MOB_FAIL_NCLASS];
    int byclass;
    /* Bots alive when the second closed, over every process merged in (a merged sizing
     * verdict names them); -1: unknown, a report written before timelines kept them. */
    int bots;
};

/* hist.c: a histogram in coarse buckets (returns how many, or -ENOMEM; *out NULL if none);
 * the lowest value of ns's coarse bucket; two ascending bucket lists added into *dst
 * (returns the new length, or -ENOMEM); percentiles of a bucket list, capped at max. */
int mob__hist_coarse(const mob_hist *h, struct mob__cbucket **out);
int64_t mob__coarse_lowest(int64_t ns);
int mob__coarse_merge(struct mob__cbucket **dst, int nd, const struct mob__cbucket *src, int ns);
void mob__coarse_percentiles(const struct mob__cbucket *b, int n, int64_t max, const double *p,
                             int64_t *out, int np);

struct mob__sstats {
    char *name;
    uint64_t ok;
    uint64_t fail[MOB_FAIL_NCLASS];
    uint64_t cut;              /* runs cut short by the end of the run */
    mob_hist *hist;
    uint64_t cur_ok, cur_fail; /* the current second (runner only) */
    /* Runs by the status they reported (mob_worker_status), status - MOB__STATUS_MIN, or
     * NULL until one did; and how many of each class (0: ok) reported one. Runner only, for
     * statsd: not in the reports. */
    uint64_t *bystatus;
    uint64_t statused[MOB_FAIL_NCLASS];
    uint64_t *tl;              /* per second: ok, failures (2 values a second) */
    int ntl, tl_cap;
};

/* A run id: "r:" and 32 hex digits (random), or "h:" and 16 (a hash of a report that had
 * none), NUL included. */
#define MOB__RUN_ID_LEN 40

#define MOB__SPAN_DEPTH 16
#define MOB__MSG_RING 64      /* latest messages kept for the live views */
#define MOB__MSG_LEN 200
#define MOB__MSG_PER_S 20     /* messages accepted per second per process */

struct mob__info_entry {
    int64_t t_ms;             /* wall clock when sent: ms since the epoch */
    int bot;
    char text[MOB__MSG_LEN];
};

struct mob_result {
    char *suite, *target;
    char run_id[MOB__RUN_ID_LEN];  /* this report's own id */
    char (*runs)[MOB__RUN_ID_LEN]; /* the single runs it adds up (itself, or what was merged) */
    int nruns;
    char *lost;                /* one line per -p child whose results are lost, or NULL */
    int nscen;
    struct mob__sstats *scen;
    int nspans;
    struct mob__sstats *spans; /* named spans the bots marked (span.c): no timelines */
    mob_hist *all;             /* every scenario, successful runs */
    mob_hist *sec_hist;        /* the current second (runner only) */
    uint64_t sec_ok, sec_fail; /* the current second (runner only) */
    uint64_t sec_f[MOB_FAIL_NCLASS];
    double sec_sum;
    struct mob__second *secs;
    int nsecs, secs_cap;
    mob_totals t;
    int bots;                  /* per process, as asked */
    char *reason[MOB_FAIL_NCLASS]; /* the first reason given for each class, or NULL */
    struct mob__th *th;        /* the thresholds evaluated at the end (threshold.c), nth */
    int nth;
    char threshold_stop[96];   /* the threshold that stopped the run early, or "" */
    mob_sizing_result sizing;  /* --sizing's verdict (sizing.c); asked 0 otherwise */
    int sizing_basis;          /* how it was judged: MOB__SIZING_* */
    int64_t duration_ns;
    double rate;
    /* The bots' info messages (mob_info): the latest MOB__MSG_RING by time, oldest first, and
     * how many more there were (refused by the rate limit, or older than those kept). */
    struct mob__info_entry msgs[MOB__MSG_RING];
    int nmsgs;
    uint64_t msgs_dropped;
    struct mob__kstat *kinds;  /* the suite's kinds of bot (kinds.c), nkinds; none: 0 */
    int nkinds;
};

/* A result with these scenario names (copied), or NULL. */
mob_result *mob__result_new(const char *suite, const char *target, const char *const *names,
                            int n);
/* A fresh random run id into out. */
void mob__run_id_new(char out[MOB__RUN_ID_LEN]);
/* Gives r the id and makes it the single run r adds up. 0 or -ENOMEM. */
int mob__result_set_run(mob_result *r, const char *id);
/* Finds or adds a scenario by name; returns its index or -ENOMEM. */
int mob__result_scenario(mob_result *r, const char *name);
/* Finds or adds a span by name; returns its index or -ENOMEM. */
int mob__result_span(mob_result *r, const char *name);
/* Counts one exit of span i: class 0 with its duration, or a failure class. */
void mob__result_span_record(mob_result *r, int i, int cls, int64_t ns);
/* Counts one finished run of scenario i: class 0 with its latency, or a failure class. */
void mob__result_record(mob_result *r, int i, int cls, int64_t latency_ns);
#define MOB__STATUS_MIN 100
#define MOB__STATUS_MAX 599
/* Counts one finished run of scenario i of class cls under the status it reported (0: none). */
void mob__result_status(mob_result *r, int i, int cls, int status);
/* Keeps `why` as the reason of class cls unless one is kept already. */
void mob__result_reason(mob_result *r, int cls, const char *why);

/* ---- threshold.c ---------------------------------------------------------------------- */

/* One threshold's verdict, as the result keeps it. */
struct mob__th {
    char expr[96];
    double value; /* NAN: no data */
    int pass;
    int metric, percent;
};

/* Evaluates o's thresholds on r and keeps the verdicts in r. 0 or -ENOMEM. */
int mob__thresholds_apply(mob_result *r, const mob_options *o);
/* The first threshold to stop on (abort, or --threshold-abort) that r has crossed after
 * elapsed_ns, or NULL. */
const char *mob__thresholds_crossed(const mob_result *r, const mob_options *o,
                                    int64_t elapsed_ns);
/* A verdict's value in its limit's unit ("1.23ms", "0.500%", "5012.3/s", "no data"). */
void mob__threshold_format(const struct mob__th *t, char *buf, size_t cap);
/* Closes the current second of the timeline. */
void mob__result_tick(mob_result *r);
int mob__result_add_second(mob_result *r, const struct mob__second *s);
/* Appends (or, at an existing second, adds) one second of scenario i's timeline. */
int mob__scenario_add_second(mob_result *r, int i, int sec, uint64_t ok, uint64_t fail);

/* ---- scenario.c ----------------------------------------------------------------------- */

/* The suite's enabled scenarios sorted by name, with cumulative weights. */
struct mob__table {
    const mob_scenario **s;
    int n;
    uint64_t *cum;   /* cum[i] = weight[0] + ... + weight[i] */
    uint64_t total;
};

/* From a scenario table ended by a NULL name; with single, only the scenario of that name.
 * 0, -ENOENT when no scenario is enabled, or -ENOMEM. */
int mob__table_build(struct mob__table *t, const mob_scenario *scenarios, const char *single);
void mob__table_free(struct mob__table *t);
int mob__table_find(const struct mob__table *t, const char *name);
/* Weighted pick: uniform in [0, total), first cumulative weight above it (molotov's walk). */
int mob__table_pick(const struct mob__table *t, mob_worker *w);
void mob__rng_seed(uint64_t rng[4], uint64_t seed, uint64_t stream);

/* ---- kinds.c ------------------------------------------------------------------------ */

/* One kind of bot as a run uses it. A suite without kinds is one kind named NULL, made of the
 * suite's own scenarios and hooks, whose scenarios keep their bare names. */
struct mob__kind {
    mob_kind def;             /* weight: 0 when -s leaves it no scenario */
    struct mob__table table;
    int first;                /* index of its first scenario among the result's */
    int slots;                /* mob__kinds_assign: its slots in this process */
};

struct mob__kinds {
    struct mob__kind *k;
    int n;
    const char **names;       /* the report's scenario names, kind by kind (nnames) */
    int nnames;
    int *of_slot;             /* mob__kinds_assign: the kind of each slot of this process */
    int *index_of_slot;       /* and each slot's index among its kind's slots */
};

/* The kinds of s, their tables and the report's names. 0, -EINVAL (a suite mob refuses:
 * mob__kinds_check), -ENOENT (no scenario enabled; -s names none), or -ENOMEM. */
int mob__kinds_build(struct mob__kinds *ks, const mob_suite *s, const char *single);
void mob__kinds_free(struct mob__kinds *ks);
/* 0 when s is a suite mob can run as far as its kinds go, else -EINVAL. */
int mob__kinds_check(const mob_suite *s);
/* Whether the run of s has a scenario reported as `name`. */
int mob__kinds_has_scenario(const mob_suite *s, const char *name);
/* Fills ks->of_slot for the cap slots of global process gp of ptotal (processes times
 * machines): bot ids are gp * cap + slot. 0 or -ENOMEM. */
int mob__kinds_assign(struct mob__kinds *ks, int cap, int gp, int ptotal);
/* The kinds into r (none for a suite without kinds). 0 or -ENOMEM. */
int mob__kinds_result(const struct mob__kinds *ks, mob_result *r);

/* One kind in a result. */
struct mob__kstat {
    char *name;
    int weight;
    uint64_t bots;            /* bots of the kind started, over processes and machines */
};

/* Finds or adds a kind by name (the first weight seen stays); its index or -ENOMEM. */
int mob__result_kind(mob_result *r, const char *name, int weight);
/* Adds src's kinds into dst. 0, -ENOMEM or -EOVERFLOW. */
int mob__result_kinds_merge(mob_result *dst, const mob_result *src);
void mob__result_kinds_free(mob_result *r);
/* The summary's line of kinds ("  Kinds: http 3 (75 bots), ws 1 (25 bots)"), if any. */
void mob__result_kinds_print(const mob_result *r, FILE *out);

/* ---- span.c --------------------------------------------------------------------------- */

/* The messages of one process: a ring of the latest, and the rate limit. */
struct mob__info_log {
    int watched;              /* someone shows them (dashboard, report-to, -v) */
    int print;                /* -v: also to stderr */
    uint64_t seq;             /* messages accepted so far; the next goes to ring[seq % RING] */
    uint64_t dropped;         /* refused by the rate limit */
    int64_t window;           /* the second being counted, and how many it took */
    int in_window;
    struct mob__info_entry ring[MOB__MSG_RING];
};

/* Keeps e among r's latest messages (span.c); what falls out counts as dropped. */
void mob__result_add_msg(mob_result *r, const struct mob__info_entry *e);
/* The log's messages and losses into r, at the end of the run. */
void mob__result_take_msgs(mob_result *r, const struct mob__info_log *m);

/* A budget of `max` a second (by the real clock): 1 and one more taken when the current
 * second has room, else 0. */
static inline int mob__per_second(int64_t *window, int *in_window, int max)
{
    int64_t sec = mob_clock_ns() / MOB_NS_PER_SEC;
    if (sec != *window) {
        *window = sec;
        *in_window = 0;
    }
    if (*in_window >= max)
        return 0;
    (*in_window)++;
    return 1;
}

/* ---- events.c ------------------------------------------------------------------------- */

/* One process's listeners and session hooks (events.c). */
struct mob__events {
    const mob_suite *suite;
    const mob_options *o;
    mob_result *res;
    int n;                    /* listeners in the suite's table: 0 costs nothing */
    int vv;                   /* -vv: print the HTTP requests and responses (verbose.c) */
    size_t body_size;         /* response bodies kept for the events: the most a listener
                                 asked, and -vv's MOB__VV_BODY (0: none, no copy) */
    uint64_t told[MOB_EV_NKINDS]; /* bit i: listener i's failure on this kind was reported */
    int64_t window;           /* -vv's rate limit, and what it did not show yet */
    int in_window;
    uint64_t vv_unsaid;
};

void mob__events_init(struct mob__events *ev, const mob_suite *s, const mob_options *o,
                      mob_result *res);
/* The end of the process: -vv says how many exchanges it did not show. */
void mob__events_finish(struct mob__events *ev);
/* The end of a bot, after bot_teardown: what its events kept goes. */
struct mob__wstate;
void mob__events_bot_end(struct mob__wstate *ws);
void mob__events_scenario(struct mob__events *ev, mob_worker *w, const char *scenario,
                          int kind, int cls, int rc);
void mob__events_workers_now(struct mob__events *ev, int n);
/* Makes w's session (session_setup): 0, or the failure, counted and said unless the end of
 * the run cut it (then the bot just leaves). */
int mob__session_make(struct mob__events *ev, mob_worker *w);
/* Ends w's session if it has one (session_teardown). */
void mob__session_end(struct mob__events *ev, mob_worker *w);

static inline void mob__events_start(struct mob__events *ev, mob_worker *w, const char *sc)
{
    if (ev->n)
        mob__events_scenario(ev, w, sc, MOB_EV_SCENARIO_START, 0, 0);
}

/* cls: the run's class (0 success; MOB_FAIL_CANCELED when the end of the run cut it). */
static inline void mob__events_end(struct mob__events *ev, mob_worker *w, const char *sc,
                                   int cls, int rc)
{
    if (ev->n)
        mob__events_scenario(ev, w, sc, cls ? MOB_EV_SCENARIO_FAILURE : MOB_EV_SCENARIO_SUCCESS,
                             cls, rc);
}

/* current_workers: the runner calls it at the start, once a second and at the end. */
static inline void mob__events_workers(struct mob__events *ev, int n)
{
    if (ev->n)
        mob__events_workers_now(ev, n);
}

/* What mob_worker.internal points to: the bot's open spans, its session, its events. */
struct mob__wstate {
    mob_result *res;
    struct mob__info_log *msgs;
    struct mob__events *ev;
    int session;              /* made: session_teardown is due at the bot's end */
    int status;               /* the current run's mob_worker_status, or 0 */
    int vv_shown;             /* -vv showed this exchange's request: show its response */
    int kind_index, kind_slots; /* mob_worker_kind_index */
    char *body;               /* ev->body_size bytes for its connections' response bodies, made
                                 when one is observed (mob_worker_observe_http) */
    int depth;
    struct {
        int idx;
        int64_t t0;
    } open[MOB__SPAN_DEPTH];
};

/* ---- verbose.c ----------------------------------------------------------------------- */

#define MOB__VV_BODY 1024     /* -vv shows this much of a body */

/* -vv: prints the exchange e is about, within MOB__MSG_PER_S exchanges a second. */
void mob__vv_exchange(struct mob__events *ev, struct mob__wstate *ws, const mob_worker *w,
                      const mob_run_event *e);
/* The end of the process: the exchanges not shown yet are said. */
void mob__vv_finish(struct mob__events *ev);

/* limits.c: bots against the open-file limit (an error, -EMFILE, with the remedy in err) and
 * the ephemeral ports (a warning in warn, or ""), for suites holding fds_per_bot fds each. */
int mob__check_limits(const mob_options *o, int fds_per_bot, char *err, size_t errlen,
                      char *warn, size_t warnlen);

/* ---- sizing.c ------------------------------------------------------------------------- */

/* How a verdict was judged: live, by one run (or a -p parent); by a merge, as the sum of the
 * runs' crossing windows; by a merge, on the merged timeline's whole seconds. */
enum { MOB__SIZING_RUN, MOB__SIZING_WINDOWS, MOB__SIZING_TIMELINE };
extern const char *const mob__sizing_basis_names[3]; /* "run", "windows", "timeline" */

/* The --sizing judge of one run, live: fed the whole run's cumulative counts. */
struct mob__sizing;

/* A judge for o in *out, or NULL when o asks no sizing. 0 or -ENOMEM. */
int mob__sizing_new(struct mob__sizing **out, const mob_options *o);
/* The totals so far (runs that succeeded, failed) and bots alive, elapsed_ns after the start;
 * called at least every 100 ms. Returns 1 the first time the window's ratio passes the
 * tolerance: stop the run. A NULL judge never says stop. O(1) amortized. */
int mob__sizing_look(struct mob__sizing *s, int64_t elapsed_ns, uint64_t ok, uint64_t fail,
                     int bots);
/* The window at the last look, for the live line ("sizing 3.21% / 5% over 60s"); "" for a
 * NULL judge. */
void mob__sizing_live(const struct mob__sizing *s, char *buf, size_t cap);
/* The same words for any window: ok and fail are the runs it holds. */
void mob__sizing_window_text(double tolerance, int64_t window_ns, uint64_t ok, uint64_t fail,
                             char *buf, size_t cap);
/* The verdict of dst once src is merged into it, seconds and all: both crossed, their windows
 * added; else dst's merged timeline judged. fresh: dst was empty before, so it takes src's
 * verdict as it is. O(seconds). */
void mob__sizing_merge(mob_result *dst, const mob_result *src, int fresh);
/* Keeps the verdict in r (when r is not NULL) and frees s (NULL: nothing). */
void mob__sizing_end(struct mob__sizing *s, mob_result *r);
/* The verdict in a line: molotov's "Sizing is over! ..." or "Sizing not reached: ...". */
void mob__sizing_format(const mob_sizing_result *z, int basis, char *buf, size_t cap);

/* ---- shape.c -------------------------------------------------------------------------- */

/* How many bots should be active t ns after the start (ramp-up, stages, or all at once), and
 * when that number next changes (*next, ns after the start; INT64_MAX: never). */
int mob__shape_wanted(const mob_options *o, int64_t t, int64_t *next);
/* Rate mode: how many runs of global bot g (of bots_total) are due in the first elapsed_ns
 * (capped by max runs), and when its run k is due, in ns after the start. */
uint64_t mob__rate_due_count(const mob_options *o, int bots_total, int g, int64_t elapsed_ns);
int64_t mob__rate_due_at(const mob_options *o, int bots_total, int g, int64_t k);

/* ---- runner.c ------------------------------------------------------------------------- */

/* What one process runs; procs.c fills it. */
struct mob__proc {
    const mob_suite *suite;
    const mob_options *opt;
    void *ud;
    int process, processes;
    int64_t start;             /* monotonic ns when every process starts */
    struct mob__live *live;    /* shared slot for the live line, or NULL */
    int parent_fd;             /* -p with a dashboard: the stream to the parent, else -1 */
    char runid[24];            /* the same in every process of one `mob` command */
};

int mob__run_process(const struct mob__proc *p, mob_result **out);

/* ---- watch.c -------------------------------------------------------------------------- */

struct mob__watch;

/* From the host, before the loop runs: the dashboard, reporters and statsd that the options
 * ask for, as bots of the loop, fed from res and msgs. *out is NULL when none is asked
 * (then nothing costs anything). Returns 0 or -errno (a port that cannot be had). */
int mob__watch_start(struct mob__watch **out, mob_loop *loop, const struct mob__proc *p,
                     mob_result *res, struct mob__info_log *msgs);
/* After each closed second. */
void mob__watch_second(struct mob__watch *w, int bots);
/* From a bot, after the last second: final report to the viewers, last page update, all
 * stopped and joined, w freed. */
void mob__watch_finish(struct mob__watch *w, mob_bot *self);

/* The -p parent's dashboard: serves the sum of the children's streams (fds[0..n), each set
 * to -1 once closed) while step(ud) returns nonzero, calling it every 20 ms. Returns 0, or
 * -errno when the dashboard could not start (then the caller steps on its own). */
int mob__watch_children(const mob_options *o, int *fds, int n, int (*step)(void *ud),
                        void *ud);

/* ---- live.c --------------------------------------------------------------------------- */

/* One process's live numbers, in shared memory when there are several processes. */
/* The most coarse buckets a second can have (hist.c: 16 histogram slots each). */
#define MOB__COARSE_MAX (MOB_HIST_LEN / 16 + 1)

struct mob__live {
    volatile uint64_t ok, fail;
    volatile int64_t p50, p99, max; /* the last second */
    volatile int bots;
    volatile int done;
    volatile int stop;      /* set by the parent: end the run gracefully (--sizing decided) */
    /* The last second's latencies, so the parent can merge them (mob__live_publish); written
     * under `seq`, odd while a write is in progress. ncb -1: not known. */
    uint32_t seq;
    int ncb;
    struct mob__cbucket cb[MOB__COARSE_MAX];
};

/* A child's end of the second: its counters and the second just closed into its slot. */
void mob__live_publish(struct mob__live *l, const mob_result *r, int bots);
/* The parent's view of the last second over n children: p50/p99 of the summed buckets, or
 * the worst child's where a child's buckets cannot be read. */
void mob__live_merge(struct mob__live *live, int n, int64_t *p50, int64_t *p99);

extern volatile sig_atomic_t mob__stop_signal;
void mob__signals_install(void);
void mob__signals_restore(void);
/* In a -p child: every later signal is graceful too. */
void mob__signals_child(void);
/* Prints one live line (tty: redrawn with \r; else a plain line), ended by the --sizing
 * window of `sizing` (NULL: none). */
void mob__live_print(const mob_options *o, int64_t elapsed, int64_t total, int bots,
                     uint64_t ok, uint64_t fail, double rate, int64_t p50, int64_t p99,
                     const struct mob__sizing *sizing);
void mob__live_end(const mob_options *o);
int mob__live_enabled(const mob_options *o);

/* ---- cli_report.c --------------------------------------------------------------------- */

/* `mob report FILE.json... [--html F] [--json F]`: returns the exit code. */
int mob__report_main(int argc, char **argv);

/* ---- report.c ------------------------------------------------------------------------- */

/* The JSON report into f. */
void mob__result_json_write(const mob_result *r, FILE *f);

/* ---- jtree.c -------------------------------------------------------------------------- */

/* A parsed JSON value. Walk an object or array through child, then next; members keep their
 * order and duplicates. */
enum { MOB__J_NULL, MOB__J_BOOL, MOB__J_NUM, MOB__J_STR, MOB__J_ARR, MOB__J_OBJ };

struct mob__jnode {
    int type;
    const char *key;             /* a member of an object: its name */
    const char *str;             /* MOB__J_STR: decoded (UTF-8), NUL-terminated */
    const char *num;             /* MOB__J_NUM: its text in the input, numlen bytes, no NUL */
    int numlen;
    double d;                    /* MOB__J_NUM */
    int b;                       /* MOB__J_BOOL */
    struct mob__jnode *child, *next;
};

struct mob__jtree {
    const struct mob__jnode *root;
    struct mob__jnode *nodes;    /* every node, and every decoded string: owned */
    size_t nnodes, cap;
    char *strs;
    size_t nstr;
    const char *why;             /* why the parse failed ("an unterminated string"), or NULL */
    size_t at;                   /* and at which byte of the text */
};

/* Parses text[0, len) into t; with whole set, only whitespace may follow the value. Returns 0,
 * -EINVAL (t->why and t->at say what and where) or -ENOMEM. The nodes point into text (numbers)
 * and into t: both must outlive them. Free t with mob__jtree_free in every case. O(len). */
int mob__jtree_parse(struct mob__jtree *t, const char *text, size_t len, int whole);
void mob__jtree_free(struct mob__jtree *t);
/* The first member of object o named key, or NULL (also when o is NULL or not an object). */
const struct mob__jnode *mob__jget(const struct mob__jnode *o, const char *key);
/* "a string", "an object", ...: for error lines. */
const char *mob__jtype_name(int type);

/* ---- json.c --------------------------------------------------------------------------- */

/* Reads a report from text; -EINVAL (not one), -ENOTSUP (another format version), -ERANGE (a
 * count past 64 bits), -EBADMSG (counts that do not add up), -ENOMEM. mob__json_why() then
 * says what, in a few words, for the one-line error of `mob merge`. */
int mob__result_parse_json(const char *text, size_t len, mob_result **out);
const char *mob__json_why(void);
/* report_check.c: 0, or -EBADMSG / -ERANGE with what does not add up in why. */
int mob__result_check(const mob_result *r, char *why, size_t whylen);

/* cli_merge.c: reads and merges report files for `mob merge` and `mob report`, refusing
 * nonsense (see there); who ("mob merge") starts each one-line error. 0 and *out, or -1 with
 * the error printed. */
int mob__merge_files(const char *const *files, int n, int force, const char *who,
                     mob_result **out);

/* The JSON report's format version ("mob": N). 2 added each second's failures by class
 * ("timeline": [{"fail": {...}}]); version 1 reports still read, their seconds without them. */
#define MOB__REPORT_FORMAT 2

/* The largest report mob reads: an hour-long run of a hundred scenarios is a few MB. */
#define MOB__REPORT_MAX ((size_t)64 << 20)

#endif /* MOB_RUN_INTERNAL_H */
