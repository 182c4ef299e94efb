/* SPDX-License-Identifier: MIT */
/*
 * mob_run.h: the load-test layer. Named scenario functions with weights (molotov's
 * @scenario), hooks around them, and a runner that turns bot runs into numbers people trust:
 * per-scenario counts, failures by class, latency percentiles from a mob_hist, a per-second
 * timeline, reports in text, JSON and HdrHistogram's .hgrm format. mob_main() gives a program
 * the whole `mob` command line in one call.
 *
 * The model, in one paragraph. A run has `bots` bots per process. Each bot calls bot_setup
 * (and session_setup before its first run, session_teardown after its last), then repeats:
 * pick a scenario (by weight from its own seeded stream, or by the picker), run
 * it, count it, think; until the run's one global deadline, its max runs, or a stop. Then
 * bot_teardown. global_setup runs once before any process is forked, global_teardown once
 * after all of them end. At the deadline every bot still inside a scenario is cancelled
 * (mob_cancel: its blocking calls return -ECANCELED) and that run is counted as cancelled, not
 * as a failure. In rate mode (`rate` > 0, the open model) every bot follows a fixed schedule
 * (wrk2's): run k of bot i is due at start + (i + k * bots) / rate, and its latency is timed
 * from when it was due, not from when the bot got to it, so a server stall shows in the
 * percentiles (no coordinated omission). In the closed model a bot whose run failed to
 * connect waits before its next run (1 ms, doubling up to 1 s, reset by a success), so a dead
 * server costs counted failures, not a busy loop.
 *
 * Read next: src/run/runner.c, then src/run/stats.c.
 */
#ifndef MOB_RUN_H
#define MOB_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "mob.h"
#include "mob_fail.h"
#include "mob_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Failures                                                                                 */
/* ======================================================================================== */

/*
 * What a scenario returns: 0 for success, a failure class (enum mob_fail, mob_fail.h), or a
 * -errno value that the runner classifies with mob_fail_classify(rc, MOB_PHASE_ANY).
 * -ECANCELED, and any failure returned once the run is over, count as cancelled, not as a
 * failure.
 */

/* ======================================================================================== */
/* Scenarios and suites                                                                     */
/* ======================================================================================== */

/* What a scenario and the per-bot hooks see. The runner owns it; fields are read-only except
 * `state`. */
typedef struct mob_worker {
    mob_bot *bot;         /* the bot running this worker (pass it to every blocking call) */
    int id;               /* globally unique: process * bots + index */
    int local;            /* 0 .. bots-1: its index within this process */
    int process;          /* 0 .. processes-1 */
    int64_t step;         /* runs started by this bot so far (0 for the first) */
    int64_t deadline;     /* absolute: the run's end, or the per-run timeout if sooner */
    int64_t scheduled;    /* rate mode: when this run was due; otherwise when it began */
    void *state;          /* per-bot state, free for bot_setup to set */
    void *ud;             /* the suite's user pointer (global_setup may replace it) */
    const struct mob_options *opt;
    uint64_t rng[4];      /* this bot's random stream (mob_worker_rand) */
    void *internal;       /* the runner's own: open spans, where messages go */
    const char *reason;   /* a failing scenario may say why in words (borrowed until it
                             returns): the first reason of each class is kept in the report */
} mob_worker;

/* Returns the next number of this bot's random stream (xoshiro256**, seeded from --seed and
 * the bot id: the same seed gives every bot the same sequence). */
uint64_t mob_worker_rand(mob_worker *w);

/* Nonzero once the run is ending: no new run starts, runs in flight finish. Bots that wait
 * on each other ask it so a run whose partners have left ends as cut (return -ECANCELED)
 * instead of waiting out its --timeout. */
int mob_worker_ending(const mob_worker *w);

