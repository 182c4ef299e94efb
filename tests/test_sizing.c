/* SPDX-License-Identifier: MIT */
/*
 * test_sizing.c: molotov's --sizing: its judge alone (the window, the floor, the tolerance), and
 * the real `mob` command against the hostile server's cap mode (tests/hostile_server.c): room
 * for ROOM connections at once, a 503 to every request of the others, each answer 1 ms after
 * its request. mob's http:// bots hold one keep-alive connection each, so bots 1..ROOM never
 * fail and every bot past ROOM always does.
 *
 * The band of bots the verdict may name, derived, not measured:
 *   - low: ROOM + 1. With ROOM bots or fewer nothing fails, so no window can pass the tolerance.
 *   - high: ROOM + 1 + RATE * (WINDOW + 2 s). Once bot ROOM + 1 has started, its failures and
 *     those of every bot after it are in the window; with every bot at the server's pace, the
 *     failed share of a 1 s window passes 5 % within that window plus the tick that closes it
 *     (the judge looks once a second) and a second of slack for a loaded machine, during
 *     which the ramp adds RATE bots a second.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"
#include "run/run.h"

#define ROOM 10
#define TOLERANCE 5.0

/* The number after "key": in the JSON text, as a double. */
static double json_double(const char *text, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(text, k);
    cr_assert_not_null(p, "no %s in %.300s", key, text);
    return strtod(p + strlen(k), NULL);
}

/* The "sizing" object of a report's text (a static copy), asserted present. */
static const char *sizing_json(const char *text)
{
    static char obj[512];
    const char *p = strstr(text, "\"sizing\":{");
    cr_assert_not_null(p, "no sizing object in the report");
    const char *e = strchr(p, '}');
    cr_assert_not_null(e);
    snprintf(obj, sizeof obj, "%.*s", (int)(e - p + 1), p);
    return obj;
}

/* Runs `mob URL --sizing --no-live --json FILE FLAGS...` against a fresh hostile server in
 * `mode`. Returns the JSON report's text (test_read_file's buffer). */
static const char *sizing_run(struct test_out *o, const char *mode, const char *const *flags)
{
    char json[] = "/tmp/mob-sizing-XXXXXX";
    int port, srv = test_hostile_start(mode, &port);
    cr_assert_gt(srv, 0, "cannot start %s/tests/hostile %s", test_build_dir(), mode);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    int fd = mkstemp(json);
    cr_assert_geq(fd, 0);
    close(fd);
    const char *args[24] = {url, "--sizing", "--no-live", "--json", json};
    int n = 5;
    while (*flags && n < 23)
        args[n++] = *flags++;
    args[n] = NULL;
    test_run_mob(o, 0, 0, args);
    test_child_stop(srv);
    const char *text = test_read_file(json);
    unlink(json);
    return text;
}
#define SIZING(o, mode, ...) sizing_run((o), (mode), (const char *const[]){__VA_ARGS__, NULL})

