/* SPDX-License-Identifier: MIT */
/*
 * test_events.c: molotov's session fixtures and events (src/run/events.c). The fixtures run
 * in molotov's order, in one process and with -p 2; a variable set by a scenario is seen in
 * session_teardown; a failing session_setup is counted and stops the run, a failing
 * session_teardown is counted and ignored. Listeners see every scenario start, success and
 * failure, the live bot count, custom events, and the HTTP exchanges of the built-in suite; a
 * failing listener is counted, said once and ignored; with no listener, a connection gets no
 * observer. test_events_vv.c has -vv and what the HTTP events carry. Listeners run on bots'
 * fibers, so they only record, and the asserts come after the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob_events.h"
#include "mob_http.h"
#include "test_run.h"

/* ---- the fixtures' order ------------------------------------------------------------------ */

/* Every fixture appends "ID:NAME\n" to this file (O_APPEND: -p children share it). */
static char order_path[64];

static void note(int id, const char *what)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%d:%s\n", id, what);
    int fd = open(order_path, O_WRONLY | O_APPEND);
    if (fd >= 0) {
        cr_expect_eq(write(fd, line, (size_t)n), n);
        close(fd);
    }
}

static int o_gsetup(const mob_options *o, void **ud)
{
    (void)o, (void)ud;
    note(-1, "global_setup");
    return 0;
}
static int o_gteardown(const mob_options *o, void *ud)
{
    (void)o, (void)ud;
    note(-1, "global_teardown");
    return 0;
}
static int o_setup(mob_worker *w) { note(w->id, "bot_setup"); return 0; }
static int o_teardown(mob_worker *w) { note(w->id, "bot_teardown"); return 0; }
static int o_ssetup(mob_worker *w) { note(w->id, "session_setup"); return 0; }
static int o_steardown(mob_worker *w)
{
    /* molotov's _runner test: set_var in a scenario is visible in teardown_session. */
    const char *v = mob_get_var("from-scenario", NULL, NULL);
    note(w->id, v && strcmp(v, "yes") == 0 ? "session_teardown+var" : "session_teardown");
    return 0;
}
static int o_scen(mob_worker *w)
{
    static char yes[] = "yes";
    mob_set_var("from-scenario", yes);
    note(w->id, "run");
    return 0;
}

static const mob_scenario order_sc[] = {{"s", o_scen, 1, 0}, {NULL, NULL, 0, 0}};

/* Runs s with bots x runs (no duration), quietly; returns the result. */
static mob_result *run_n(const mob_suite *s, mob_options *o, int bots, int runs)
{
    o->bots = bots;
    o->max_runs = runs;
    o->duration_ns = 0;
    mob_result *r;
    cr_assert_eq(mob_run_suite(s, o, &r), 0);
    return r;
}

/* Runs the recording suite; asserts the global order and each bot's own, and that every one
 * of the processes * bots bots was there. */
static void check_order(int processes)
{
    snprintf(order_path, sizeof order_path, "/tmp/mob-events-XXXXXX");
    close(mkstemp(order_path));
    mob_suite s = {.scenarios = order_sc, .global_setup = o_gsetup,
                   .global_teardown = o_gteardown, .bot_setup = o_setup,
                   .bot_teardown = o_teardown, .session_setup = o_ssetup,
                   .session_teardown = o_steardown};
    mob_options o = quiet_options();
    o.processes = processes;
    mob_result *r = run_n(&s, &o, 3, 2);
    cr_assert_eq(mob_result_exit_code(r, &o), 0);
    mob_result_free(r);
    char *text = test_read_file(order_path);
    unlink(order_path);
    cr_assert(strncmp(text, "-1:global_setup\n", 16) == 0, "global_setup first:\n%s", text);
    size_t len = strlen(text);
    cr_assert(len > 20 && strcmp(text + len - 19, "-1:global_teardown\n") == 0,
              "global_teardown last:\n%s", text);
    static const char *const want[] = {"bot_setup", "session_setup", "run", "run",
                                       "session_teardown+var", "bot_teardown"};
    for (int id = 0; id < 3 * processes; id++) {
        int k = 0;
        char prefix[16];
        int pl = snprintf(prefix, sizeof prefix, "%d:", id);
        for (char *l = text; *l; l = strchr(l, '\n') + 1) {
            if (strncmp(l, prefix, (size_t)pl) != 0)
                continue;
            size_t n = (size_t)(strchr(l, '\n') - l) - (size_t)pl;
            cr_assert_lt(k, 6, "bot %d did more:\n%s", id, text);
            cr_assert(strlen(want[k]) == n && strncmp(l + pl, want[k], n) == 0,
                      "bot %d, step %d: want %s:\n%s", id, k, want[k], text);
            k++;
        }
        cr_assert_eq(k, 6, "bot %d did %d of 6:\n%s", id, k, text);
    }
}

