/* SPDX-License-Identifier: MIT */
/*
 * No input crashes mob (issue 11, part 9): a plugin whose symbol has the wrong type, or that
 * was built for another layout of mob_suite, is refused with a message (exit 2), never run;
 * per-bot state far larger than a bot's stack (--buffer 1Mi) is no crash; every numeric flag
 * out of its range says its range and exits 2. The bad plugins are compiled here, with the
 * compiler that built the tests (cc).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

static void build_plugin(const char *dir, const char *name, const char *source, char *so,
                         size_t cap)
{
    char c[256], cmd[1024];
    snprintf(c, sizeof c, "%s/%s.c", dir, name);
    snprintf(so, cap, "%s/%s.so", dir, name);
    test_write_file(c, source);
    snprintf(cmd, sizeof cmd, "cc -shared -fPIC -Iinclude -o %s %s", so, c);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(inputs, plugins_of_the_wrong_type_or_abi_are_refused, .timeout = 60)
{
    char dir[] = "/tmp/mob-plugins-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    static const struct {
        const char *name, *source, *says;
    } bad[] = {
        {"int", "int mob_plugin_suite = 42;\n", "is not a mob_suite of this mob"},
        {"func", "void mob_plugin_suite(void) {}\n", "a function"},
        {"old", /* the layout before .abi: smaller */
         "#include <stddef.h>\nstruct old { const char *n; const void *s; void *f[5]; void *ud;"
         " size_t st; };\nconst struct old mob_plugin_suite = {0};\n",
         "is not a mob_suite of this mob"},
        {"abi", "#include \"mob_run.h\"\nstatic int ok(mob_worker *w) { (void)w; return 0; }\n"
                "static const mob_scenario sc[] = {{\"s\", ok, 1, 0}, {0, 0, 0, 0}};\n"
                "const mob_suite mob_plugin_suite = {.scenarios = sc, .abi = 99};\n",
         "built for plugin ABI 99"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char so[256];
        build_plugin(dir, bad[i].name, bad[i].source, so, sizeof so);
        struct test_out o;
        MOB(&o, "-w", "1", "-r", "1", "-q", so);
        cr_expect_eq(o.code, 2, "%s: exit %d: %s", bad[i].name, o.code, o.err);
        cr_expect_not_null(strstr(o.err, bad[i].says), "%s: %s", bad[i].name, o.err);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(inputs, numeric_flags_out_of_range_say_their_range, .timeout = 30)
{
    static const char *const cases[][3] = {
        {"-w", "0", "1 to 10M"},          {"-p", "2000", "1 to 1024"},
        {"--timeout", "0", "above 0"},    {"-d", "400d", "365d"},
        {"-R", "0", "above 0"},           {"--stack", "1", "4Ki to 64Mi"},
        {"--size", "0", "1 to 64Mi"},     {"-r", "0", "1 to 2^53"},
        {"-f", "-3", "1 to 2^53"},        {"--delay", "-1s", "0 to 365d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_out o;
        MOB(&o, cases[i][0], cases[i][1], "http://127.0.0.1:1/");
        cr_expect_eq(o.code, 2, "%s %s: exit %d", cases[i][0], cases[i][1], o.code);
        cr_expect_not_null(strstr(o.err, cases[i][2]), "%s %s: %s", cases[i][0], cases[i][1],
                           o.err);
    }
    struct test_out o;
    MOB(&o, "-w", "10M", "-p", "1024", "http://127.0.0.1:1/");
    cr_expect_eq(o.code, 2, "bot ids must fit: %s", o.err);
}

Test(inputs, per_bot_state_past_the_stack_is_no_crash, .timeout = 30)
{
    struct test_out o;
    MOB(&o, "--buffer", "1Mi", "-w", "4", "-d", "300ms", "--no-live", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 1, "refused every time, nothing succeeded: exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.out, "SUCCESSES: 0 | FAILURES: "), "%s", o.out);
}

Test(inputs, bots_past_the_open_file_limit_are_refused_with_the_remedy, .timeout = 30)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 10000000)
        cr_skip_test("no open-file limit under -w's own range here");
    char bots[32];
    snprintf(bots, sizeof bots, "%llu", (unsigned long long)rl.rlim_max); /* + stdio: past it */
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    MOB(&o, "-w", bots, "-d", "10s", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.err, "open files"), "%s", o.err);
    cr_assert_not_null(strstr(o.err, "use -p "), "the remedy is named: %s", o.err);
    cr_assert_lt(mob_clock_ns() - t0, 5 * MOB_NS_PER_SEC, "found before any load");
    /* Several targets: the http:// kind holds sockets even after an in-process arena. */
    MOB(&o, "-w", bots, "-d", "10s", "arena://in-process", "http://127.0.0.1:1/");
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.err, "open files"), "%s", o.err);
}