Test(sizing, stops_once_the_failure_ratio_passes_the_tolerance_with_the_bots_past_the_room,
     .timeout = 30)
{
    /* 60 bots over 6 s: RATE 10 bots a second; no -d: the ramp plus one window (7 s). */
    struct test_out o;
    const char *text =
        SIZING(&o, "cap:10", "-w", "60", "--ramp-up", "6s", "--sizing-window", "1s");
    cr_assert_eq(o.code, 0, "exit %d: %s%s", o.code, o.out, o.err);
    cr_assert_not_null(strstr(o.out, "Sizing is over! Error Ratio "), "%s", o.out);
    const char *z = sizing_json(text);
    cr_assert_not_null(strstr(z, "\"reached\":true"), "%s", z);
    double ratio = json_double(z, "ratio");
    int bots = (int)json_double(z, "bots");
    cr_assert(ratio > TOLERANCE && ratio <= 100, "ratio %g %%", ratio);
    cr_assert(bots >= ROOM + 1 && bots <= ROOM + 1 + 10 * (1 + 2), "%d bots: %s", bots, z);
    /* The run stopped there, not at the end of the ramp (gracefully: its runs finished). */
    cr_assert_lt(o.wall_ns, 6000 * MOB_NS_PER_MS, "took %lld ns", (long long)o.wall_ns);
    char want[64];
    snprintf(want, sizeof want, "obtained with %d workers", bots);
    cr_assert_not_null(strstr(o.out, want), "the summary says what the JSON says: %s", o.out);
    cr_assert_eq(json_double(z, "tolerance"), TOLERANCE);
    cr_assert_geq(json_double(z, "ok") + json_double(z, "failures"), 100, "molotov's floor");
    /* Read back by `mob report`: the same verdict in its summary and in the HTML report. */
    char json[] = "/tmp/mob-sizing-XXXXXX", html[] = "/tmp/mob-sizing-XXXXXX";
    FILE *f = fdopen(mkstemp(json), "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    close(mkstemp(html));
    MOB(&o, "report", json, "--html", html);
    unlink(json);
    cr_assert_not_null(strstr(o.out, want), "mob report: %s%s", o.out, o.err);
    const char *page = test_read_file(html);
    unlink(html);
    const char *row = strstr(page, "id=\"sizing\"");
    cr_assert(row && strstr(row, "Sizing is over! Error Ratio") && strstr(row, want), "%.2000s",
              page);
}

Test(sizing, with_two_processes_the_verdict_is_the_whole_runs, .timeout = 30)
{
    /* 8 bots a process: neither process alone gets past the room of 10, so a verdict naming
     * more than 10 bots can only come from the sum; -d 10s would end a run nobody stopped. */
    struct test_out o;
    const char *text = SIZING(&o, "cap:10", "-p", "2", "-w", "8", "--ramp-up", "1s",
                              "--sizing-window", "1s", "-d", "10s");
    cr_assert_eq(o.code, 0, "exit %d: %s%s", o.code, o.out, o.err);
    const char *z = sizing_json(text);
    cr_assert_not_null(strstr(z, "\"reached\":true"), "%s", z);
    int bots = (int)json_double(z, "bots");
    cr_assert(bots >= ROOM + 1 && bots <= 2 * 8, "%d bots: %s", bots, z);
    cr_assert_gt(json_double(z, "ratio"), TOLERANCE, "%s", z);
    /* Both processes stopped on the parent's word, long before -d. */
    cr_assert_lt(o.wall_ns, 6000 * MOB_NS_PER_MS, "took %lld ns", (long long)o.wall_ns);
}

Test(sizing, a_server_that_never_fails_is_not_reached_and_exits_1, .timeout = 30)
{
    struct test_out o;
    const char *text = SIZING(&o, "ok", "-w", "4", "--ramp-up", "1s", "--sizing-window", "1s");
    cr_assert_eq(o.code, 1, "exit %d: %s%s", o.code, o.out, o.err);
    cr_assert_not_null(strstr(o.out, "Sizing not reached: with up to 4 workers"), "%s", o.out);
    const char *z = sizing_json(text);
    cr_assert_not_null(strstr(z, "\"reached\":false"), "%s", z);
    cr_assert_eq((int)json_double(z, "bots"), 4);
    cr_assert_eq(json_double(z, "ratio"), 0);
    /* No -d: the ramp (1 s) plus one window held at full load (1 s). */
    cr_assert_geq(o.wall_ns, 2000 * MOB_NS_PER_MS, "took %lld ns", (long long)o.wall_ns);
}

Test(sizing, molotovs_defaults_apply_when_bots_and_ramp_up_are_not_given, .timeout = 30)
{
    struct test_out o;
    const char *text = SIZING(&o, "ok", "-d", "1s");
    /* 500 bots over 300 s: one every 0.6 s, so two in the first second. */
    cr_assert_eq(test_json_num(text, "bots"), 500, "%.200s", text);
    cr_assert_leq(test_json_num(text, "bots_max"), 3);
    cr_assert_eq(o.code, 1, "-d cut the ramp short: not reached (%s)", o.out);
}

Test(sizing, bad_values_are_one_line_and_exit_2, .timeout = 30)
{
    static const char *const bad[][3] = {
        {"--sizing-tolerance", "abc", NULL}, {"--sizing-tolerance", "-1", NULL},
        {"--sizing-tolerance", "100", NULL}, {"--sizing-window", "500ms", NULL},
        {"--sizing-window", "2h", NULL},     {"--sizing-window", "soon", NULL},
        {"-R", "100", "--sizing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct test_out o;
        if (bad[i][2])
            MOB(&o, "http://127.0.0.1:9/", bad[i][0], bad[i][1], bad[i][2]);
        else
            MOB(&o, "http://127.0.0.1:9/", "--sizing", bad[i][0], bad[i][1]);
        cr_expect_eq(o.code, 2, "%s %s: exit %d", bad[i][0], bad[i][1], o.code);
        cr_expect_not_null(strstr(o.err, bad[i][2] ? "--sizing and -R" : bad[i][0]), "%s",
                           o.err);
        int lines = 0;
        for (const char *c = o.err; *c; c++)
            lines += *c == '\n';
        cr_expect_eq(lines, 2, "one line and the --help hint: %s", o.err);
    }
}

Test(sizing, the_judge_counts_only_the_last_window_and_needs_100_runs_above_the_tolerance)
{
    mob_options o;
    mob_options_init(&o);
    o.sizing = 1;
    o.sizing_window_ns = 3 * MOB_NS_PER_SEC;
    struct mob__sizing *s;
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    /* Cumulative counts, a tick a second. From the start the share is 150 of 3200 (4.7 %), but
     * the last three seconds hold 150 failed of 2200 (6.8 %): the first good second is out. */
    cr_assert_eq(mob__sizing_second(s, 1 * MOB_NS_PER_SEC, 1000, 0, 1), 0);
    cr_assert_eq(mob__sizing_second(s, 2 * MOB_NS_PER_SEC, 2000, 50, 2), 0);
    cr_assert_eq(mob__sizing_second(s, 3 * MOB_NS_PER_SEC, 3000, 100, 3), 0);
    cr_assert_eq(mob__sizing_second(s, 4 * MOB_NS_PER_SEC, 3050, 150, 4), 1);
    cr_assert_eq(mob__sizing_second(s, 5 * MOB_NS_PER_SEC, 3050, 900, 5), 0, "said once");
    mob_result *r = mob__result_new("s", "t", NULL, 0);
    cr_assert_not_null(r);
    mob__sizing_end(s, r);
    mob_sizing_result z;
    cr_assert_eq(mob_result_sizing(r, &z), 0);
    cr_assert(z.reached && z.bots == 4 && z.ok == 2050 && z.failures == 150, "%d %d %llu %llu",
              z.reached, z.bots, (unsigned long long)z.ok, (unsigned long long)z.failures);
    cr_assert_float_eq(z.ratio, 100.0 * 150 / 2200, 1e-9);
    cr_assert_eq(z.at_ns, 4 * MOB_NS_PER_SEC);
    mob_result_free(r);

    /* 99 runs are not a verdict, even all failed; the 100th is. At the tolerance exactly is
     * not past it. */
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    cr_assert_eq(mob__sizing_second(s, MOB_NS_PER_SEC, 0, 99, 1), 0);
    cr_assert_eq(mob__sizing_second(s, 2 * MOB_NS_PER_SEC, 0, 100, 1), 1);
    mob__sizing_end(s, NULL);
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    cr_assert_eq(mob__sizing_second(s, MOB_NS_PER_SEC, 95, 5, 1), 0, "5 %% is not past 5 %%");
    mob__sizing_end(s, NULL);
    o.sizing = 0;
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    cr_assert_null(s, "no sizing asked, no judge");
    cr_assert_eq(mob__sizing_second(NULL, MOB_NS_PER_SEC, 0, 1000, 1), 0);
}

Test(sizing, a_merge_of_runs_has_no_verdict)
{
    /* Each run judged its own window; their sum was never judged, so it claims nothing. */
    mob_result *a = mob__result_new("s", "t", NULL, 0), *b = mob__result_new("s", "t", NULL, 0);
    cr_assert(a && b);
    char id[MOB__RUN_ID_LEN];
    mob__run_id_new(id);
    cr_assert_eq(mob__result_set_run(a, id), 0);
    mob__run_id_new(id);
    cr_assert_eq(mob__result_set_run(b, id), 0);
    a->sizing = (mob_sizing_result){.asked = 1, .reached = 1, .ratio = 9, .bots = 20};
    b->sizing = a->sizing;
    mob_sizing_result z;
    cr_assert_eq(mob_result_sizing(a, &z), 0);
    cr_assert_eq(mob_result_merge(a, b), 0);
    cr_assert_eq(mob_result_sizing(a, &z), -ENOENT);
    mob_result_free(a);
    mob_result_free(b);
}
