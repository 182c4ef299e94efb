/* SPDX-License-Identifier: MIT */
/*
 * test_examples.c: every teaching example must keep printing what it says it prints. For each
 * tools/examples/NAME.out there is one test, which runs $MOB_BUILD/examples/NAME (MOB_BUILD
 * defaults to "build"; `make test` sets it) and compares its stdout with NAME.out byte for
 * byte. Run from the repository root, as `make test` does.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define EXAMPLES_DIR "tools/examples"
#define MAX_EXAMPLES 64

struct example {
    char name[64];
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct example *)a)->name, ((const struct example *)b)->name);
}

/* Reads a whole stream into a malloc'd buffer; returns its length, or -1. */
static long slurp(FILE *f, char **out)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    if (!buf)
        return -1;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                return -1;
            }
            buf = b;
        }
    }
    *out = buf;
    return (long)len;
}

ParameterizedTestParameters(examples, stdout_matches_the_out_file)
{
    /* Static storage: Criterion forks each test from the process that built this array. */
    static struct example list[MAX_EXAMPLES];
    size_t n = 0;
    DIR *d = opendir(EXAMPLES_DIR);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < MAX_EXAMPLES) {
            size_t len = strlen(e->d_name);
            if (len > 4 && len - 4 < sizeof list[n].name &&
                strcmp(e->d_name + len - 4, ".out") == 0) {
                memcpy(list[n].name, e->d_name, len - 4);
                list[n].name[len - 4] = '\0';
                n++;
            }
        }
        closedir(d);
    }
    qsort(list, n, sizeof list[0], by_name);
    return cr_make_param_array(struct example, list, n);
}

ParameterizedTest(struct example *ex, examples, stdout_matches_the_out_file, .timeout = 20)
{
    const char *build = getenv("MOB_BUILD");
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/examples/%s", build && *build ? build : "build", ex->name);
    FILE *probe = fopen(path, "rb");
    cr_assert_not_null(probe, "%s is not built (run make first)", path);
    fclose(probe);

    char want_path[256];
    snprintf(want_path, sizeof want_path, EXAMPLES_DIR "/%s.out", ex->name);
    FILE *wf = fopen(want_path, "rb");
    cr_assert_not_null(wf, "cannot open %s", want_path);
    char *want = NULL;
    long want_len = slurp(wf, &want);
    fclose(wf);
    cr_assert_geq(want_len, 0);

    snprintf(cmd, sizeof cmd, "'%s' </dev/null", path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run %s", path);
    char *got = NULL;
    long got_len = slurp(p, &got);
    int status = pclose(p);
    cr_assert_geq(got_len, 0);

    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exited with status %d", path,
              status);
    cr_assert(got_len == want_len && memcmp(got, want, (size_t)got_len) == 0,
              "%s printed:\n%.*s\nexpected (%s):\n%.*s", ex->name, (int)got_len, got, want_path,
              (int)want_len, want);
    free(got);
    free(want);
}
