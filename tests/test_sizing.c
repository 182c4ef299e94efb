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
 *     failed share of a 1 s window passes 5 % within that window, plus two seconds of slack
 *     for a loaded machine, during which the ramp adds RATE bots a second.
 *
 * The ratio of the verdict, derived: the judge looks at every completed run, so it passes the
 * tolerance by at most one run of a window of at least 100 (1 point), in a window that may
 * have just lost up to two 100 ms slots of its oldest runs (a fifth of a 1 s window, all
 * successes at worst): (5 + 1) / 0.8 = 7.5 %.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test_live.h"
#include "mob_run.h"
#include "run/run.h"
#include "run/watch.h"

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

/* Runs `mob URL --sizing --json FILE FLAGS...` (with --no-live unless live) against a fresh
 * hostile server in `mode`. Returns the JSON report's text (test_read_file's buffer). */
static const char *sizing_run(struct test_out *o, int live, const char *mode,
                              const char *const *flags)
{
    char json[] = "/tmp/mob-sizing-XXXXXX";
    int port, srv = test_hostile_start(mode, &port);
    cr_assert_gt(srv, 0, "cannot start %s/tests/hostile %s", test_build_dir(), mode);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    int fd = mkstemp(json);
    cr_assert_geq(fd, 0);
    close(fd);
    const char *args[24] = {url, "--sizing", "--json", json};
    int n = 4;
    if (!live)
        args[n++] = "--no-live";
    while (*flags && n < 23)
        args[n++] = *flags++;
    args[n] = NULL;
    test_run_mob(o, 0, 0, args);
    test_child_stop(srv);
    const char *text = test_read_file(json);
    unlink(json);
    return text;
}
#define SIZING(o, mode, ...) sizing_run((o), 0, (mode), (const char *const[]){__VA_ARGS__, NULL})
#define SIZING_LIVE(o, mode, ...)                                                              \
    sizing_run((o), 1, (mode), (const char *const[]){__VA_ARGS__, NULL})

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
    cr_assert(ratio > TOLERANCE && ratio <= (TOLERANCE + 1) / 0.8, "ratio %g %%", ratio);
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
    close(mkstemp(json));
    test_write_file(json, text);
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
    /* The parent looks every 20 ms at counts its children publish at every run; give it a
     * look delayed to 100 ms by a loaded machine: a tenth of the 1 s window's runs, of which
     * at most 6 in 16 fail (the bots past the room), adds 3.75 points to the 1 of one run,
     * in a window short of up to a fifth: (5 + 3.75 + 1) / 0.8 = 12.2 %. */
    double ratio = json_double(z, "ratio");
    cr_assert(ratio > TOLERANCE && ratio <= (TOLERANCE + 3.75 + 1) / 0.8, "%s", z);
    /* Both processes stopped on the parent's word, long before -d. */
    cr_assert_lt(o.wall_ns, 6000 * MOB_NS_PER_MS, "took %lld ns", (long long)o.wall_ns);
}

Test(sizing, the_live_line_shows_the_windows_ratio_against_the_tolerance, .timeout = 30)
{
    /* 20 bots (one process, or two of 10) over 2 s against room for 10: the failed share of
     * the window climbs to a half, never past the tolerance of 60 %, so the run goes on to -d
     * and the live line shows the ratio along the way, summed over both processes with -p. */
    for (int procs = 1; procs <= 2; procs++) {
        struct test_out o;
        SIZING_LIVE(&o, "cap:10", "-p", procs == 1 ? "1" : "2", "-w", procs == 1 ? "20" : "10",
                    "--ramp-up", "2s", "--sizing-window", "1s", "--sizing-tolerance", "60", "-d",
                    "3s");
        cr_assert_eq(o.code, 1, "not reached: exit %d: %s", o.code, o.err);
        double most = 0;
        int lines = 0;
        for (const char *p = o.err; (p = strstr(p, "| sizing ")); p++) {
            double ratio;
            int got, need, end = 0;
            if (sscanf(p, "| sizing %d/%d runs in 1s%n", &got, &need, &end) == 2 && end > 0)
                continue; /* the window does not hold enough runs yet: no ratio to judge */
            end = 0;
            int n = sscanf(p, "| sizing %lf%% / 60%% over 1s%n", &ratio, &end);
            cr_assert_eq(n, 1, "%.80s", p);
            cr_assert_gt(end, 0, "the line names the tolerance and the window: %.80s", p);
            most = ratio > most ? ratio : most;
            lines++;
        }
        cr_assert_geq(lines, 2, "-p %d: %s", procs, o.err);
        cr_assert(most > 0 && most <= 60, "-p %d: at most %g %%: %s", procs, most, o.err);
    }
}