Test(events, session_fixtures_run_in_molotovs_order, .timeout = 10)
{
    check_order(1);
}

Test(events, session_fixtures_run_in_molotovs_order_in_every_process, .timeout = 20)
{
    check_order(2);
}

/* ---- failing session hooks ---------------------------------------------------------------- */

static int ss_runs, ss_made, ss_teardowns, ss_bot_teardowns, ss_teardown_of_1;

static int count_run(mob_worker *w) { (void)w; ss_runs++; return 0; }
static int count_bteardown(mob_worker *w) { (void)w; ss_bot_teardowns++; return 0; }

static int count_steardown(mob_worker *w)
{
    ss_teardowns++;
    ss_teardown_of_1 += w->id == 1;
    return 0;
}

static int refuse_bot_1(mob_worker *w)
{
    if (w->id == 1)
        return -ECONNREFUSED;
    ss_made++;
    return 0;
}
static int fail_steardown(mob_worker *w) { (void)w; return 1; }

Test(events, a_failing_session_setup_is_counted_and_stops_the_run, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", count_run, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .session_setup = refuse_bot_1,
                   .session_teardown = count_steardown, .bot_teardown = count_bteardown};
    mob_options o = quiet_options();
    o.bots = 3;
    o.duration_ns = 5 * MOB_NS_PER_SEC;
    o.delay_ns = MOB_NS_PER_MS; /* bots 0 and 2 would run for 5 s if nothing stopped them */
    mob_result *r;
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.session_setup_failed, 1);
    cr_assert_eq(t.session_setup_failed_rc, -ECONNREFUSED);
    cr_assert_lt(mob_clock_ns() - t0, 2 * MOB_NS_PER_SEC, "the failure stops the run");
    cr_assert_eq(mob_result_exit_code(r, &o), 1);
    cr_assert_geq(ss_made, 1, "bot 0 made its session before bot 1 failed");
    cr_assert_eq(ss_teardowns, ss_made, "every session made is ended");
    cr_assert_eq(ss_teardown_of_1, 0, "no session, no session_teardown: bot 1 has none");
    cr_assert_eq(ss_bot_teardowns, 3, "bot_teardown runs for every bot");
    cr_assert_eq(t.ok, (uint64_t)ss_runs, "bot 1 ran no scenario; the others' runs count");
    mob_result_free(r);
}

Test(events, a_failing_session_teardown_is_counted_and_ignored, .timeout = 20)
{
    static const mob_scenario sc[] = {{"s", ok_fn, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .session_teardown = fail_steardown};
    mob_options o = quiet_options();
    o.processes = 2; /* the counts of both processes add up */
    mob_result *r = run_n(&s, &o, 4, 3);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.session_teardown_failed, 8);
    cr_assert_eq(t.ok, 24);
    cr_assert_eq(mob_result_exit_code(r, &o), 0, "teardown failures do not fail the run");
    mob_result_free(r);
}

/* ---- listeners ---------------------------------------------------------------------------- */

/* What the listeners saw, by kind, and the last current_workers values in order. */
static struct {
    int count[MOB_EV_NKINDS];
    int by_class[MOB_FAIL_NCLASS];
    int reasons;             /* scenario_failure events with the scenario's reason */
    int workers[64], nworkers;
    int order_ok, order_bad; /* listener 2 always right after listener 1 */
    int last;                /* the listener that ran last: 1 or 2 */
    int custom_data_ok;
    int status[8], nstatus;  /* response_received statuses, in order */
    int get_ok;              /* sending_request events with method GET and target /x */
    uint64_t body;           /* body bytes in response_received events */
    int calls;               /* calls of the failing listener */
} seen;

