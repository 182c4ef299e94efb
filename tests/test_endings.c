/* SPDX-License-Identifier: MIT */
/*
 * How a run ends, through the mob command (issue 11, parts 1-3): the run ends on time whatever
 * the server does; -d is graceful as in molotov (runs in flight finish within --timeout and
 * count), --force-shutdown cuts them and counts them as cut; a server that never answers can
 * never pass a -f gate; each exit code of README's table; SIGINT, SIGTERM and SIGHUP each end
 * the run with a complete report and exit 128 + N.
 *
 * The servers are tiny ones of this file, one mode each, in a forked child.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

#define MS MOB_NS_PER_MS

enum mode { HANG, ENDLESS, SLOW };

static struct {
    enum mode mode;
    int64_t delay_ns;
} srv;

static intptr_t conn_bot(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    char buf[4096];
    size_t have = 0;
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    char chunk[4096 + 16];
    int k = snprintf(chunk, sizeof chunk, "%x\r\n", 4096);
    memset(chunk + k, 'x', 4096);
    memcpy(chunk + k + 4096, "\r\n", 2);
    for (;;) {
        ssize_t n = mob_read(self, fd, buf + have, sizeof buf - 1 - have, MOB_FOREVER);
        if (n <= 0)
            return 0;
        have += (size_t)n;
        buf[have] = 0;
        if (!strstr(buf, "\r\n\r\n"))
            continue;
        have = 0;
        switch (srv.mode) {
        case HANG:
            mob_sleep(self, MOB_FOREVER);
            return 0;
        case ENDLESS:
            if (mob_write_all(self, fd, head, sizeof head - 1, MOB_FOREVER) < 0)
                return 0;
            while (mob_write_all(self, fd, chunk, (size_t)k + 4098, MOB_FOREVER) >= 0)
                ;
            return 0;
        case SLOW:
            mob_sleep(self, srv.delay_ns);
            if (mob_write_all(self, fd, ok, sizeof ok - 1, MOB_FOREVER) < 0)
                return 0;
            break;
        }
    }
}

static pid_t server_start(enum mode mode, int64_t delay_ns, char *url, size_t urlcap)
{
    srv.mode = mode;
    srv.delay_ns = delay_ns;
    int port;
    pid_t pid = test_server_fork(&port, conn_bot, NULL);
    snprintf(url, urlcap, "http://127.0.0.1:%d/", port);
    return pid;
}

static mob_result *read_report(const char *path)
{
    mob_result *r = NULL;
    int rc = mob_result_read_json(path, &r);
    cr_assert_eq(rc, 0, "%s: %s", path, mob_strerror(rc));
    return r;
}

static void tmp_path(char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "/tmp/mob-endings-%s-%d.json", tag, (int)getpid());
    unlink(buf);
}

/* A body that never ends: every run is a timeout at its --timeout, and the run ends on time. */
Test(endings, an_endless_body_times_out_and_the_run_ends_on_time, .timeout = 20)
{
    char url[64], json[128];
    tmp_path(json, sizeof json, "endless");
    pid_t s = server_start(ENDLESS, 0, url, sizeof url);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, "-w", "8", "-d", "1s", "--timeout", "300ms", "--no-live", "--json", json, url);
    int64_t took = mob_clock_ns() - t0;
    test_child_stop(s);
    cr_assert_eq(o.code, 1, "nothing succeeded: exit 1, got %d: %s", o.code, o.err);
    /* The last runs begin just before 1 s and time out 300 ms later; 200 ms for the rest. */
    cr_assert_lt(took, 1500 * MS * test_slow_factor(), "took %lld ms", (long long)(took / MS));
    mob_totals t = test_report_totals(json);
    cr_assert_geq(t.fail[MOB_FAIL_TIMEOUT], 8 * 3, "%llu timeouts",
                  (unsigned long long)t.fail[MOB_FAIL_TIMEOUT]);
    cr_assert_eq(t.cancelled, 0, "graceful: every run ran to its timeout");
    unlink(json);
}

/* A server that accepts and never answers: graceful -d waits for the runs in flight, which
 * become timeouts; the -f gate sees them. */
Test(endings, a_server_that_never_answers_fails_the_gate_gracefully, .timeout = 20)
{
    char url[64], json[128];
    tmp_path(json, sizeof json, "hang");
    pid_t s = server_start(HANG, 0, url, sizeof url);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, "-w", "6", "-d", "300ms", "--timeout", "700ms", "-f", "1", "--no-live", "--json",
        json, url);
    int64_t took = mob_clock_ns() - t0;
    test_child_stop(s);
    cr_assert_eq(o.code, 1, "exit %d: %s", o.code, o.err);
    TIME_EXPECT(took, 700 * MS, 300);
    mob_totals t = test_report_totals(json);
    cr_assert_eq(t.fail[MOB_FAIL_TIMEOUT], 6);
    cr_assert_eq(t.ok + t.cancelled, 0);
    cr_assert_not_null(strstr(o.out, "SUCCESSES: 0 | FAILURES: 6\n"), "%s", o.out);
}

/* The same under --force-shutdown: the run ends at -d and the runs in flight count as cut, in
 * the summary, the JSON and the gate. */