Test(sizing, two_index_machines_seen_by_mob_view_get_one_verdict_for_their_sum, .timeout = 40)
{
    /* Two machines of 8 bots against room for 10: each judges its own window and names its
     * own bots (8 at most); the viewer's merged report (as `mob merge` of their two reports)
     * judges their sum: reached, past the tolerance, naming more than 10 bots, which only the
     * two together can have. Their seconds line up: one --start-at. */
    int vport = live_free_port(), port, srv = test_hostile_start("cap:10", &port);
    cr_assert_gt(srv, 0);
    char where[32], url[64], start[32], vj[] = "/tmp/mob-sizing-vj-XXXXXX",
                                         a[] = "/tmp/mob-sizing-a-XXXXXX",
                                         b[] = "/tmp/mob-sizing-b-XXXXXX";
    close(mkstemp(vj));
    close(mkstemp(a));
    close(mkstemp(b));
    snprintf(where, sizeof where, "127.0.0.1:%d", vport);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    pid_t view = LIVE_START("sview", "view", where, "--expect", "2", "--json", vj);
    live_wait_http(vport);
    snprintf(start, sizeof start, "%lld", (long long)time(NULL) + 2);
    pid_t m[2];
    for (int i = 0; i < 2; i++)
        m[i] = LIVE_START(i ? "sb" : "sa", url, "--sizing", "-w", "8", "--ramp-up", "1s",
                          "--sizing-window", "1s", "-d", "4s", "--index", i ? "1/2" : "0/2",
                          "--start-at", start, "--report-to", where, "--json", i ? b : a, "-q");
    for (int i = 0; i < 2; i++)
        live_wait(m[i]);
    cr_assert_eq(live_wait(view), 0);
    test_child_stop(srv);
    for (int i = 0; i < 2; i++) {
        const char *z = sizing_json(test_read_file(i ? b : a));
        cr_assert_leq(json_double(z, "bots"), 8, "machine %d names its own bots: %s", i, z);
    }
    char zv[512];
    snprintf(zv, sizeof zv, "%s", sizing_json(test_read_file(vj)));
    cr_assert_not_null(strstr(zv, "\"reached\":true"), "%s", zv);
    int bots = (int)json_double(zv, "bots");
    cr_assert(bots >= ROOM + 1 && bots <= 2 * 8, "%d bots: %s", bots, zv);
    cr_assert_gt(json_double(zv, "ratio"), TOLERANCE, "%s", zv);
    struct test_out o;
    MOB(&o, "merge", a, b, "--json", vj);
    cr_assert_eq(o.code, 0, "%s%s", o.out, o.err);
    cr_assert_str_eq(sizing_json(test_read_file(vj)), zv, "mob merge judges as the viewer does");
    /* The viewer's line each second shows the summed window (before the runs, "0/100 runs"). */
    char err[64];
    snprintf(err, sizeof err, "/tmp/mob-live-%d-sview.err", (int)getpid());
    const char *lines = test_read_file(err);
    cr_assert_not_null(strstr(lines, "2 reporters, ") && strstr(lines, " | sizing "), "%s", lines);
    unlink(err);
    unlink(vj);
    unlink(a);
    unlink(b);
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
    cr_assert_eq(mob__sizing_look(s, 1 * MOB_NS_PER_SEC, 1000, 0, 1), 0);
    cr_assert_eq(mob__sizing_look(s, 2 * MOB_NS_PER_SEC, 2000, 50, 2), 0);
    cr_assert_eq(mob__sizing_look(s, 3 * MOB_NS_PER_SEC, 3000, 100, 3), 0);
    cr_assert_eq(mob__sizing_look(s, 4 * MOB_NS_PER_SEC, 3050, 150, 4), 1);
    cr_assert_eq(mob__sizing_look(s, 5 * MOB_NS_PER_SEC, 3050, 900, 5), 0, "said once");
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
    cr_assert_eq(mob__sizing_look(s, MOB_NS_PER_SEC, 0, 99, 1), 0);
    cr_assert_eq(mob__sizing_look(s, 2 * MOB_NS_PER_SEC, 0, 100, 1), 1);
    mob__sizing_end(s, NULL);
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    cr_assert_eq(mob__sizing_look(s, MOB_NS_PER_SEC, 95, 5, 1), 0, "5 %% is not past 5 %%");
    mob__sizing_end(s, NULL);
    o.sizing = 0;
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    cr_assert_null(s, "no sizing asked, no judge");
    cr_assert_eq(mob__sizing_look(NULL, MOB_NS_PER_SEC, 0, 1000, 1), 0);
}