/* This bot's index among the bots of its kind in this process, from 0, and in *slots (may be
 * NULL) how many its kind can have there at once: the process's slots (mob_options_max_bots)
 * that are this kind's, which the bots of a ramp or of stages fill from index 0 up. Without
 * kinds that is w->local among all the process's slots. A suite that puts its bots in groups
 * (the arena's rooms) numbers them this way, so it runs the same as one kind among several. */
int mob_worker_kind_index(const mob_worker *w, int *slots);

/* The protocol status this run got, an HTTP status in 100..599 (others are ignored): --statsd
 * counts the run under it, as molotov counts each response under its status, rather than
 * under its class. The http suite calls it; a scenario of one's own may. The last call of a
 * run counts. */
void mob_worker_status(mob_worker *w, int status);

/*
 * Spans: named sections of a bot's work (aiotesttoolkit's profiler), nestable. Each span
 * name gets its own count, failures by class and duration histogram in every report, beside
 * the scenarios. mob_span_exit closes the innermost open span; rc is judged like a scenario's
 * return value (0 ok, a class or -errno a failure). Spans still open when a scenario returns
 * are dropped, not counted. Returns 0; -ENOSPC past 16 levels, -ENOENT when none is open,
 * -ENOMEM. Costs a clock read and a histogram record.
 */
int mob_span_enter(mob_worker *w, const char *name);
int mob_span_exit(mob_worker *w, int rc);

/*
 * An info line from a bot (aiotesttoolkit's reporter.info): shown live on the dashboard, in
 * `mob view` and with -v on stderr, and the latest 64 kept in the JSON and HTML reports, at most
 * 20 a second per process (the rest are counted as dropped, before any formatting).
 */
