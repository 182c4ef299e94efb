/* SPDX-License-Identifier: MIT */
/*
 * test_kinds.c: kinds of bot (mob_kind, src/run/kinds.c). aiotest's apportioning (5/5, 3/7,
 * one bot to the heaviest kind, many kinds, fewer bots than kinds), the order in which bots
 * join a ramp, runs where each kind's bots run only their own scenarios, setup, teardown and
 * state (one process and -p 2), each bot's index among its kind, and the reports: kinds in
 * the JSON, merged by `mob merge`, shown in the HTML; and the command line: two built-in
 * targets as two kinds against a test server, --kind, --show-kinds and their errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/run/run.h"
#include "helpers.h"
#include "test_run.h"

static void expect_split(const int *w, int n, int64_t amount, const int64_t *want)
{
    int64_t got[16];
    cr_assert_eq(mob_kinds_apportion(w, n, amount, got), 0);
    for (int i = 0; i < n; i++)
        cr_expect_eq(got[i], want[i], "%lld bots, kind %d: got %lld, want %lld",
                     (long long)amount, i, (long long)got[i], (long long)want[i]);
}

Test(kinds, apportioning_is_aiotests_weight_users)
{
    expect_split((int[]){1, 1}, 2, 10, (int64_t[]){5, 5});
    expect_split((int[]){1, 2}, 2, 10, (int64_t[]){3, 7});
    expect_split((int[]){1, 2}, 2, 1, (int64_t[]){0, 1}); /* 1 gives the weight-2 kind */
    expect_split((int[]){2, 1}, 2, 1, (int64_t[]){1, 0});
    /* Many kinds: 3.33 each rounds to 3, and the missing bot goes to the first of the equal
     * residuals; weights that divide exactly give exactly. */
    expect_split((int[]){1, 1, 1}, 3, 10, (int64_t[]){4, 3, 3});
    expect_split((int[]){1, 2, 3, 4}, 4, 100, (int64_t[]){10, 20, 30, 40});
    expect_split((int[]){5, 0, 3, 2}, 4, 7, (int64_t[]){4, 0, 2, 1});
    /* Fewer bots than kinds: 0.6 rounds to 1 five times, and the two too many come off the
     * first kinds (the smallest residuals, ties in order). */
    expect_split((int[]){1, 1, 1, 1, 1}, 5, 3, (int64_t[]){0, 0, 1, 1, 1});
    expect_split((int[]){1, 1, 1}, 3, 2, (int64_t[]){0, 1, 1});
    /* Halves round to even, as Python's round(): 1.5 -> 2, 2.5 -> 2. */
    expect_split((int[]){1, 1}, 2, 3, (int64_t[]){1, 2});
    expect_split((int[]){1, 1}, 2, 5, (int64_t[]){3, 2});
    int64_t out[2];
    cr_expect_eq(mob_kinds_apportion((int[]){0, 0}, 2, 5, out), -EINVAL);
    cr_expect_eq(mob_kinds_apportion((int[]){1, -1}, 2, 5, out), -EINVAL);
}

static int nop(mob_worker *w)
{
    (void)w;
    return 0;
}

static const mob_scenario one[] = {{"s", nop, 1, 0}, {NULL, NULL, 0, 0}};

/* The kind of each bot of a run of cap bots per process over ptotal processes, by rank (the
 * order they start in: slot by slot, every process at once). */
static void kinds_by_rank(const mob_kind *kinds, int cap, int ptotal, int *out)
{
    mob_suite s = {.kinds = kinds};
    for (int gp = 0; gp < ptotal; gp++) {
        struct mob__kinds ks;
        cr_assert_eq(mob__kinds_build(&ks, &s, NULL), 0);
        cr_assert_eq(mob__kinds_assign(&ks, cap, gp, ptotal), 0);
        for (int i = 0; i < cap; i++)
            out[i * ptotal + gp] = ks.of_slot[i];
        mob__kinds_free(&ks);
    }
}