Test(sizing, the_judge_looks_between_seconds_so_the_verdict_is_the_crossing_not_a_second_later)
{
    mob_options o;
    mob_options_init(&o);
    o.sizing = 1;
    o.sizing_window_ns = MOB_NS_PER_SEC;
    struct mob__sizing *s;
    cr_assert_eq(mob__sizing_new(&s, &o), 0);
    /* 100 runs every 100 ms; from 2 s on, 20 of each 100 fail. The 1 s window holds 1000
     * runs: 2 failed slots are 4 %, the third is 6 %, at 2.3 s. A judge that looked once a
     * second would first see it at 3 s, with 20 %. */
    uint64_t ok = 0, fail = 0;
    int t = 1, crossed = 0;
    for (; t <= 40 && !crossed; t++) {
        int bad = t > 20 ? 20 : 0;
        ok += (uint64_t)(100 - bad);
        fail += (uint64_t)bad;
        crossed = mob__sizing_look(s, t * 100 * MOB_NS_PER_MS, ok, fail, t);
        char line[96];
        mob__sizing_live(s, line, sizeof line);
        if (t == 22)
            cr_assert_str_eq(line, "sizing 4.00% / 5% over 1s");
    }
    cr_assert(crossed, "never crossed");
    mob_result *r = mob__result_new("s", "t", NULL, 0);
    cr_assert_not_null(r);
    mob__sizing_end(s, r);
    cr_assert(r->sizing.reached && r->sizing.at_ns == 2300 * MOB_NS_PER_MS &&
                  r->sizing.bots == 23 && r->sizing.failures == 60 && r->sizing.ok == 940,
              "at %lld ns, %d bots, %llu/%llu", (long long)r->sizing.at_ns, r->sizing.bots,
              (unsigned long long)r->sizing.failures, (unsigned long long)r->sizing.ok);
    cr_assert_float_eq(r->sizing.ratio, 6.0, 1e-9);
    mob_result_free(r);
    /* Under the floor, the live line counts the runs it still needs. */
    char line[96];
    mob__sizing_window_text(5, 60 * MOB_NS_PER_SEC, 40, 2, line, sizeof line);
    cr_assert_str_eq(line, "sizing 42/100 runs in 60s");
}

/* A sizing run's report with these per-second ok, failed and bots (n seconds). */
static mob_result *sized(const uint64_t (*secs)[3], int n)
{
    mob_result *r = mob__result_new("s", "t", NULL, 0);
    cr_assert_not_null(r);
    char id[MOB__RUN_ID_LEN];
    mob__run_id_new(id);
    cr_assert_eq(mob__result_set_run(r, id), 0);
    for (int i = 0; i < n; i++) {
        struct mob__second sec = {.ok = secs[i][0], .fail = secs[i][1], .bots = (int)secs[i][2],
                                  .byclass = 1};
        cr_assert_eq(mob__result_add_second(r, &sec), 0);
        r->t.bots_max = (int)secs[i][2];
    }
    r->sizing = (mob_sizing_result){.asked = 1, .tolerance = 5, .window_ns = MOB_NS_PER_SEC};
    return r;
}