void mob_info(mob_worker *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

typedef int (*mob_scenario_fn)(mob_worker *w);

typedef struct mob_scenario {
    const char *name;  /* unique; NULL ends a table */
    mob_scenario_fn fn;
    int weight;        /* relative pick weight; 0 disables the scenario */
    int64_t delay_ns;  /* think time after each SUCCESSFUL run of this one (molotov's delay=) */
} mob_scenario;

/*
 * A kind of bot (aiotest's user classes): its own scenarios, per-bot hooks, picker and state,
 * and a weight. A suite that lists kinds splits its bots over them by weight the way aiotest's
 * weight_users does: with N bots in the whole run (-w, or the largest stage, times -p, times
 * --index N), kind k gets round(N * w_k / sum w) (half to even, as Python rounds), and the
 * total is then fixed one bot at a time by the rounding residuals, largest first when bots are
 * missing, smallest first when there are too many (ties: the earlier kind). So 1:1 over 10 is
 * 5/5, 1:2 over 10 is 3/7, and 1:2 over 1 gives the one bot to the weight-2 kind. The split is
 * fixed by bot id, so it is the same in every process and machine; the bots that start first
 * (ramp-up, stages, -p) are spread over the kinds so that the bots alive follow the same rule
 * for their own number as closely as the final split allows (mob_kinds_apportion).
 * In reports, a kind's scenarios are named "KIND/SCENARIO", so names stay unique. A bot's
 * w->id and w->local count every bot of the run, whatever its kind.
 */
typedef struct mob_kind {
    const char *name;              /* unique, without '/'; NULL ends a table */
    int weight;                    /* share of the bots; 0 disables the kind */
    const mob_scenario *scenarios; /* its own table, ended by a NULL name */
    int (*bot_setup)(mob_worker *w);    /* as the suite's, for this kind's bots only */
    int (*bot_teardown)(mob_worker *w);
    const char *(*picker)(mob_worker *w); /* names one of this kind's scenarios */
    size_t state_size;             /* bytes of per-bot state for this kind's bots */
    void *ud;                      /* w->ud for this kind's bots; NULL: the suite's */
} mob_kind;

/* aiotest's weight_users: `amount` bots over n weights (0 gets none) into out[0..n). Returns
 * 0, or -EINVAL when n < 1, a weight is negative or every weight is 0. */
int mob_kinds_apportion(const int *weights, int n, int64_t amount, int64_t *out);

/*
 * A suite: scenarios and hooks. Every hook is optional. Hooks return 0, or nonzero for a
 * failure: a failing global_setup aborts the run (-EINVAL from it means "bad target" and gives
 * the usage exit code 2); a failing bot_setup is counted and ends that bot (and the whole run
 * with stop_on_failure); a failing bot_teardown or global_teardown is counted and nothing else
 * happens: teardown always runs to the end.
 *
 * The session (molotov's setup_session / teardown_session). A bot's session is what its
 * scenarios share from one run to the next: its state (w->state) and the connections it holds
 * there, open from the first scenario run to the bot's end. session_setup runs when the
 * session is made, just before the bot's first scenario run (after bot_setup; never for a bot
 * whose bot_setup failed or that ends before its first run): it may open connections, log in,
 * fill w->state. A failing session_setup is counted (mob_totals.session_setup_failed), the
 * bot runs no scenario, and the whole run stops (exit 1), as molotov's SESSION_SETUP_FAILED.
 * session_teardown runs at the bot's end, before bot_teardown, for a session whose setup
 * succeeded (molotov keeps no session whose setup failed); a failing one is counted
 * (session_teardown_failed) and nothing else happens. With kinds, the session hooks and the
 * listeners are the suite's, for the bots of every kind.
 *
 * Order: global_setup (once, before forking) → per bot: bot_setup, [session_setup,
 * scenarios..., session_teardown], bot_teardown (also after a failed setup, so it can free
 * what setup made) → global_teardown (once, after every process ended).
 */
typedef struct mob_suite {
    const char *name;                 /* shown in reports; NULL: "mob" */
    const mob_scenario *scenarios;    /* table ended by a NULL name */
    int (*global_setup)(const struct mob_options *opt, void **ud);
    int (*global_teardown)(const struct mob_options *opt, void *ud);
    int (*bot_setup)(mob_worker *w);
    int (*bot_teardown)(mob_worker *w);
    /* Custom picker: returns the name of the scenario to run (weights are then ignored), or
     * NULL to end this bot. An unknown name counts as an "other" failure. */
    const char *(*picker)(mob_worker *w);
    void *ud;
    int (*session_setup)(mob_worker *w);
    int (*session_teardown)(mob_worker *w);
    const struct mob_listener *listeners; /* mob_events.h: ended by a NULL fn; NULL: none */
    /* Bytes of per-bot state the runner reserves, zeroed, as the bot's storage (beside the
     * bot, not on its stack: mob_spawn_options.storage_size, at most MOB_STORAGE_MAX) and
     * hands over as w->state before bot_setup (0: none; then bot_setup may set w->state). */
    size_t state_size;
    /* MOB_PLUGIN_ABI, which `mob ./file.so` checks before it touches anything else: a plugin
     * built against another layout of this struct is refused, not run. 0 is fine for a suite
     * linked into its program. */
    unsigned abi;
    /* Kinds of bot, ended by a NULL name (NULL: none). A suite with kinds leaves scenarios,
     * bot_setup, bot_teardown, picker and state_size unset: each kind has its own. The global
     * and session hooks, the listeners and ud (unless a kind has its own) stay the suite's,
     * for the bots of every kind. */
    const mob_kind *kinds;
    /* Frees a suite made at run time (NULL: a suite in static storage, nothing to free). A
     * chooser (mob_suite_chooser) that makes a suite per call sets it, and whoever called
     * the chooser calls it once, when no run of the suite is left: mob_main_ex does, for
     * every suite its chooser gave it, before it returns. */
    void (*release)(const struct mob_suite *s);
} mob_suite;

/*
 * A shared object loaded by `mob ./file.so` defines this symbol:
 *
 *     const mob_suite mob_plugin_suite = { .scenarios = my_table, ..., .abi = MOB_PLUGIN_ABI };
 *
 * It may call any mob_ function: the mob binary exports them. Before using it, mob checks that
 * the symbol is an object the size of this mob_suite (where the system says: ELF) and that its
 * abi is this one, so a symbol of the wrong type or a plugin built for another version is a
 * clear error, never a crash. MOB_PLUGIN_ABI changes whenever mob_suite, mob_worker,
 * mob_options or what they point to (mob_listener, mob_kind) change layout.
 */
#define MOB_PLUGIN_SYMBOL "mob_plugin_suite"
#define MOB_PLUGIN_ABI 5u

/* ======================================================================================== */
/* Options                                                                                  */
/* ======================================================================================== */

/* One load-shape stage: for `duration_ns`, move the number of bots toward `bots` at
 * `spawn_rate` bots per second (0: at once). */
typedef struct mob_stage {
    int64_t duration_ns;
    int bots;
    double spawn_rate;
} mob_stage;

#define MOB_MAX_STAGES 32

/*
 * A pass/fail threshold on the run's numbers, k6's idea: "[SCENARIO:]METRIC OP VALUE", e.g.
 * "p99<200ms", "p95<=50ms", "failures<1%", "rps>5000", "login:p99<50ms", "p(99.9)<1s".
 * Metrics: pNN (a percentile of successful runs' latency; also p(NN) and med), mean (or
 * avg), min, max; failures (with %: of all runs counted; without: a count); rps (runs counted
 * per second of the run). OP is <, <=, > or >=. Latency values take units (a bare number is
 * milliseconds, as in k6). A trailing ",abort" stops the run as soon as it is crossed.
 */
typedef struct mob_result mob_result;

enum mob_threshold_metric {
    MOB_TH_PERCENTILE, MOB_TH_MEAN, MOB_TH_MIN, MOB_TH_MAX, MOB_TH_FAILURES, MOB_TH_RPS
};

typedef struct mob_threshold {
    char expr[96];       /* as written */
    char scenario[64];   /* "" for the whole run */
    int metric;          /* enum mob_threshold_metric */
    double pct;          /* MOB_TH_PERCENTILE: which */
    int op;              /* '<', '>', 'l' (<=), 'g' (>=) */
    double limit;        /* ns for latencies; a fraction (percent) or a count; runs/s */
    int percent;         /* MOB_TH_FAILURES: the limit is a fraction of all runs */
    int abort;           /* ",abort": stop the run when crossed */
} mob_threshold;

#define MOB_MAX_THRESHOLDS 16

/* Parses one threshold. Returns 0, or -EINVAL (unknown metric, operator or value). */
int mob_threshold_parse(const char *expr, mob_threshold *t);

/* The threshold's value on r (elapsed_ns: the run's length so far, for rps; 0: the
 * result's). Returns 1 when it holds, 0 when it does not (also when there is no data: no
 * successful run for a latency), or -ENOENT when it names a scenario r does not have. */
int mob_threshold_eval(const mob_threshold *t, const mob_result *r, int64_t elapsed_ns,
                       double *value);

typedef struct mob_options {
    const char *target;       /* the positional argument (URL, .so path) */
    int bots;                 /* -w: bots per process (molotov: total = processes * bots) */
    int64_t duration_ns;      /* -d: one global deadline; 0: until max runs or a stop */
    int64_t max_runs;         /* -r: runs per bot; 0: no limit */
    int processes;            /* -p */
    double rate;              /* -R: runs per second for the whole run (all processes); 0: off */
    int64_t ramp_up_ns;       /* bot i starts at i * ramp_up / bots */
    int64_t delay_ns;         /* think time after every run */
    int64_t timeout_ns;       /* per-run timeout (mob_worker.deadline); 0: the run's end */
    int stop_on_failure;      /* -x */
    int64_t fail_threshold;   /* -f N: exit 1 when failures >= N; -1: never */
    mob_stage stages[MOB_MAX_STAGES];
    int nstages;              /* when > 0, stages replace bots/ramp_up (their bot counts are
                                 per process, like -w); duration = their sum unless -d is set */
    uint64_t seed;            /* --seed; 0: from the clock (the report shows which) */
    const char *single;       /* -s NAME: run only this scenario */
    int single_run;           /* --single-run: each bot runs every scenario once, in name order */
    int quiet, verbose;       /* -q, -v */
    int live;                 /* -1: live line when stderr is a terminal; 0 off; 1 plain lines */
    const char *json_path;    /* --json FILE */
    const char *hgrm_path;    /* --hgrm FILE ("-": stdout) */
    const char *html_path;    /* --html FILE: the HTML report */
    const char *csv_prefix;   /* --csv PREFIX: Locust-style PREFIX_stats.csv, _history, ... */
    const char *dashboard;    /* --dashboard [HOST:]PORT: the live page (loopback default) */
    const char *report_to;    /* --report-to HOST:PORT: stream to a `mob view` */
    const char *token;        /* --token T: shared with the viewer; needed beyond loopback */
    const char *statsd;       /* --statsd udp://HOST:PORT */
    int index, nindex;        /* --index I/N: this is machine I of N (bot ids stay unique) */
    int latency;              /* --latency: print the .hgrm distribution after the summary */
    size_t stack_size;        /* --stack: bot stack size; 0: the runtime's default */
    int force_shutdown;       /* --force-shutdown: at the end, cancel runs in flight (counted
                                 as cut) instead of letting them finish within --timeout */
    mob_threshold thresholds[MOB_MAX_THRESHOLDS]; /* --threshold, evaluated at the end (and
                                 every second for those with abort): mob_result_thresholds */
    int nthresholds;
    int threshold_abort;      /* --threshold-abort: every threshold stops the run when crossed */
    int64_t start_at_ns;      /* --start-at: wall-clock (CLOCK_REALTIME) ns since the epoch at
                                 which the bots start, after global setup; 0: at once. With one
                                 agreed time, runs on several machines line up (mob merge). */
    int sizing;               /* --sizing (molotov's): the run ends, gracefully, once the
                                 failure ratio over the last sizing_window_ns passes
                                 sizing_tolerance; the result says with how many bots
                                 (mob_result_sizing). The bots and ramp-up are the options';
                                 the command line's defaults are molotov's (500, 300 s). */
    double sizing_tolerance;  /* --sizing-tolerance: percent of the runs in the window that
                                 may fail, 0 to under 100 (default 5) */
    int64_t sizing_window_ns; /* --sizing-window: 1 s to 1 h, whole seconds (default 1 min) */
} mob_options;

/* Fills the defaults: 10 bots, 10 s, 1 process, no rate, fail threshold -1, live auto,
 * 64-byte payloads. */
void mob_options_init(mob_options *o);
/* The most bots a process of a run with these options has at once, its slots: `bots`, or
 * with stages the largest stage's. */
int mob_options_max_bots(const mob_options *o);

/* ======================================================================================== */
/* Results                                                                                  */
/* ======================================================================================== */

typedef struct mob_result mob_result;

/* Per-scenario numbers, borrowed from the result (valid until mob_result_free). */
typedef struct mob_scenario_stats {
    const char *name;
    uint64_t ok;
    uint64_t fail[MOB_FAIL_NCLASS]; /* fail[0] is unused */
    uint64_t failures;              /* sum of fail[] */
    uint64_t cut;                   /* runs cut short by the end of the run */
    const mob_hist *latency;        /* successful runs */
    int nseconds;                   /* its timeline: ok and failures of each second, */
    const uint64_t *timeline;       /* timeline[2 * s] and timeline[2 * s + 1] */
} mob_scenario_stats;

/* Run-wide counters. */
typedef struct mob_totals {
    uint64_t ok, failures;
    uint64_t fail[MOB_FAIL_NCLASS];
    uint64_t cancelled;          /* runs cut short by the end of the run (a class of its own:
                                    --force-shutdown, a signal, a run without --timeout) */
    uint64_t setup_failed, teardown_failed, global_teardown_failed;
    uint64_t session_setup_failed, session_teardown_failed; /* molotov's SESSION_SETUP_FAILED */
    uint64_t listener_failed;    /* listener calls that returned nonzero (ignored otherwise) */
    uint64_t scheduled, late, dropped; /* rate mode: runs due; begun > 1 ms late; never begun */
    int64_t elapsed_ns;
    int bots_max;                /* most bots alive at once, over all processes */
    int processes;
    int interrupted;             /* the signal that stopped the run (SIGINT, SIGTERM, SIGHUP) */
    int setup_failed_rc;         /* why the first bot setup failed (-errno), which stopped it */
    int session_setup_failed_rc; /* what the first failed session setup returned (-errno, or
                                    a failure class), which stopped the run */
    int processes_lost;          /* -p children whose results are missing (died, or no fork) */
    uint64_t cut_graceful;       /* of cancelled: runs that ended themselves at a graceful end,
                                    before its grace, because they could not finish (the bots
                                    they wait on had left); not held against -f or -x */
    int stopped_on_failure;      /* -x fired */
    uint64_t seed;
} mob_totals;

void mob_result_totals(const mob_result *r, mob_totals *out);
/* The thresholds evaluated at the end of the run (in the options' order): how many, and
 * threshold i's expression, value (ns, fraction, count or runs/s, as its limit) and verdict
 * (1 pass, 0 fail). A failing one makes mob_result_exit_code 1. Returns the count; i out of
 * range returns -ENOENT. */
int mob_result_threshold(const mob_result *r, int i, const char **expr, double *value,
                         int *pass);
/* What --sizing found: molotov's "Sizing is over! Error Ratio X % obtained with N workers".
 * A merge of sizing runs (mob_result_merge) has one verdict for their sum: their crossing
 * windows added when each crossed, else their merged timeline judged second by second. */
typedef struct mob_sizing_result {
    int asked;              /* the run was a sizing run */
    int reached;            /* the ratio passed the tolerance, and the run stopped there */
    double ratio;           /* percent of the window's runs that failed: when it was crossed,
                               or (not reached) the worst window's */
    int bots;               /* bots alive then, over all processes (not reached: the most at
                               once; -1: a merged report did not record its bots per second) */
    uint64_t ok, failures;  /* the runs of that window (0 and 0: no window held enough) */
    int64_t at_ns;          /* when that window ended, since the start */
    double tolerance;       /* percent, as asked */
    int64_t window_ns;
} mob_sizing_result;

/* The sizing verdict of r. Returns 0, or -ENOENT when r was not a sizing run. */
int mob_result_sizing(const mob_result *r, mob_sizing_result *out);
/* The first reason a scenario gave for a failure of class cls (mob_worker.reason), or NULL. */
const char *mob_result_reason(const mob_result *r, int cls);
int mob_result_nscenarios(const mob_result *r);
/* Returns 0, or -ENOENT when i is out of range. */
int mob_result_scenario(const mob_result *r, int i, mob_scenario_stats *out);
/* Named spans the bots marked (mob_span_enter/exit), in the order first seen: count,
 * failures by class and a histogram of their durations (no timeline). */
int mob_result_nspans(const mob_result *r);
/* Returns 0, or -ENOENT when i is out of range. */
int mob_result_span(const mob_result *r, int i, mob_scenario_stats *out);
/* The kinds of bot of the run (none for a suite without kinds), in the suite's order: name,
 * weight and how many bots of the kind started (summed over processes and merged reports). */
typedef struct mob_kind_stats {
    const char *name;
    int weight;
    uint64_t bots;
} mob_kind_stats;
int mob_result_nkinds(const mob_result *r);
/* Returns 0, or -ENOENT when i is out of range. */
int mob_result_kind(const mob_result *r, int i, mob_kind_stats *out);
/* All scenarios' latencies together (borrowed). */
const mob_hist *mob_result_latency(const mob_result *r);
/* Number of seconds in the timeline, and one second of it (run-wide, all scenarios). */
int mob_result_seconds(const mob_result *r);
typedef struct mob_second {
    uint64_t ok, failures;
    /* Merged over processes or machines, p50/p99 come from the summed distribution of the
     * second (kept in 0.8-1.6% buckets); from a report that kept none, the worst of the two. */
    int64_t p50_ns, p99_ns, max_ns;
    double mean_ns;
} mob_second;
int mob_result_second(const mob_result *r, int i, mob_second *out);

/* Adds src into dst exactly (counts and histograms); timelines add second by second. Scenarios
 * are matched by name; sizing verdicts become one for the sum (mob_sizing_result). Returns 0,
 * -EEXIST when a run src adds up is in dst already (the same report twice; nothing changed),
 * -ENOMEM, or -EOVERFLOW when a count no longer fits (dst is then not to be trusted). */
int mob_result_merge(mob_result *dst, const mob_result *src);

/* The report's run id ("r:" and 32 hex digits): every run has its own, a merged report a new
 * one, and the reports lists every single run it adds up, so the same run cannot count twice. */
const char *mob_result_run_id(const mob_result *r);

/* Writes the JSON report (everything, histograms included) to path (mob_outfile_write).
 * Returns 0 or -errno. */
int mob_result_write_json(const mob_result *r, const char *path);
/*
 * Report files, for every report mob writes (and any a program adds): mob_outfile_check
 * before the run, mob_outfile_write after it. "-" is stdout. A regular file (or none yet) is
 * written atomically: a temporary file beside it, synced, given the old file's mode, renamed
 * over it; a symlink is followed and stays a link; a FIFO, a terminal, /dev/null or
 * /dev/stdout is written in place, never replaced; a file the user may not write is never
 * replaced. Both return 0 or -errno (-EACCES, -EISDIR, -ENOENT for a missing directory...).
 */
int mob_outfile_check(const char *path);
int mob_outfile_write(const char *path, void (*fn)(FILE *f, const void *ud), const void *ud);

/* Reads a JSON report written by mob_result_write_json. Returns 0 or -errno: -EINVAL, not a
 * mob report; -ENOTSUP, a format version this mob does not read; -ERANGE, a count past 64
 * bits; -EBADMSG, counts that do not add up (histograms, classes, scenarios); -EFBIG, past
 * 64 MiB. */
int mob_result_read_json(const char *path, mob_result **out);
/* Writes the HTML report to path atomically: one self-contained file (inline SVG charts, no
 * script, nothing fetched). exit_code is shown as the run's exit status; -1: not recorded.
 * Returns 0 or -errno. */
int mob_result_write_html(const mob_result *r, const char *path, int exit_code);
/* Writes Locust's CSV files PREFIX_stats.csv, PREFIX_stats_history.csv and
 * PREFIX_failures.csv, each atomically. Returns 0 or -errno. */
int mob_result_write_csv(const mob_result *r, const char *prefix);
/* The wrk-like summary table plus molotov's `SUCCESSES: n | FAILURES: m` line. */
void mob_result_print(const mob_result *r, FILE *out);
void mob_result_free(mob_result *r);

/*
 * Exit code for a result (README's table): 128 + N when signal N ended the run; 1 when a -p
 * child was lost, -x fired, a bot's setup failed, failures + cut runs reached fail_threshold
 * (>= 0), a --sizing run ended without passing its tolerance, or nothing succeeded; else 0.
 * (2, usage and set-up errors, is the command's.)
 */
int mob_result_exit_code(const mob_result *r, const mob_options *o);

/* ======================================================================================== */
/* Running                                                                                  */
/* ======================================================================================== */

/*
 * Runs the suite with the options: global setup, `processes` forked processes (or this one
 * when processes == 1), bots, the merged result, global teardown. SIGINT and SIGTERM stop the
 * run gracefully (the result is complete and marked interrupted). Live output goes to stderr
 * unless o->quiet. Returns 0 with *out set, -EINVAL for a bad option or target, or -errno.
 */
int mob_run_suite(const mob_suite *s, const mob_options *o, mob_result **out);

/*
 * The whole `mob` command line: parses argv (see `--help`), runs, prints, writes files and
 * returns the exit code (0, 1 for failures past -f, 2 for usage errors). `builtin` picks a
 * suite for a target when s is NULL or has no scenarios (the mob tool passes
 * mob_builtin_suite, mob_suites.h, plus plugins); it returns NULL with a message in err[]
 * when the target is bad.
 */

#define MOB_MAX_HEADERS 32 /* -H flags a command line may give */

/* What the command line says to a built-in suite, not to the runner: the chooser reads it
 * when it builds the suite for a target. A flag that only one suite understands goes here. */
typedef struct mob_suite_args {
    size_t payload_size; /* --size: bytes per echo (tcp://, ws://); 0: the suite's default */
    size_t buffer_size;  /* --buffer: http:// read buffer, the largest head; 0: 512 */
    const char *cacert;  /* --cacert FILE: https://, wss:// trust these CAs, not the system's */
    int insecure;        /* --insecure: https://, wss:// check neither certificate nor name */
    /* http(s):// requests and checks (mob --help http) */
    const char *method;  /* -m: the request method; NULL: GET */
    const char *headers[MOB_MAX_HEADERS]; /* -H "Name: value", as given, nheaders of them */
    int nheaders;
    const char *body;    /* --body TEXT, or the bytes of --body @FILE (body_len of them) */
    size_t body_len;
    int conn_close;      /* --connection close: a new connection for every request (ws[s]://:
                            for every run) */
    int expect_status;   /* --expect-status given: statuses outside it fail as check (and
                            statuses >= 400 in it succeed) */
    unsigned char expect_status_set[125]; /* bit s: status s (0..999) passes */
    const char *expect_body; /* --expect-body TEXT: the body must contain TEXT (first 16 KiB) */
} mob_suite_args;

/* Returns the suite for a target, or NULL with a one-line message in err. A suite it makes
 * per call carries its own release (mob_suite.release), which mob_main_ex calls. */
typedef const mob_suite *(*mob_suite_chooser)(const char *target, const mob_suite_args *args,
                                              char *err, size_t errlen);
int mob_main(int argc, char **argv, const mob_suite *s);
int mob_main_ex(int argc, char **argv, const mob_suite *s, mob_suite_chooser builtin);

/* ======================================================================================== */
/* Process-wide variables (molotov's set_var / get_var)                                     */
/* ======================================================================================== */

/*
 * A named pointer every bot, hook and scenario of the process can read (mob owns only the
 * name). mob_set_var sets or replaces it: 0, or -ENOMEM / -EINVAL. mob_get_var returns it;
 * when the name is not set and `factory` is given, factory(arg) makes the value, which is
 * stored and returned (the first value stored wins if two threads race). NULL when unset.
 * Values set in global_setup are inherited by every -p process; after the fork each process
 * has its own store. mob_vars_clear forgets every name (the values are the caller's).
 */
int mob_set_var(const char *name, void *value);
void *mob_get_var(const char *name, void *(*factory)(void *arg), void *arg);
void mob_vars_clear(void);

/* Human units: "30s", "1h30m", "250ms", "1.5s", "2m"; a bare number is seconds. Returns 0 or
 * -EINVAL. */
int mob_parse_duration(const char *s, int64_t *ns);
/* "10k", "1.5M", "2G" (powers of 1000), "64Ki" (of 1024), or a plain number. */
int mob_parse_count(const char *s, double *out);
/* A whole number in [lo, hi] ("8", "-1", "10k"): 0 and *out, or -EINVAL / -ERANGE. */
int mob_parse_int(const char *s, int lo, int hi, int *out);

#ifdef __cplusplus
}
#endif

#endif /* MOB_RUN_H */