Test(kinds, bots_that_start_first_follow_the_split_of_their_own_number)
{
    const mob_kind kinds[] = {{"a", 1, one, NULL, NULL, NULL, 0, NULL},
                              {"b", 2, one, NULL, NULL, NULL, 0, NULL},
                              {NULL, 0, NULL, NULL, NULL, NULL, 0, NULL}};
    const int w[2] = {1, 2};
    for (int ptotal = 1; ptotal <= 3; ptotal++) {
        int of[60], have[2] = {0, 0};
        kinds_by_rank(kinds, 60 / ptotal, ptotal, of);
        for (int m = 1; m <= 60; m++) {
            have[of[m - 1]]++;
            int64_t want[2];
            mob_kinds_apportion(w, 2, m, want);
            cr_expect(have[0] == want[0] && have[1] == want[1],
                      "-p %d, first %d bots: %d/%d, want %lld/%lld", ptotal, m, have[0],
                      have[1], (long long)want[0], (long long)want[1]);
        }
    }
}

/* ---- a recording suite: two kinds, each checking that only its own hooks touched it ---- */

static int a_tag; /* kind a keeps no state of its own: its setup points w->state here */
static int a_setups, a_teardowns, b_setups, b_teardowns, wrong;

#define B_STATE 4000

static int a_setup(mob_worker *w)
{
    a_setups++;
    if (w->state != NULL) /* state_size 0: no storage */
        wrong++;
    w->state = &a_tag;
    return 0;
}

static int a_teardown(mob_worker *w)
{
    a_teardowns++;
    return w->state == &a_tag ? 0 : 1;
}

static int a_run(mob_worker *w)
{
    return w->state == &a_tag ? 0 : MOB_FAIL_OTHER;
}

static int b_setup(mob_worker *w)
{
    b_setups++;
    unsigned char *st = w->state;
    for (int i = 0; st && i < B_STATE; i++)
        wrong += st[i] != 0; /* zeroed storage of the kind's own size */
    if (!st)
        return -EINVAL;
    memset(st, 'b', B_STATE);
    return 0;
}

static int b_teardown(mob_worker *w)
{
    b_teardowns++;
    return ((unsigned char *)w->state)[B_STATE - 1] == 'b' ? 0 : 1;
}

static int b_run(mob_worker *w)
{
    const unsigned char *st = w->state;
    return st != (const void *)&a_tag && st[0] == 'b' && st[B_STATE - 1] == 'b' ? 0
                                                                              : MOB_FAIL_OTHER;
}

static const mob_scenario a_table[] = {{"work", a_run, 1, 0}, {NULL, NULL, 0, 0}};
static const mob_scenario b_table[] = {{"work", b_run, 1, 0}, {"more", b_run, 1, 0},
                                       {NULL, NULL, 0, 0}};
static const mob_kind ab_kinds[] = {
    {"a", 1, a_table, a_setup, a_teardown, NULL, 0, NULL},
    {"b", 2, b_table, b_setup, b_teardown, NULL, B_STATE, NULL},
    {NULL, 0, NULL, NULL, NULL, NULL, 0, NULL},
};
static const mob_suite ab_suite = {.name = "ab", .kinds = ab_kinds};

static uint64_t scen_ok(const mob_result *r, const char *name)
{
    mob_scenario_stats st;
    for (int i = 0; mob_result_scenario(r, i, &st) == 0; i++)
        if (strcmp(st.name, name) == 0)
            return st.ok;
    cr_assert_fail("no scenario %s in the report", name);
    return 0;
}

static void expect_kind(const mob_result *r, int i, const char *name, int weight, uint64_t bots)
{
    mob_kind_stats k;
    cr_assert_eq(mob_result_kind(r, i, &k), 0);
    cr_expect_str_eq(k.name, name);
    cr_expect_eq(k.weight, weight);
    cr_expect_eq(k.bots, bots, "kind %s: %llu bots, want %llu", name,
                 (unsigned long long)k.bots, (unsigned long long)bots);
}

