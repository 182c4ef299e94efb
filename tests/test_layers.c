/* SPDX-License-Identifier: MIT */
/*
 * test_layers.c: tools/check-layers.sh, the check that keeps the layers sealed and the files
 * small, catches what it is there for: a file above the core reaching into its private
 * headers, a layer including one above it, the platform including a mob header, a tool
 * using the test hooks, a public header with no layer, a layer above the core naming one of
 * its internals (mob__park, as the arena once did), a file past 600 lines. And the tree
 * itself passes. Runs from the source tree (the tests' working directory).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs the check on `text` as if it lived at `as`; returns its exit status and what it
 * printed (both streams) in out. */
static int probe(const char *as, const char *text, char *out, size_t cap)
{
    char path[] = "/tmp/mob-layers-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tools/check-layers.sh --as %s %s 2>&1", as, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_refused(const char *as, const char *text, const char *why)
{
    char out[2048];
    cr_expect_eq(probe(as, text, out, sizeof out), 1, "%s passed: %s", as, text);
    cr_expect(strstr(out, why) != NULL, "for %s, wanted '%s' in: %s", as, why, out);
}

Test(layers, the_tree_passes, .timeout = 60)
{
    FILE *p = popen("tools/check-layers.sh 2>&1", "r");
    cr_assert_not_null(p);
    char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
}

Test(layers, a_layer_above_the_core_cannot_reach_its_private_headers)
{
    expect_refused("src/proto/x.c", "#include \"internal.h\"\n", "core's private files");
    expect_refused("src/run/x.c", "#include \"../core/io_fd.h\"\n", "core's private files");
    expect_refused("src/arena/x.c", "#include \"run/run.h\"\n", "run's private files");
    expect_refused("tools/mob/x.c", "#include \"../../platform/platform.h\"\n",
                   "only the core sees platform/");
}

Test(layers, no_layer_above_the_core_names_its_internals)
{
    expect_refused("src/arena/x.c", "int mob__park(void);\nint f(void) { return mob__park(); }\n",
                   "names mob__park");
    expect_refused("tools/mob/x.c", "struct mob__stack_pool *p;\n", "names mob__stack_pool");
    char out[2048];
    cr_expect_eq(probe("src/core/x.c", "int mob__park(void);\n", out, sizeof out), 0, "%s", out);
}

Test(layers, no_layer_includes_one_above_it)
{
    expect_refused("src/proto/x.c", "#include \"mob_run.h\"\n", "proto must not depend on run");
    expect_refused("src/run/x.c", "#include \"mob_suites.h\"\n",
                   "run must not depend on suites");
    expect_refused("platform/x.c", "#include \"mob.h\"\n", "platform must not depend on core");
}

Test(layers, only_mob_bench_uses_the_test_hooks_and_says_so)
{
    expect_refused("tools/mob/x.c", "#define MOB_TEST_HOOKS\n#include \"mob_test_hooks.h\"\n",
                   "test hooks");
    expect_refused("tools/mob-bench/x.c", "#include \"mob_test_hooks.h\"\n", "test hooks");
    char out[2048];
    cr_expect_eq(probe("tools/mob-bench/x.c",
                       "#define MOB_TEST_HOOKS\n#include \"mob_test_hooks.h\"\n", out, sizeof out),
                 0, "%s", out);
}

Test(layers, what_a_layer_may_include_passes)
{
    char out[2048];
    cr_expect_eq(probe("src/proto/x.c", "#include \"mob_base.h\"\n#include \"mob_http.h\"\n"
                                        "#include \"http_bytes.h\"\n#include <stdio.h>\n",
                       out, sizeof out),
                 0, "%s", out);
    cr_expect_eq(probe("src/core/x.c", "#include \"internal.h\"\n#include \"io_fd.h\"\n", out,
                       sizeof out),
                 0, "%s", out);
}

Test(layers, a_file_past_the_bound_is_refused)
{
    size_t cap = 601 * 3 + 1;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    for (int i = 0; i < 601; i++)
        memcpy(text + 3 * i, "x;\n", 3);
    text[cap - 1] = 0;
    expect_refused("src/core/x.c", text, "over 600");
    free(text);
}
