/* SPDX-License-Identifier: MIT */
/*
 * test_molotov.c: the parts of molotov's contract the command and the runner keep: bundled
 * short flags (-qx, -vv, -qv refused) and the process-wide variable store with lazy factories
 * (set_var / get_var), seen from global setup through scenarios to bot teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob_run.h"

static int made;

static void *make_token(void *arg)
{
    made++;
    return arg;
}

Test(molotov, vars_set_get_replace_and_make_lazily_once)
{
    static int a, b, c;
    cr_assert_null(mob_get_var("token", NULL, NULL));
    cr_assert_eq(mob_set_var("token", &a), 0);
    cr_assert_eq(mob_get_var("token", NULL, NULL), &a);
    cr_assert_eq(mob_set_var("token", &b), 0);
    cr_assert_eq(mob_get_var("token", NULL, NULL), &b, "set_var replaces");
    cr_assert_eq(mob_get_var("lazy", make_token, &c), &c);
    cr_assert_eq(mob_get_var("lazy", make_token, &a), &c, "the factory's value stays");
    cr_assert_eq(made, 1, "the factory runs once");
    char name[32];
    for (int i = 0; i < 100; i++) { /* past the first allocation */
        snprintf(name, sizeof name, "v%d", i);
        cr_assert_eq(mob_set_var(name, &a + 0), 0);
    }
    cr_assert_eq(mob_get_var("v99", NULL, NULL), &a);
    cr_assert_eq(mob_get_var("token", NULL, NULL), &b);
    mob_vars_clear();
    cr_assert_null(mob_get_var("token", NULL, NULL));
}

static int seen_in_scenario, seen_in_teardown;

static int gsetup(const mob_options *o, void **ud)
{
    (void)o, (void)ud;
    static int shared = 42;
    return mob_set_var("shared", &shared);
}

static int scen(mob_worker *w)
{
    (void)w;
    int *v = mob_get_var("shared", NULL, NULL);
    seen_in_scenario += v && *v == 42;
    return 0;
}

static int bteardown(mob_worker *w)
{
    (void)w;
    int *v = mob_get_var("shared", NULL, NULL);
    seen_in_teardown += v && *v == 42;
    return 0;
}

Test(molotov, a_var_set_in_global_setup_is_seen_by_scenarios_and_teardowns, .timeout = 10)
{
    static const mob_scenario sc[] = {{"s", scen, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .global_setup = gsetup, .bot_teardown = bteardown};
    mob_options o;
    mob_options_init(&o);
    o.bots = 3;
    o.max_runs = 2;
    o.duration_ns = 0;
    o.quiet = 1;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    cr_assert_eq(seen_in_scenario, 6);
    cr_assert_eq(seen_in_teardown, 3);
    mob_result_free(r);
}

Test(molotov, bundled_short_flags, .timeout = 20)
{
    struct test_out o;
    /* -qx: quiet, and stop on the first failure (a refused port): exit 1, nothing printed. */
    MOB(&o, "http://127.0.0.1:9/", "-qx", "-w", "1", "-d", "5s");
    cr_assert_eq(o.code, 1, "%s", o.err);
    cr_assert_eq(o.out[0], 0, "-q prints nothing: %s", o.out);
    MOB(&o, "http://127.0.0.1:9/", "-vv", "-r", "1", "-w", "1");
    cr_assert_eq(o.code, 1, "%s", o.err);
    cr_assert(strstr(o.err, "failed: connect"), "-v shows failures: %s", o.err);
    MOB(&o, "http://127.0.0.1:9/", "-qv", "-r", "1");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "-q and -v"), "%s", o.err);
    MOB(&o, "http://127.0.0.1:9/", "-qz", "-r", "1");
    cr_assert_eq(o.code, 2, "an unknown letter in a bundle is an unknown option");
}