/* Runs s with bots per process over processes, 3 runs per bot. */
static mob_result *run_kinds(const mob_suite *s, int bots, int processes)
{
    mob_options o = quiet_options();
    o.bots = bots;
    o.processes = processes;
    o.max_runs = 3;
    o.duration_ns = 0;
    mob_result *r;
    cr_assert_eq(mob_run_suite(s, &o, &r), 0);
    return r;
}

static mob_result *run_ab(int bots, int processes)
{
    return run_kinds(&ab_suite, bots, processes);
}

Test(kinds, each_kind_runs_only_its_own_scenarios_hooks_and_state, .timeout = 10)
{
    mob_result *r = run_ab(10, 1);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.failures, 0, "a scenario saw another kind's state");
    cr_assert_eq(t.teardown_failed, 0);
    cr_assert_eq(wrong, 0);
    cr_assert_eq(a_setups, 3);
    cr_assert_eq(a_teardowns, 3);
    cr_assert_eq(b_setups, 7);
    cr_assert_eq(b_teardowns, 7);
    cr_assert_eq(t.ok, 30);
    cr_assert_eq(scen_ok(r, "a/work"), 9);
    cr_assert_eq(scen_ok(r, "b/work") + scen_ok(r, "b/more"), 21);
    cr_assert_eq(mob_result_nscenarios(r), 3, "a/work, b/more, b/work");
    cr_assert_eq(mob_result_nkinds(r), 2);
    expect_kind(r, 0, "a", 1, 3);
    expect_kind(r, 1, "b", 2, 7);
    mob_result_free(r);
}

Test(kinds, with_two_processes_the_split_is_over_the_whole_run, .timeout = 10)
{
    mob_result *r = run_ab(5, 2); /* 10 bots in all: 3 of a, 7 of b, not 2/3 twice */
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.failures, 0);
    cr_assert_eq(t.teardown_failed, 0);
    cr_assert_eq(scen_ok(r, "a/work"), 9);
    expect_kind(r, 0, "a", 1, 3);
    expect_kind(r, 1, "b", 2, 7);
    mob_result_free(r);
}

Test(kinds, with_index_the_split_is_over_every_machine, .timeout = 10)
{
    mob_result *all = NULL;
    for (int m = 0; m < 2; m++) { /* two machines of 5 bots: --index 0/2 and 1/2 */
        mob_options o = quiet_options();
        o.bots = 5;
        o.max_runs = 3;
        o.duration_ns = 0;
        o.index = m;
        o.nindex = 2;
        mob_result *r;
        cr_assert_eq(mob_run_suite(&ab_suite, &o, &r), 0);
        if (!all)
            all = r;
        else {
            cr_assert_eq(mob_result_merge(all, r), 0);
            mob_result_free(r);
        }
    }
    expect_kind(all, 0, "a", 1, 3);
    expect_kind(all, 1, "b", 2, 7);
    mob_result_free(all);
}

Test(kinds, one_bot_goes_to_the_heaviest_kind, .timeout = 10)
{
    mob_result *r = run_ab(1, 1);
    expect_kind(r, 0, "a", 1, 0);
    expect_kind(r, 1, "b", 2, 1);
    cr_assert_eq(a_setups, 0);
    cr_assert_eq(b_setups, 1);
    mob_result_free(r);
}

Test(kinds, the_first_bot_of_a_ramp_gets_the_split_of_one_bot, .timeout = 10)
{
    mob_options o = quiet_options();
    o.bots = 9;                          /* 3 of a and 6 of b in the end, */
    o.ramp_up_ns = 18 * MOB_NS_PER_SEC;  /* but the second bot would start at 2 s */
    o.duration_ns = 300 * MS;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&ab_suite, &o, &r), 0);
    expect_kind(r, 0, "a", 1, 0);
    expect_kind(r, 1, "b", 2, 1);
    mob_result_free(r);
}

