/* SPDX-License-Identifier: MIT */
/*
 * test_source.c: `mob ./scenarios.c`: the command builds a C file of scenarios with the
 * system compiler into its cache ($XDG_CACHE_HOME/mob, pointed at a fresh directory here),
 * loads it, reuses the build while the source is unchanged, rebuilds after an edit, and
 * shows the compiler's messages with exit 2 when the file does not build.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

static const char scenarios_c[] =
    "#include \"mob_run.h\"\n"
    "static int hello(mob_worker *w) { (void)w; return %d; }\n"
    "static const mob_scenario sc[] = {{\"hello\", hello, 1, 0}, {0, 0, 0, 0}};\n"
    "const mob_suite mob_plugin_suite = {.abi = MOB_PLUGIN_ABI, .scenarios = sc};\n";

static int cached(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mob", dir);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".so") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void write_src(const char *path, const char *fmt, int arg)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, fmt, arg);
    fclose(f);
}

Test(source, a_c_file_of_scenarios_is_built_cached_and_run, .timeout = 60)
{
    char dir[] = "/tmp/mob-src-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CACHE_HOME", dir, 1);
    char src[600];
    snprintf(src, sizeof src, "%s/my_scenarios.c", dir);
    write_src(src, scenarios_c, 0);
    struct test_out o;
    MOB(&o, src, "-w", "2", "-r", "3", "--no-live");
    cr_assert_eq(o.code, 0, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "SUCCESSES: 6 | FAILURES: 0"), "%s", o.out);
    cr_assert_eq(cached(dir), 1);
    MOB(&o, src, "-w", "1", "-r", "1", "-q");
    cr_assert_eq(o.code, 0, "%s", o.err);
    cr_assert_eq(cached(dir), 1, "the same source is not built again");
    write_src(src, scenarios_c, 5); /* now every run fails with class status */
    MOB(&o, src, "-w", "1", "-r", "2", "--no-live");
    cr_assert(strstr(o.out, "SUCCESSES: 0 | FAILURES: 2"), "the edit was built: %s", o.out);
    cr_assert_eq(cached(dir), 2);
    write_src(src, "int broken = ;%d\n", 0);
    MOB(&o, src, "-r", "1");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "error"), "the compiler's message: %s", o.err);
    cr_assert(strstr(o.err, "does not build"), "%s", o.err);
    MOB(&o, "/nonexistent/x.c", "-r", "1");
    cr_assert_eq(o.code, 2);
    cr_assert(strstr(o.err, "cannot read"), "%s", o.err);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