Test(sizing, a_merge_of_sizing_runs_judges_their_summed_window_with_their_summed_bots)
{
    /* Machine a crosses alone at its second 1 (10 of 110); b, ten times busier, does not
     * until its second 2 is added: the sum first passes 5 % there, 70 of 1110 (6.3 %). */
    static const uint64_t sa[][3] = {{100, 0, 2}, {100, 10, 3}, {100, 10, 4}, {100, 10, 4}};
    static const uint64_t sb[][3] = {{1000, 0, 20}, {1000, 0, 30}, {940, 60, 40}};
    mob_result *a = sized(sa, 4), *b = sized(sb, 3);
    a->sizing.reached = 1; /* what a said of itself is not the merge's verdict */
    cr_assert_eq(mob_result_merge(a, b), 0);
    mob_sizing_result z;
    cr_assert_eq(mob_result_sizing(a, &z), 0);
    cr_assert(z.reached && z.bots == 44 && z.ok == 1040 && z.failures == 70 &&
                  z.at_ns == 3 * MOB_NS_PER_SEC,
              "%d at %lld ns with %d bots, %llu/%llu", z.reached, (long long)z.at_ns, z.bots,
              (unsigned long long)z.failures, (unsigned long long)z.ok);
    char line[256];
    mob__sizing_format(&z, a->sizing_basis, line, sizeof line);
    cr_assert(strstr(line, "Error Ratio 6.31 % obtained with 44 workers") &&
                  strstr(line, "judged on the merged runs' seconds"),
              "%s", line);
    mob_result_free(a);
    mob_result_free(b);
    /* Never past it together: not reached, with the most bots the merge had at once. */
    static const uint64_t sc[][3] = {{1000, 0, 20}, {1000, 0, 30}, {1000, 0, 40}, {1000, 0, 40}};
    a = sized(sa, 4);
    mob_result *c = sized(sc, 4);
    cr_assert_eq(mob_result_merge(a, c), 0);
    cr_assert_eq(mob_result_sizing(a, &z), 0);
    cr_assert(!z.reached && z.bots == 44, "%d with %d bots", z.reached, z.bots);
    mob_result_free(a);
    mob_result_free(c);
    /* Each crossed by itself (machines loading one target do, and stop): their crossing
     * windows added, 60 failed of 1060 (5.66 %) with 3 + 30 bots, at the later end. */
    a = sized(sa, 4);
    b = sized(sb, 3);
    a->sizing = (mob_sizing_result){1, 1, 100.0 * 10 / 110, 3, 100, 10, MOB_NS_PER_SEC, 5,
                                    MOB_NS_PER_SEC};
    b->sizing = (mob_sizing_result){1, 1, 100.0 * 50 / 950, 30, 900, 50,
                                    1200 * MOB_NS_PER_MS, 5, MOB_NS_PER_SEC};
    cr_assert_eq(mob_result_merge(a, b), 0);
    cr_assert_eq(mob_result_sizing(a, &z), 0);
    cr_assert(z.reached && z.bots == 33 && z.ok == 1000 && z.failures == 60 &&
                  z.at_ns == 1200 * MOB_NS_PER_MS && a->sizing_basis == MOB__SIZING_WINDOWS,
              "%d at %lld ns with %d bots, %llu/%llu", z.reached, (long long)z.at_ns, z.bots,
              (unsigned long long)z.failures, (unsigned long long)z.ok);
    cr_assert_float_eq(z.ratio, 100.0 * 60 / 1060, 1e-9);
    mob_result_free(a);
    mob_result_free(b);
}

static void hub_feed(struct mob__hub *h, struct mob__hsrc *c, const char *text)
{
    cr_assert_eq(mob__hub_input(h, c, text, strlen(text)), 0, "refused: %s", text);
}