static int first(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ud;
    seen.order_bad += seen.last == 1;
    seen.last = 1;
    seen.count[ev->kind]++;
    if (ev->kind == MOB_EV_SCENARIO_FAILURE) {
        if (ev->fail > 0 && ev->fail < MOB_FAIL_NCLASS)
            seen.by_class[ev->fail]++;
        seen.reasons += ev->reason && strcmp(ev->reason, "odd step") == 0;
    }
    if (ev->kind == MOB_EV_CURRENT_WORKERS && seen.nworkers < 64)
        seen.workers[seen.nworkers++] = ev->workers;
    if (ev->kind == MOB_EV_CUSTOM)
        seen.custom_data_ok += strcmp(ev->name, "login") == 0 && ev->data == (void *)&seen;
    if (ev->kind == MOB_EV_SENDING_REQUEST)
        seen.get_ok += ev->method_len == 3 && memcmp(ev->method, "GET", 3) == 0 &&
                       ev->target_len == 2 && memcmp(ev->target, "/x", 2) == 0 &&
                       ev->request_len > 20 && strcmp(ev->scheme, "http") == 0 &&
                       ev->host_len > 10 && memcmp(ev->host, "127.0.0.1:", 10) == 0;
    if (ev->kind == MOB_EV_RESPONSE_RECEIVED) {
        if (seen.nstatus < 8)
            seen.status[seen.nstatus++] = ev->status;
        seen.body += ev->body_len;
        cr_expect_gt(ev->latency_ns, 0);
        cr_expect(ev->status != 200 || ev->nheaders == 1, "Content-Length");
    }
    return 0;
}

static int second(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ev, (void)ud;
    seen.order_ok += seen.last == 1;
    seen.order_bad += seen.last != 1;
    seen.last = 2;
    return 0;
}

static int odd_fails(mob_worker *w)
{
    if (w->step % 2 == 0)
        return 0;
    w->reason = "odd step";
    return MOB_FAIL_STATUS;
}

static const mob_listener two[] = {{first, NULL, NULL, 0}, {second, NULL, "second", 0}, {0}};

Test(events, listeners_see_each_scenario_run_and_the_bot_count_at_the_start_and_end,
     .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", odd_fails, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .listeners = two};
    mob_options o = quiet_options();
    mob_result *r = run_n(&s, &o, 3, 4);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.ok, 6);
    cr_assert_eq(t.failures, 6);
    cr_assert_eq(seen.count[MOB_EV_SCENARIO_START], 12, "one start per run");
    cr_assert_eq(seen.count[MOB_EV_SCENARIO_SUCCESS], 6);
    cr_assert_eq(seen.count[MOB_EV_SCENARIO_FAILURE], 6);
    cr_assert_eq(seen.by_class[MOB_FAIL_STATUS], 6, "failures carry their class");
    cr_assert_eq(seen.reasons, 6, "and the scenario's reason");
    /* A run shorter than a second: the count once the bots are spawned, and 0 at the end
     * (test_events_workers.c has the once-a-second ticks of a longer run). */
    cr_assert_eq(seen.nworkers, 2);
    cr_assert_eq(seen.workers[0], 3);
    cr_assert_eq(seen.workers[1], 0);
    int total = 0;
    for (int k = 0; k < MOB_EV_NKINDS; k++)
        total += seen.count[k];
    cr_assert_eq(seen.order_ok, total, "the second listener follows the first every time");
    cr_assert_eq(seen.order_bad, 0);
    cr_assert_eq(t.listener_failed, 0);
    cr_assert_eq(mob_result_exit_code(r, &o), 0, "listeners change nothing of the exit code");
    mob_result_free(r);
}

static int sends_login(mob_worker *w)
{
    int n = mob_run_event_send(w, "login", &seen);
    cr_expect_eq(n, 2, "both listeners were called");
    cr_expect_eq(mob_run_event_send(w, NULL, NULL), -EINVAL);
    return 0;
}

Test(events, a_scenario_sends_custom_events, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", sends_login, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .listeners = two};
    mob_options o = quiet_options();
    mob_result *r = run_n(&s, &o, 2, 5);
    cr_assert_eq(seen.count[MOB_EV_CUSTOM], 10);
    cr_assert_eq(seen.custom_data_ok, 10, "with its name and data");
    mob_result_free(r);
}

static int always_fails(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ev, (void)ud;
    seen.calls++;
    return -EIO;
}