Test(kinds, bots_that_stages_stop_and_start_again_keep_their_kind, .timeout = 10)
{
    mob_options o = quiet_options();
    o.stages[0] = (mob_stage){300 * MS, 6, 0}; /* by start order: b a b b a b */
    o.stages[1] = (mob_stage){300 * MS, 2, 0}; /* the last four stop: b b a b */
    o.stages[2] = (mob_stage){300 * MS, 6, 0}; /* and start again, as the same kinds */
    o.nstages = 3;
    o.duration_ns = 0; /* the stages' sum */
    o.delay_ns = MS;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&ab_suite, &o, &r), 0);
    expect_kind(r, 0, "a", 1, 2); /* bots: ids that ever ran */
    expect_kind(r, 1, "b", 2, 4);
    cr_assert_eq(a_setups, 3);
    cr_assert_eq(b_setups, 7);
    cr_assert_eq(a_teardowns, 3);
    cr_assert_eq(b_teardowns, 7);
    mob_result_free(r);
}

/* ---- each bot's index among its kind (mob_worker_kind_index) -------------------------- */

static int idx_seen[2][32], idx_slots[2], idx_bad;

static int idx_setup(mob_worker *w, int k)
{
    int n, i = mob_worker_kind_index(w, &n);
    if (i < 0 || i >= n || n > 32)
        idx_bad++;
    else
        idx_seen[k][i]++;
    idx_slots[k] = n;
    return 0;
}
static int idx_x(mob_worker *w) { return idx_setup(w, 0); }
static int idx_y(mob_worker *w) { return idx_setup(w, 1); }
static int idx_plain(mob_worker *w)
{
    int n, i = mob_worker_kind_index(w, &n);
    idx_bad += i != w->local || n != 20;
    return 0;
}

Test(kinds, each_bot_knows_its_index_among_the_bots_of_its_kind, .timeout = 10)
{
    const mob_kind xy[] = {{"x", 1, one, idx_x, NULL, NULL, 0, NULL},
                           {"y", 3, one, idx_y, NULL, NULL, 0, NULL},
                           {NULL, 0, NULL, NULL, NULL, NULL, 0, NULL}};
    const mob_suite s = {.kinds = xy};
    mob_result_free(run_kinds(&s, 20, 1));
    cr_assert_eq(idx_bad, 0);
    cr_assert_eq(idx_slots[0], 5);
    cr_assert_eq(idx_slots[1], 15);
    for (int k = 0; k < 2; k++) /* 0 .. slots - 1, each once: a numbering of the kind only */
        for (int i = 0; i < idx_slots[k]; i++)
            cr_expect_eq(idx_seen[k][i], 1, "kind %d, index %d: %d bots", k, i, idx_seen[k][i]);
    const mob_suite plain = {.scenarios = one, .bot_setup = idx_plain};
    mob_result_free(run_kinds(&plain, 20, 1));
    cr_assert_eq(idx_bad, 0, "without kinds, the index is w->local among all the slots");
}

Test(kinds, fewer_bots_than_kinds_leave_the_lightest_out, .timeout = 10)
{
    const mob_kind three[] = {{"x", 1, one, NULL, NULL, NULL, 0, NULL},
                              {"y", 1, one, NULL, NULL, NULL, 0, NULL},
                              {"z", 1, one, NULL, NULL, NULL, 0, NULL},
                              {NULL, 0, NULL, NULL, NULL, NULL, 0, NULL}};
    mob_suite s = {.kinds = three};
    mob_result *r = run_kinds(&s, 2, 1);
    expect_kind(r, 0, "x", 1, 0);
    expect_kind(r, 1, "y", 1, 1);
    expect_kind(r, 2, "z", 1, 1);
    mob_result_free(r);
}

Test(kinds, a_suite_mixing_kinds_and_its_own_scenarios_is_refused)
{
    mob_suite s = {.kinds = ab_kinds, .scenarios = one};
    mob_options o = quiet_options();
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), -EINVAL);
    const mob_kind dup[] = {{"a", 1, one, NULL, NULL, NULL, 0, NULL},
                            {"a", 1, one, NULL, NULL, NULL, 0, NULL},
                            {NULL, 0, NULL, NULL, NULL, NULL, 0, NULL}};
    mob_suite d = {.kinds = dup};
    cr_assert_eq(mob_run_suite(&d, &o, &r), -EINVAL);
}

