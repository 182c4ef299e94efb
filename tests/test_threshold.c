/* SPDX-License-Identifier: MIT */
/*
 * test_threshold.c: k6-style thresholds (src/run/threshold.c): the expression grammar, the
 * verdicts on a result whose numbers the test sets, and the mob command end to end against
 * the project's own HTTP server answering 5 ms late: the table in the summary and the JSON,
 * exit 1 when one fails, the early stop, and malformed expressions (exit 2).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "run/run.h"

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

#define MS MOB_NS_PER_MS

Test(threshold, the_grammar)
{
    mob_threshold t;
    cr_assert_eq(mob_threshold_parse("p99<200ms", &t), 0);
    cr_assert(t.metric == MOB_TH_PERCENTILE && t.pct == 99 && t.op == '<' && t.limit == 200e6);
    cr_assert_eq(mob_threshold_parse("p95<=50", &t), 0);
    cr_assert(t.op == 'l' && t.limit == 50e6, "a bare number is milliseconds");
    cr_assert_eq(mob_threshold_parse("p(99.9)<1.5s", &t), 0);
    cr_assert(t.pct == 99.9 && t.limit == 1.5e9);
    cr_assert_eq(mob_threshold_parse("failures<1%", &t), 0);
    cr_assert(t.metric == MOB_TH_FAILURES && t.percent && fabs(t.limit - 0.01) < 1e-12);
    cr_assert_eq(mob_threshold_parse("failures<=10", &t), 0);
    cr_assert(!t.percent && t.limit == 10);
    cr_assert_eq(mob_threshold_parse("rps>5k", &t), 0);
    cr_assert(t.metric == MOB_TH_RPS && t.op == '>' && t.limit == 5000);
    cr_assert_eq(mob_threshold_parse("login:p99<50ms", &t), 0);
    cr_assert_str_eq(t.scenario, "login");
    cr_assert_eq(mob_threshold_parse("a:b:mean>=2us,abort", &t), 0);
    cr_assert(!strcmp(t.scenario, "a:b") && t.metric == MOB_TH_MEAN && t.op == 'g' && t.abort);
    cr_assert_eq(mob_threshold_parse("med<3ms", &t), 0);
    cr_assert_eq(t.pct, 50);
    static const char *const bad[] = {"",          "p99",     "p99<",      "p99<<2",
                                      "p0<1ms",    "p101<1",  "q99<1",     "p99<1parsec",
                                      "failures<x%", "rps>fast", ":p99<1",  "failures<200%",
                                      "p99=1ms",   "p(99<1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(mob_threshold_parse(bad[i], &t), -EINVAL, "'%s' was taken", bad[i]);
}

/* A result with 98 runs of 10 ms and 2 of 100 ms in "get", 1 failure, over 2 s. */
static mob_result *made_result(void)
{
    const char *names[] = {"get", "login"};
    mob_result *r = mob__result_new("t", "x", names, 2);
    cr_assert_not_null(r);
    for (int i = 0; i < 98; i++)
        mob__result_record(r, 0, 0, 10 * MS);
    mob__result_record(r, 0, 0, 100 * MS);
    mob__result_record(r, 0, 0, 100 * MS);
    mob__result_record(r, 0, MOB_FAIL_STATUS, 0);
    mob__result_tick(r); /* the run-wide histogram takes each second as it closes */
    r->t.elapsed_ns = 2 * MOB_NS_PER_SEC;
    return r;
}

static int verdict(const char *expr, const mob_result *r, double *v)
{
    mob_threshold t;
    cr_assert_eq(mob_threshold_parse(expr, &t), 0, "%s", expr);
    return mob_threshold_eval(&t, r, 0, v);
}