static int returns_7(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ev, (void)ud;
    return 7;
}

static mob_result *failing_result;

static void run_failing(void)
{
    static const mob_listener bad[] = {{always_fails, NULL, "auditor", 0},
                                       {returns_7, NULL, NULL, 0}, {0}};
    static const mob_scenario sc[] = {{"s", sends_login, 1, 0}, {NULL, NULL, 0, 0}};
    static mob_suite s = {.scenarios = sc, .listeners = bad};
    static mob_options o;
    o = quiet_options();
    o.quiet = 0; /* the failures are said on stderr */
    failing_result = run_n(&s, &o, 2, 3);
    cr_assert_eq(mob_result_exit_code(failing_result, &o), 0, "ignored: the run passes");
}

Test(events, a_failing_listener_is_counted_said_once_per_event_kind_and_ignored, .timeout = 10)
{
    char *err = test_stderr_of(run_failing);
    mob_totals t;
    mob_result_totals(failing_result, &t);
    cr_assert_eq(t.ok, 6, "every run went on");
    /* 6 starts, 6 successes, 6 customs and 2 worker counts (start, end), to each of the two. */
    cr_assert_eq(seen.calls, 20);
    cr_assert_eq(t.listener_failed, 40);
    static const char *const lines[] = {
        "mob: auditor failed on scenario_start: Input/output error;",
        "mob: auditor failed on scenario_success: Input/output error;",
        "mob: auditor failed on custom event login: Input/output error;",
        "mob: auditor failed on current_workers: Input/output error;",
        "mob: listener 1 failed on scenario_start: it returned 7;",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        const char *at = strstr(err, lines[i]);
        cr_assert_not_null(at, "missing '%s' in:\n%s", lines[i], err);
        cr_assert_null(strstr(at + 1, lines[i]), "said twice: '%s' in:\n%s", lines[i], err);
    }
    char path[] = "/tmp/mob-events-json-XXXXXX";
    close(mkstemp(path));
    cr_assert_eq(mob_result_write_json(failing_result, path), 0);
    mob_result_free(failing_result);
    char *json = test_read_file(path);
    cr_assert_eq(test_json_num(json, "listener_failed"), 40, "in the JSON report too");
    mob_result *back;
    cr_assert_eq(mob_result_read_json(path, &back), 0);
    unlink(path);
    mob_result_totals(back, &t);
    cr_assert_eq(t.listener_failed, 40, "and read back");
    mob_result_free(back);
}

/* ---- HTTP events -------------------------------------------------------------------------- */

/* Starts the load tests' server (test_run_server.c) and writes its URL, path /x. */
static pid_t server_at(char *url, size_t cap)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    snprintf(url, cap, "http://127.0.0.1:%d/x", port);
    return srv;
}

/* The built-in suite against the server of pid at url, with the two listeners, bots x runs
 * of it; stops the server and returns the run's totals. */
static mob_totals run_http(int pid, const char *url, int bots, int runs)
{
    mob_totals t = test_run_builtin(url, two, bots, runs);
    test_child_stop(pid);
    return t;
}