Test(molotov, a_config_file_of_named_runs, .timeout = 20)
{
    char path[] = "/tmp/mob-molotov-XXXXXX";
    close(mkstemp(path));
    test_write_file(path,
               "{\"molotov\": {\"env\": {\"X\": \"1\"}, \"requirements\": \"r.txt\",\n"
               " \"tests\": {\"big\": {\"workers\": 50, \"duration\": \"1h\"},\n"
               "   \"smoke\": {\"workers\": 2, \"max_runs\": 3, \"exception\": false,\n"
               "             \"scenario\": \"http://127.0.0.1:9/\",\n"
               "             \"threshold\": [\"failures<=100\", \"rps>0\"]}}}}\n");
    struct test_out o;
    MOB(&o, "--config", path, "smoke", "--no-live");
    cr_assert(strstr(o.out, "SUCCESSES: 0 | FAILURES: 6"), "2 workers x 3 runs: %s%s", o.out,
              o.err);
    cr_assert(strstr(o.out, "failures<=100"), "an array repeats the flag: %s", o.out);
    MOB(&o, "--config", path, "smoke", "-w", "1", "--no-live");
    cr_assert(strstr(o.out, "FAILURES: 3"), "the command line overrides the file: %s", o.out);
    MOB(&o, "--config", path, "nope");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "Can't find 'nope' in the config"), "%s", o.err);
    test_write_file(path, "{\"tests\": {}}");
    MOB(&o, "--config", path, "smoke");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "Bad config -- no molotov key"), "%s", o.err);
    test_write_file(path, "{\"molotov\": {\"tests\": {\"smoke\": {\"workers\": }}}}");
    MOB(&o, "--config", path, "smoke");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "not the JSON of a molotov config"), "%s", o.err);
    unlink(path);
    MOB(&o, "--config", "/nonexistent.json", "smoke");
    cr_assert_eq(o.code, 2);
    MOB(&o, "--config", path);
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "needs a file and a run name"), "%s", o.err);
}

/* Each bad file: exit 2 and exactly one line on stderr, saying what is wrong. */
static void config_refused(const char *path, const char *text, const char *name, const char *why)
{
    test_write_file(path, text);
    struct test_out o;
    MOB(&o, "--config", path, name, "--no-live");
    cr_assert_eq(o.code, 2, "%s: %s", text, o.err);
    cr_assert(strstr(o.err, why), "%s: %s", text, o.err);
    cr_assert(strchr(o.err, '\n') == o.err + strlen(o.err) - 1, "one line: %s", o.err);
    cr_assert(strstr(o.err, path), "names the file: %s", o.err);
}

Test(molotov, a_bad_config_file_is_one_clear_line_and_exit_2, .timeout = 20)
{
    char path[] = "/tmp/mob-molotov-XXXXXX";
    close(mkstemp(path));
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": {\"duration\": \"3s}}}}", "smoke",
                   "byte 45: an unterminated string");
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": {}}}} x", "smoke",
                   "byte 38: more text after the value");
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": {\"workers\": \"2\\q\"}}}}",
                   "smoke", "an unknown escape in a string");
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": {\"workers\": {\"n\": 2}}}}}",
                   "smoke", "molotov.tests.smoke.workers holds an object, not a string");
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": {\"header\": [[\"a\"]]}}}}",
                   "smoke", "molotov.tests.smoke.header holds an array");
    config_refused(path, "{\"molotov\": {\"tests\": {\"smoke\": [1]}}}", "smoke",
                   "molotov.tests.smoke is an array, not an object");
    config_refused(path, "{\"molotov\": {\"env\": [\"X\"], \"tests\": {\"smoke\": {}}}}",
                   "smoke", "molotov.env is an array, not an object");
    config_refused(path, "{\"molotov\": {\"env\": {\"X\": {}}, \"tests\": {\"smoke\": {}}}}",
                   "smoke", "molotov.env.X is an object");
    config_refused(path, "{\"molotov\": {\"tests\": 3}}", "smoke",
                   "molotov.tests is a number, not an object");
    config_refused(path, "[{\"molotov\": {}}]", "smoke", "its top is an array, not an object");
    config_refused(path, "{\"molotov\": {\"tests\": {\"big\": {}, \"smoke\": {}}}}", "nope",
                   "Can't find 'nope' in the config; it has: big, smoke");
    config_refused(path, "{\"molotov\": {}}", "nope",
                   "Can't find 'nope' in the config; it has no tests");
    config_refused(path, "{\"molotov\": {\"tests\": {\"a\\nb\": {}}}}", "nope",
                   "Can't find 'nope' in the config; it has: a?b");
    /* A file past the limit, valid JSON all the same: refused for its size, unread. */
    size_t big = (1u << 20) + 16;
    char *text = malloc(big + 1);
    cr_assert_not_null(text);
    memset(text, ' ', big);
    memcpy(text, "{\"molotov\": {\"tests\": {\"smoke\": {}}}}", 37);
    text[big] = 0;
    config_refused(path, text, "smoke", "over 1 MiB, too large for a molotov config");
    free(text);
    unlink(path);
}