Test(endings, force_shutdown_cuts_runs_in_flight_and_counts_them, .timeout = 20)
{
    char url[64], json[128];
    tmp_path(json, sizeof json, "force");
    pid_t s = server_start(HANG, 0, url, sizeof url);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, "-w", "6", "-d", "300ms", "--force-shutdown", "--no-live", "--json", json, url);
    int64_t took = mob_clock_ns() - t0;
    test_child_stop(s);
    cr_assert_eq(o.code, 1, "a run where nothing succeeded exits 1, got %d", o.code);
    TIME_EXPECT(took, 300 * MS, 200);
    cr_assert_not_null(strstr(o.out, "SUCCESSES: 0 | FAILURES: 0 | CUT: 6\n"), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "Cut short by the end of the run: 6 runs (get 6)"), "%s",
                       o.out);
    mob_result *r = read_report(json);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.cancelled, 6);
    mob_scenario_stats ss;
    cr_assert_eq(mob_result_scenario(r, 0, &ss), 0);
    cr_assert_eq(ss.cut, 6, "the scenario's own count");
    mob_options opt;
    mob_options_init(&opt);
    opt.fail_threshold = 6;
    t.ok = 1;
    cr_assert_eq(mob_result_exit_code(r, &opt), 1, "6 cut runs reach -f 6");
    mob_result_free(r);
    unlink(json);
}

/* Graceful -d as in molotov: the run in flight at the end finishes and counts as a success;
 * with --force-shutdown it is cut. One bot, 250 ms answers, -d 400 ms: runs end at 250 and 500
 * ms, the second one in flight at the end. */
Test(endings, graceful_end_counts_the_run_in_flight, .timeout = 20)
{
    char url[64], json[128];
    tmp_path(json, sizeof json, "graceful");
    pid_t s = server_start(SLOW, 250 * MS, url, sizeof url);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, "-w", "1", "-d", "400ms", "--no-live", "--json", json, url);
    int64_t took = mob_clock_ns() - t0;
    cr_assert_eq(o.code, 0, "exit %d: %s", o.code, o.err);
    TIME_EXPECT(took, 500 * MS, 200);
    mob_totals t = test_report_totals(json);
    cr_assert_eq(t.ok, 2, "%llu ok", (unsigned long long)t.ok);
    cr_assert_eq(t.cancelled, 0);

    t0 = mob_clock_ns();
    MOB(&o, "-w", "1", "-d", "400ms", "--force-shutdown", "--no-live", "--json", json, url);
    took = mob_clock_ns() - t0;
    test_child_stop(s);
    cr_assert_eq(o.code, 0, "one success, no gate: exit 0, got %d: %s", o.code, o.err);
    TIME_EXPECT(took, 400 * MS, 200);
    t = test_report_totals(json);
    cr_assert_eq(t.ok, 1);
    cr_assert_eq(t.cancelled, 1);
    unlink(json);
}

/* README's exit-code table, each row. */
Test(endings, exit_codes_follow_the_table, .timeout = 30)
{
    char url[64], json[128];
    tmp_path(json, sizeof json, "codes");
    pid_t s = server_start(SLOW, 0, url, sizeof url);
    struct test_out o;
    MOB(&o, "-w", "2", "-r", "5", "-q", url);
    cr_assert_eq(o.code, 0, "all good: %s", o.err);
    MOB(&o, "-w", "2", "-r", "5", "-q", "-x", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 1, "-x fired");
    MOB(&o, "-w", "2", "-r", "5", "-q", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 1, "nothing succeeded (refused), even without -f");
    MOB(&o, "-w", "0", url);
    cr_assert_eq(o.code, 2, "usage");
    cr_assert_not_null(strstr(o.err, "1 to 10M"), "the range is named: %s", o.err);
    for (int i = 0; i < 3; i++) {
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
        unlink(json);
        test_run_mob(&o, sigs[i], 400 * MS,
                     (const char *const[]){"-w", "2", "-d", "20s", "--no-live", "--json", json,
                                           url, NULL});
        cr_assert_eq(o.code, 128 + sigs[i], "signal %d: exit %d: %s", sigs[i], o.code, o.err);
        cr_assert_not_null(strstr(o.out, "SUCCESSES: "), "the summary is printed: %s", o.out);
        mob_totals t = test_report_totals(json);
        cr_assert_eq(t.interrupted, sigs[i]);
        cr_assert_gt(t.ok, 10);
    }
    test_child_stop(s);
    unlink(json);
}

static int ok_run(mob_worker *w)
{
    return mob_sleep(w->bot, MS) < 0 ? -ECANCELED : 0;
}

static int third_bot_refused(mob_worker *w)
{
    return w->id == 2 ? -ECONNREFUSED : 0;
}

static int global_unreachable(const mob_options *o, void **ud)
{
    (void)o;
    (void)ud;
    return -EHOSTUNREACH;
}

/* molotov: a failing per-bot setup is counted and stops the whole run; a failing global setup
 * stops it before any load, and the command exits 2. */
Test(endings, a_failed_setup_stops_the_run, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", ok_run, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.name = "setup", .scenarios = sc, .bot_setup = third_bot_refused};
    mob_options o;
    mob_options_init(&o);
    o.bots = 8;
    o.duration_ns = 5 * MOB_NS_PER_SEC;
    o.quiet = 1;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.setup_failed, 1);
    cr_assert_eq(t.setup_failed_rc, -ECONNREFUSED);
    cr_assert_lt(t.elapsed_ns, 1000 * MS, "stopped, not run for 5 s: %lld ms",
                 (long long)(t.elapsed_ns / MS));
    cr_assert_eq(mob_result_exit_code(r, &o), 1);
    mob_result_free(r);

    s.bot_setup = NULL;
    s.global_setup = global_unreachable;
    char *argv[] = {"prog", "-w", "2", "-d", "5s", "-q", NULL};
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_main(6, argv, &s), 2, "a set-up error found before any load");
    cr_assert_lt(mob_clock_ns() - t0, 500 * MS);
}