/* One second of the stream: ok and failed runs (all of class status), 5 bots, no buckets. */
static void hub_second(struct mob__hub *h, struct mob__hsrc *c, int sec, int ok, int fail)
{
    char line[128];
    snprintf(line, sizeof line, "S %d %d %d 0 0 0 %d 0 0 0 0 0 5 0 0 0\n", sec, ok, fail, fail);
    hub_feed(h, c, line);
}

Test(sizing, the_viewer_sums_its_reporters_windows_over_the_seconds_they_all_sent)
{
    /* Two --sizing reporters with a 2 s window and a 5 % tolerance. The window ends where both
     * have sent their seconds, and it sums runs: a has 90 of 900 failed (10 %), b 0 of 100,
     * so the sum is 90 of 1000 (9 %), not the 5 % an average of the ratios would say. */
    struct mob__hub *h = mob__hub_new("t", NULL);
    cr_assert_not_null(h);
    struct mob__hsrc *a = mob__hub_connect(h, "a"), *b = mob__hub_connect(h, "b");
    hub_feed(h, a, "H 3 - run1 0 2 alpha - 0\nZ 5000 2\n");
    hub_feed(h, b, "H 3 - run1 1 2 beta - 0\nZ 5000 2\n");
    uint64_t ok, fail;
    char text[96];
    cr_assert_eq(mob__hub_sizing(h, &ok, &fail, text, sizeof text), 1);
    cr_assert_str_eq(text, "sizing 0/100 runs in 2s");
    hub_second(h, a, 0, 1000, 0);
    hub_second(h, a, 1, 400, 50);
    hub_second(h, a, 2, 410, 40);
    hub_second(h, b, 0, 1000, 0);
    hub_second(h, b, 1, 50, 0);
    cr_assert_eq(mob__hub_sizing(h, &ok, &fail, text, sizeof text), 1);
    cr_assert(ok == 2450 && fail == 50, "b has sent seconds 0 and 1 only: %llu %llu",
              (unsigned long long)ok, (unsigned long long)fail);
    hub_second(h, b, 2, 50, 0);
    cr_assert_eq(mob__hub_sizing(h, &ok, &fail, text, sizeof text), 1);
    cr_assert(ok == 910 && fail == 90, "%llu %llu", (unsigned long long)ok,
              (unsigned long long)fail);
    cr_assert_str_eq(text, "sizing 9.00% / 5% over 2s");
    struct mob__str js = {0};
    mob__hub_state_json(h, &js, 0);
    cr_assert_not_null(strstr(js.s, "\"sizing\":{\"ok\":910,\"fail\":90,\"text\":\"sizing 9.00% / "
                                    "5% over 2s\"}"),
                       "%s", js.s);
    mob__str_free(&js);
    /* A reporter that ended no longer holds the window back. */
    hub_feed(h, b, "E\n");
    hub_second(h, a, 3, 100, 0);
    cr_assert_eq(mob__hub_sizing(h, &ok, &fail, text, sizeof text), 1);
    cr_assert(ok == 560 && fail == 40, "%llu %llu", (unsigned long long)ok,
              (unsigned long long)fail);
    /* Z is version 3's, and only sensible values. */
    static const char *const bad[] = {"H 2 - r 0 1 x - 0\nZ 5000 2\n", "H 3 - r 0 1 x - 0\nZ 5000 0\n",
                                      "H 3 - r 0 1 x - 0\nZ 100000 2\n", "H 3 - r 0 1 x - 0\nZ 5 2 1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mob__hsrc *c = mob__hub_connect(h, "liar");
        cr_expect_eq(mob__hub_input(h, c, bad[i], strlen(bad[i])), -EPROTO, "%s", bad[i]);
        mob__hub_disconnect(h, c);
    }
    mob__hub_free(h);
    /* A hub of reporters without --sizing has no window to show. */
    h = mob__hub_new("t", NULL);
    a = mob__hub_connect(h, "a");
    hub_feed(h, a, "H 2 - run1 0 1 alpha - 0\n");
    hub_second(h, a, 0, 10, 10);
    cr_assert_eq(mob__hub_sizing(h, &ok, &fail, text, sizeof text), 0);
    mob__hub_free(h);
}