/* The same against tests/hostile in this mode. */
static mob_totals run_hostile(const char *mode, int bots, int runs)
{
    int port;
    int pid = test_hostile_start(mode, &port);
    cr_assert_gt(pid, 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    return run_http(pid, url, bots, runs);
}

Test(events, an_http_run_sends_each_request_and_response_to_the_listeners, .timeout = 20)
{
    char url[64];
    pid_t srv = server_at(url, sizeof url);
    mob_totals t = run_http(srv, url, 2, 3);
    cr_assert_eq(t.ok, 6);
    cr_assert_eq(seen.count[MOB_EV_SENDING_REQUEST], 6);
    cr_assert_eq(seen.get_ok, 6, "GET http://127.0.0.1:PORT/x, with the request's length");
    cr_assert_eq(seen.count[MOB_EV_RESPONSE_RECEIVED], 6);
    for (int i = 0; i < seen.nstatus; i++)
        cr_assert_eq(seen.status[i], 200);
    cr_assert_eq(seen.body, 12, "\"ok\" six times");
    cr_assert_eq(seen.count[MOB_EV_SCENARIO_SUCCESS], 6);
}

Test(events, responses_carry_their_status_and_a_failed_exchange_has_none, .timeout = 20)
{
    run_hostile("204", 1, 2);
    cr_assert_eq(seen.nstatus, 2);
    cr_assert_eq(seen.status[0], 204);
    cr_assert_eq(seen.status[1], 204);
    memset(&seen, 0, sizeof seen);
    mob_totals t = run_hostile("reset", 1, 2);
    cr_assert_eq(t.failures, 2);
    cr_assert_eq(seen.count[MOB_EV_SENDING_REQUEST], 2);
    cr_assert_eq(seen.count[MOB_EV_RESPONSE_RECEIVED], 0, "no response, no event");
    cr_assert_eq(seen.by_class[MOB_FAIL_READ], 2);
}

/* Whether mob_worker_observe_http set an observer, and a body buffer, per run. */
static int observed, not_observed, buffered;

static int probe_observer(mob_worker *w)
{
    char buf[256];
    mob_http_conn c;
    cr_expect_eq(mob_http_conn_init(&c, "127.0.0.1", 9, buf, sizeof buf, NULL), 0);
    mob_worker_observe_http(w, &c);
    observed += c.observe != NULL;
    not_observed += c.observe == NULL;
    buffered += c.body_buf != NULL;
    return 0;
}

static int nothing(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ev, (void)ud;
    return 0;
}

Test(events, with_no_listener_a_connection_gets_no_observer, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", probe_observer, 1, 0}, {NULL, NULL, 0, 0}};
    static const mob_listener one[] = {{nothing, NULL, NULL, 0}, {0}};
    mob_suite s = {.scenarios = sc};
    mob_options o = quiet_options();
    mob_result *r = run_n(&s, &o, 2, 2);
    mob_result_free(r);
    cr_assert_eq(not_observed, 4);
    cr_assert_eq(observed, 0);
    s.listeners = one;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_result_free(r);
    cr_assert_eq(observed, 4, "a listener: observed");
    cr_assert_eq(buffered, 0, "asking for no body: no copy of bodies");
    s.listeners = NULL;
    o.quiet = 0;
    o.verbose = 2;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_result_free(r);
    cr_assert_eq(observed, 8, "-vv: observed");
    cr_assert_eq(buffered, 4, "-vv shows bodies: kept");
}

static int slow_for_bot_1(mob_worker *w)
{
    return w->id == 1 ? mob_sleep(w->bot, 10 * MOB_NS_PER_SEC) : 0;
}

Test(events, a_session_setup_cut_by_the_end_of_the_run_is_no_failure, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", ok_fn, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .session_setup = slow_for_bot_1};
    mob_options o = quiet_options();
    o.bots = 2;
    o.duration_ns = 200 * MS;
    o.delay_ns = MS;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.session_setup_failed, 0, "bot 1 was still logging in at the end");
    cr_assert_gt(t.ok, 0);
    cr_assert_eq(mob_result_exit_code(r, &o), 0);
    mob_result_free(r);
}

static int wrong_password(mob_worker *w)
{
    w->reason = "wrong password";
    return MOB_FAIL_OTHER;
}

static mob_result *pw_result;

static void run_wrong_password(void)
{
    static const mob_scenario sc[] = {{"s", ok_fn, 1, 0}, {NULL, NULL, 0, 0}};
    static mob_suite s = {.scenarios = sc, .session_setup = wrong_password};
    static mob_options o;
    o = quiet_options();
    o.quiet = 0;
    pw_result = run_n(&s, &o, 2, 3);
    mob_result_print(pw_result, stderr);
}

Test(events, a_failing_session_setup_says_its_reason_once_and_the_summary_counts_it,
     .timeout = 10)
{
    char *err = test_stderr_of(run_wrong_password);
    const char *line = "mob: bot 0: session setup failed: wrong password; the run stops\n";
    const char *at = strstr(err, line);
    cr_assert_not_null(at, "%s", err);
    cr_assert_null(strstr(at + strlen(line), "session setup failed:"), "said once: %s", err);
    cr_assert_not_null(strstr(err, "Session hooks failed: setup 1, teardown 0"), "%s", err);
    cr_assert_not_null(strstr(err, "Stopped: a bot's session setup failed (other)"), "%s", err);
    mob_totals t;
    mob_result_totals(pw_result, &t);
    cr_assert_eq(t.ok, 0, "the run stopped before any scenario");
    mob_result_free(pw_result);
}