Test(kinds, reports_keep_the_kinds_through_json_and_merge, .timeout = 10)
{
    char a[] = "/tmp/mob-kinds-a-XXXXXX", b[] = "/tmp/mob-kinds-b-XXXXXX";
    close(mkstemp(a));
    close(mkstemp(b));
    mob_result *r1 = run_ab(10, 1), *r2 = run_ab(1, 1);
    cr_assert_eq(mob_result_write_json(r1, a), 0);
    cr_assert_eq(mob_result_write_json(r2, b), 0);
    mob_result *x, *y;
    cr_assert_eq(mob_result_read_json(a, &x), 0);
    cr_assert_eq(mob_result_read_json(b, &y), 0);
    expect_kind(x, 0, "a", 1, 3);
    expect_kind(x, 1, "b", 2, 7);
    cr_assert_eq(mob_result_merge(x, y), 0);
    expect_kind(x, 0, "a", 1, 3);
    expect_kind(x, 1, "b", 2, 8);
    cr_assert_eq(scen_ok(x, "a/work"), 9);
    struct test_out o; /* the command merges the files the same way */
    char c[] = "/tmp/mob-kinds-c-XXXXXX";
    close(mkstemp(c));
    MOB(&o, "merge", "--json", c, a, b);
    cr_assert_eq(o.code, 0, "%s", o.err);
    cr_assert_not_null(strstr(o.out, "Kinds: a 1 (3 bots), b 2 (8 bots)"), "%s", o.out);
    mob_result *z;
    cr_assert_eq(mob_result_read_json(c, &z), 0);
    unlink(c);
    expect_kind(z, 1, "b", 2, 8);
    mob_result_free(z);
    cr_assert_eq(scen_ok(x, "b/work") + scen_ok(x, "b/more"), 24);
    cr_assert_eq(mob_result_write_html(x, a, 0), 0);
    FILE *f = fopen(a, "r");
    char page[1 << 16];
    size_t n = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[n] = 0;
    cr_assert_not_null(strstr(page, "<table id=\"kinds\">"));
    cr_assert_not_null(strstr(page, "<tr><td>b</td><td>2</td><td>8</td></tr>"));
    char *text;
    size_t len;
    f = open_memstream(&text, &len);
    mob_result_print(x, f);
    fclose(f);
    cr_assert_not_null(strstr(text, "Kinds: a 1 (3 bots), b 2 (8 bots)"), "%s", text);
    free(text);
    mob_result_free(r1);
    mob_result_free(r2);
    mob_result_free(x);
    mob_result_free(y);
    unlink(a);
    unlink(b);
}

/* ---- the command line --------------------------------------------------------------- */

Test(kinds, two_builtin_targets_make_a_mixed_horde_from_the_command_line, .timeout = 20)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0); /* answers HTTP GETs and echoes the rest */
    char http[64], tcp[64], json[] = "/tmp/mob-kinds-cli-XXXXXX";
    close(mkstemp(json));
    snprintf(http, sizeof http, "http://127.0.0.1:%d/", port);
    snprintf(tcp, sizeof tcp, "tcp://127.0.0.1:%d", port);
    struct test_out o;
    MOB(&o, "-q", "-w", "4", "-r", "20", "--kind", "http=1", "--kind", "tcp=3", "--json", json,
        http, tcp);
    test_child_stop(srv);
    cr_assert_eq(o.code, 0, "%s", o.err);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    unlink(json);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.failures, 0);
    cr_assert_eq(scen_ok(r, "http/get"), 20, "one HTTP bot, 20 runs");
    cr_assert_eq(scen_ok(r, "tcp/echo"), 60, "three echo bots, 20 runs each");
    expect_kind(r, 0, "http", 1, 1);
    expect_kind(r, 1, "tcp", 3, 3);
    mob_result_free(r);
}

