/* SPDX-License-Identifier: MIT */
/*
 * mob merge refuses nonsense (issue 11, part 8): the same run twice, a format version it does
 * not read, reports of different targets (unless --force), counts past 64 bits or that would
 * overflow once added, histograms that do not add up, and inputs past a size bound
 * (/dev/zero returns). Each is one line on stderr, exit 2, and nothing written.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

static char dir[64];

static const char *file(const char *name)
{
    static char paths[64][128];
    static int next;
    char *p = paths[next++ % 64];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

/* A report with n successes of 1 us in one scenario, by hand; `patch` is spliced into its
 * totals (or "" for none). */
static const char *report(const char *name, const char *id, const char *target, const char *n,
                          const char *bucket_n, const char *version)
{
    const char *path = file(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    char hist[256];
    snprintf(hist, sizeof hist,
             "{\"count\":%s,\"min\":1000,\"max\":1000,\"sum\":%s000,\"buckets\":[[1000,%s]]}",
             n, n, bucket_n);
    fprintf(f,
            "{\"mob\":%s,\"suite\":\"s\",\"target\":\"%s\",\"run_id\":\"%s\",\"runs\":[\"%s\"],"
            "\"totals\":{\"ok\":%s,\"failures\":0,\"processes\":1},\"latency\":%s,"
            "\"scenarios\":[{\"name\":\"a\",\"ok\":%s,\"fail\":{},\"latency\":%s}],"
            "\"timeline\":[]}\n",
            version, target, id, id, n, hist, n, hist);
    fclose(f);
    return path;
}

static void expect_refused(const char *const *args, const char *says)
{
    const char *out = file("out.json");
    unlink(out);
    struct test_out o;
    const char *argv[16] = {"merge", "--json", out};
    int n = 3;
    for (; args[n - 3]; n++)
        argv[n] = args[n - 3];
    argv[n] = NULL;
    test_run_mob(&o, 0, 0, argv);
    cr_expect_eq(o.code, 2, "%s: exit %d: %s", says, o.code, o.err);
    cr_expect_not_null(strstr(o.err, says), "wanted '%s' in: %s", says, o.err);
    int lines = 0;
    for (const char *p = o.err; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 1, "one line: %s", o.err);
    cr_expect_neq(access(out, F_OK), 0, "nothing written");
}

#define REFUSED(says, ...) expect_refused((const char *const[]){__VA_ARGS__, NULL}, says)

Test(merge, nonsense_is_refused_with_one_line_and_exit_2, .timeout = 30)
{
    snprintf(dir, sizeof dir, "/tmp/mob-merge-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    const char *a = report("a.json", "r:a", "http://x/", "5", "5", "1");
    const char *b = report("b.json", "r:b", "http://x/", "7", "7", "1");
    struct test_out o;
    MOB(&o, "merge", "--json", file("ok.json"), a, b);
    cr_assert_eq(o.code, 0, "two good reports merge: %s", o.err);
    cr_assert_not_null(strstr(o.out, "SUCCESSES: 12 | FAILURES: 0"), "%s", o.out);
    /* The merged report lists both runs: merging it with either part again is refused. */
    REFUSED("the same run twice", file("ok.json"), a);
    REFUSED("the same run twice", a, a);
    REFUSED("format version 3", report("v3.json", "r:v", "http://x/", "5", "5", "3"), a);
    const char *tcp = report("tcp.json", "r:t", "tcp://x:1", "5", "5", "1");
    REFUSED("--force", a, tcp);
    MOB(&o, "merge", "--force", "-q", a, tcp);
    cr_assert_eq(o.code, 0, "--force merges them: %s", o.err);
    REFUSED("does not fit 64 bits",
            report("huge.json", "r:h", "http://x/", "1000000000000000000000000000000",
                   "1000000000000000000000000000000", "1"),
            a);
    REFUSED("do not add up", report("broken.json", "r:k", "http://x/", "5", "4", "1"), a);
    const char *half = "9223372036854775808"; /* 2^63: twice that overflows */
    REFUSED("would not fit 64 bits", report("h1.json", "r:1", "http://x/", half, half, "1"),
            report("h2.json", "r:2", "http://x/", half, half, "1"));
    int64_t t0 = mob_clock_ns();
    REFUSED("larger than 64 MiB", "/dev/zero");
    cr_assert_lt(mob_clock_ns() - t0, 10 * MOB_NS_PER_SEC, "/dev/zero returns");
    REFUSED("not a mob JSON report", "/etc/passwd");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