Test(threshold, verdicts_on_known_numbers)
{
    mob_result *r = made_result();
    double v;
    cr_assert_eq(verdict("p50<11ms", r, &v), 1);
    cr_assert(fabs(v - 10e6) < 10e6 * 0.002, "p50 %f", v);
    cr_assert_eq(verdict("p99<50ms", r, &v), 0, "two slow runs in a hundred put p99 at 100 ms");
    cr_assert_eq(verdict("max<=100ms", r, &v), 1, "max %f", v);
    cr_assert_eq(verdict("max<100ms", r, NULL), 0);
    cr_assert_eq(verdict("failures<0.9%", r, &v), 0);
    cr_assert(fabs(v - 1.0 / 101) < 1e-12);
    cr_assert_eq(verdict("failures<1%", r, NULL), 1, "1 in 101 is under 1%");
    cr_assert_eq(verdict("failures<=1", r, NULL), 1);
    cr_assert_eq(verdict("rps>50", r, &v), 1);
    cr_assert(fabs(v - 50.5) < 1e-9, "101 runs in 2 s: %f", v);
    cr_assert_eq(verdict("rps>=51", r, NULL), 0);
    cr_assert_eq(verdict("get:p50<11ms", r, NULL), 1);
    cr_assert_eq(verdict("login:p50<11ms", r, &v), 0, "no data is not a pass");
    cr_assert(isnan(v));
    cr_assert_eq(verdict("nope:p50<1s", r, NULL), -ENOENT);
    mob_options o;
    mob_options_init(&o);
    mob_threshold_parse("p50<11ms", &o.thresholds[0]);
    mob_threshold_parse("failures<0.9%", &o.thresholds[1]);
    o.nthresholds = 2;
    cr_assert_eq(mob__thresholds_apply(r, &o), 0);
    const char *expr;
    int pass;
    cr_assert_eq(mob_result_threshold(r, 1, &expr, &v, &pass), 2);
    cr_assert_str_eq(expr, "failures<0.9%");
    cr_assert_eq(pass, 0);
    cr_assert_eq(mob_result_exit_code(r, &o), 1, "a failing threshold fails the run");
    o.thresholds[1] = o.thresholds[0];
    mob__thresholds_apply(r, &o);
    cr_assert_eq(mob_result_exit_code(r, &o), 0);
    mob_result_free(r);
}

Test(threshold_cli, the_table_the_json_and_the_exit_code, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 5 * MS, 0, 0);
    char url[64], json[] = "/tmp/mob-th-XXXXXX";
    close(mkstemp(json));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct test_out o;
    MOB(&o, url, "-w", "2", "-r", "20", "--no-live", "--threshold", "p50<500ms", "--threshold",
        "failures<1%", "--json", json);
    cr_assert_eq(o.code, 0, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "p50<500ms"), "%s", o.out);
    cr_assert(strstr(o.out, "pass"), "%s", o.out);
    const char *j = test_read_file(json);
    cr_assert(strstr(j, "\"thresholds\":[{\"expr\":\"p50<500ms\",\"value\":"), "%s", j);
    cr_assert(strstr(j, "\"pass\":true}"), "%s", j);
    /* The server takes 5 ms: p50 under 1 ms cannot hold. */
    MOB(&o, url, "-w", "2", "-r", "20", "--no-live", "--threshold", "get:p50<1ms", "--json",
        json);
    cr_assert_eq(o.code, 1, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "get:p50<1ms"), "%s", o.out);
    cr_assert(strstr(o.out, "FAIL"), "%s", o.out);
    j = test_read_file(json);
    cr_assert(strstr(j, "\"pass\":false}"), "%s", j);
    unlink(json);
    test_child_stop(srv);
}

Test(threshold_cli, abort_stops_the_run_when_crossed, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 5 * MS, 0, 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, url, "-w", "2", "-d", "20s", "--no-live", "--threshold", "p50<1ms,abort");
    int64_t took = mob_clock_ns() - t0;
    cr_assert_eq(o.code, 1, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "Stopped early: threshold p50<1ms,abort crossed"), "%s", o.out);
    cr_assert_lt(took, 5 * MOB_NS_PER_SEC * test_slow_factor(), "ran %lld ms of 20 s",
                 (long long)(took / MS));
    /* --threshold-abort makes every threshold stop the run; -p children stop too. */
    t0 = mob_clock_ns();
    MOB(&o, url, "-w", "2", "-p", "2", "-d", "20s", "--no-live", "--threshold", "p50<1ms",
        "--threshold-abort");
    took = mob_clock_ns() - t0;
    cr_assert_eq(o.code, 1, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "Stopped early"), "%s", o.out);
    cr_assert_lt(took, 5 * MOB_NS_PER_SEC * test_slow_factor());
    test_child_stop(srv);
}

Test(threshold_cli, malformed_thresholds_exit_2_with_a_message)
{
    static const char *const bad[] = {"p99", "p99<<1", "latency<1ms", "failures<lots",
                                      "nope:p99<1ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct test_out o;
        MOB(&o, "http://127.0.0.1:9/", "-r", "1", "--threshold", bad[i]);
        cr_expect_eq(o.code, 2, "%s: exit %d", bad[i], o.code);
        cr_expect(strstr(o.err, "--threshold"), "%s: %s", bad[i], o.err);
    }
}