Test(kinds, show_kinds_prints_weights_and_bots_and_exits_0, .timeout = 10)
{
    struct test_out o;
    MOB(&o, "--show-kinds", "-w", "50", "-p", "2", "--kind", "ws=1", "--kind", "http=3",
        "http://127.0.0.1:1/", "ws://127.0.0.1:1/");
    cr_assert_eq(o.code, 0, "%s", o.err);
    cr_assert_not_null(strstr(o.out, "http                    3         75\n"), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "ws                      1         25\n"), "%s", o.out);
}

Test(kinds, kind_flag_errors_exit_2_with_one_clear_line, .timeout = 10)
{
    struct test_out o;
    MOB(&o, "--kind", "htp=3", "http://127.0.0.1:1/", "ws://127.0.0.1:1/");
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "no kind named 'htp' (kinds: http, ws)"), "%s", o.err);
    MOB(&o, "--kind", "http", "http://127.0.0.1:1/", "ws://127.0.0.1:1/");
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "bad value 'http' for --kind"), "%s", o.err);
    MOB(&o, "--kind", "http=-1", "http://127.0.0.1:1/", "ws://127.0.0.1:1/");
    cr_assert_eq(o.code, 2);
    MOB(&o, "--kind", "http=1", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "no kinds of bot"), "%s", o.err);
    MOB(&o, "--kind", "http=0", "--kind", "ws=0", "http://127.0.0.1:1/", "ws://127.0.0.1:1/");
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "no kind of bot has a weight"), "%s", o.err);
    MOB(&o, "http://127.0.0.1:1/", "arena://in-process", "arena+ws://in-process");
    cr_assert_eq(o.code, 2, "the arena suite is one per process");
    cr_assert_not_null(strstr(o.err, "'arena+ws://in-process': one arena:// or arena+ws:// "
                                     "target per run"), "%s", o.err);
    MOB(&o, "--kind", "http3=1", "http://127.0.0.1:1/a", "http://127.0.0.1:1/b");
    cr_assert_eq(o.code, 2, "two http targets are http and http2");
    cr_assert_not_null(strstr(o.err, "no kind named 'http3' (kinds: http, http2)"), "%s", o.err);
}

/* A plugin of two kinds, built by `mob ./file.c`: --kind reweights a suite's own kinds. */
static const char kinds_c[] =
    "#include \"mob_run.h\"\n"
    "static int ok(mob_worker *w) { (void)w; return 0; }\n"
    "static const mob_scenario sc[] = {{\"hit\", ok, 1, 0}, {0, 0, 0, 0}};\n"
    "static const mob_kind k[] = {{\"reader\", 4, sc, 0, 0, 0, 0, 0},\n"
    "                             {\"writer\", 1, sc, 0, 0, 0, 0, 0}, {0}};\n"
    "const mob_suite mob_plugin_suite = {.abi = MOB_PLUGIN_ABI, .kinds = k};\n";

Test(kinds, kind_flags_reweight_the_kinds_of_a_plugin, .timeout = 60)
{
    char dir[] = "/tmp/mob-kinds-src-XXXXXX", src[600], json[640], cmd[700];
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CACHE_HOME", dir, 1);
    snprintf(src, sizeof src, "%s/two_kinds.c", dir);
    snprintf(json, sizeof json, "%s/run.json", dir);
    test_write_file(src, kinds_c);
    struct test_out o;
    MOB(&o, src, "--show-kinds", "-w", "10", "--kind", "writer=4");
    cr_assert_eq(o.code, 0, "%s", o.err);
    cr_assert_not_null(strstr(o.out, "reader                  4          5\n"), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "writer                  4          5\n"), "%s", o.out);
    MOB(&o, src, "-q", "-w", "4", "-r", "2", "--kind", "reader=0", "--json", json);
    cr_assert_eq(o.code, 0, "%s", o.err);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    expect_kind(r, 0, "reader", 0, 0);
    expect_kind(r, 1, "writer", 1, 4);
    cr_assert_eq(scen_ok(r, "writer/hit"), 8);
    mob_result_free(r);
    MOB(&o, src, "--kind", "rider=1");
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "no kind named 'rider' (kinds: reader, writer)"), "%s",
                       o.err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
