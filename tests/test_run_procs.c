/* SPDX-License-Identifier: MIT */
/*
 * test_run_procs.c: the load layer across processes and files: -p 2 merges to the same totals
 * as one process, merged timelines and percentiles come from summed distributions, the live
 * line of processes, unique bot ids, and the JSON report read back identical.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"
#include "test_run.h"
#include "run/run.h" /* the live slots of -p (mob__live_publish, mob__live_merge) */

Test(run, two_processes_merge_to_the_same_totals_as_one, .timeout = 10)
{
    mob_options o = quiet_options();
    o.bots = 6;
    o.max_runs = 50;
    mob_totals a, b;
    mob_result *one = run_one(fail_every_5th, &o, &a);
    o.bots = 3;
    o.processes = 2;
    mob_result *two = run_one(fail_every_5th, &o, &b);
    cr_assert_eq(b.processes, 2);
    cr_assert_eq(a.ok, b.ok);
    cr_assert_eq(a.failures, b.failures);
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        cr_assert_eq(a.fail[c], b.fail[c]);
    cr_assert_eq(b.bots_max, 6);
    cr_assert_eq(mob_hist_count(mob_result_latency(two)), b.ok);
    mob_result_free(one);
    mob_result_free(two);
}

/* Process 0 answers in 1 ms, process 1 in 10 ms: process 0 makes most of each second's runs. */
static int fast_or_slow(mob_worker *w)
{
    return mob_sleep(w->bot, w->process == 0 ? 1 * MS : 10 * MS);
}

Test(run, merged_timeline_percentiles_come_from_the_summed_distribution, .timeout = 10)
{
    mob_options o = quiet_options();
    o.bots = 2;
    o.processes = 2;
    o.duration_ns = 2500 * MS;
    mob_totals t;
    mob_result *r = run_one(fast_or_slow, &o, &t);
    cr_assert_geq(mob_result_seconds(r), 2);
    /* In a full second about 2,000 runs take 1 ms and 200 take 10 ms: the median is near 1 ms
     * (the worse process's median would say 10) and p99 near 10 ms. */
    for (int i = 0; i < 2; i++) {
        mob_second sec;
        cr_assert_eq(mob_result_second(r, i, &sec), 0);
        cr_assert_gt(sec.ok, 500, "second %d: %llu runs", i, (unsigned long long)sec.ok);
        cr_assert(sec.p50_ns >= 1 * MS && sec.p50_ns < 5 * MS, "second %d: p50 %lld ns", i,
                  (long long)sec.p50_ns);
        cr_assert(sec.p99_ns >= 10 * MS && sec.p99_ns <= sec.max_ns, "second %d: p99 %lld ns",
                  i, (long long)sec.p99_ns);
    }
    /* Written and read back, the second keeps its distribution and merges the same way. */
    char path[] = "/tmp/mob-test-tl-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(mob_result_write_json(r, path), 0);
    char again[64];
    snprintf(again, sizeof again, "%s.again", path);
    test_copy_as_new_run(path, again); /* r itself would be refused: the same run twice */
    mob_result *back, *copy;
    cr_assert_eq(mob_result_read_json(path, &back), 0);
    cr_assert_eq(mob_result_read_json(again, &copy), 0);
    unlink(path);
    unlink(again);
    cr_assert_eq(mob_result_merge(back, copy), 0);
    mob_result_free(copy);
    mob_second a, b;
    cr_assert_eq(mob_result_second(r, 0, &a), 0);
    cr_assert_eq(mob_result_second(back, 0, &b), 0);
    cr_assert_eq(b.ok, 2 * a.ok);
    cr_assert(llabs(b.p50_ns - a.p50_ns) <= a.p50_ns / 50, "p50 %lld vs %lld",
              (long long)b.p50_ns, (long long)a.p50_ns);
    cr_assert(llabs(b.p99_ns - a.p99_ns) <= a.p99_ns / 50, "p99 %lld vs %lld",
              (long long)b.p99_ns, (long long)a.p99_ns);
    mob_result_free(back);
    mob_result_free(r);
}

static int slow_10ms(mob_worker *w)
{
    return mob_sleep(w->bot, 10 * MS);
}

/* Copies a JSON report with every second's "hist" left out, as reports were written before. */
static void strip_second_hists(const char *from, const char *to)
{
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    cr_assert(in && out);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    buf[n] = 0;
    for (char *p = buf; *p;) {
        char *h = strstr(p, ",\"hist\":[");
        if (!h) {
            fputs(p, out);
            break;
        }
        fwrite(p, 1, (size_t)(h - p), out);
        int depth = 0;
        char *q = h + 8;
        do
            depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
        while (*++q && depth > 0);
        p = q;
    }
    fclose(in);
    fclose(out);
}

Test(run, a_report_without_second_buckets_merges_with_the_worse_percentiles, .timeout = 10)
{
    mob_options o = quiet_options();
    o.bots = 2;
    o.duration_ns = 1200 * MS;
    mob_totals t;
    mob_result *fast = run_one(fast_or_slow, &o, &t); /* one process: every run takes 1 ms */
    char path[] = "/tmp/mob-test-old-XXXXXX", old[64];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(old, sizeof old, "%s.old", path);
    cr_assert_eq(mob_result_write_json(fast, path), 0);
    strip_second_hists(path, old);
    mob_result *a, *b;
    cr_assert_eq(mob_result_read_json(old, &a), 0);
    cr_assert_eq(mob_result_read_json(path, &b), 0);
    unlink(path);
    unlink(old);
    /* A slow second merged into each: the one that kept its buckets gets the true median of
     * the sum (still near 1 ms), the old one can only say the worse of the two (10 ms). */
    mob_result *slow = run_one(slow_10ms, &o, &t);
    cr_assert_eq(mob_result_merge(a, slow), 0);
    cr_assert_eq(mob_result_merge(b, slow), 0);
    mob_second sa, sb, ss;
    cr_assert_eq(mob_result_second(slow, 0, &ss), 0);
    cr_assert_eq(mob_result_second(a, 0, &sa), 0);
    cr_assert_eq(mob_result_second(b, 0, &sb), 0);
    cr_assert_geq(ss.p50_ns, 10 * MS);
    cr_assert_eq(sa.p50_ns, ss.p50_ns);
    cr_assert(sb.p50_ns < 5 * MS, "p50 %lld", (long long)sb.p50_ns);
    mob_result_free(a);
    mob_result_free(b);
    mob_result_free(fast);
    mob_result_free(slow);
}

/* One child's slot after a second of n runs that each took ns. */
static mob_result *second_of(struct mob__live *slot, int n, int64_t ns)
{
    static const char *const names[] = {"f"};
    mob_result *r = mob__result_new("s", "", names, 1);
    cr_assert(r);
    for (int i = 0; i < n; i++)
        mob__result_record(r, 0, 0, ns);
    mob__result_tick(r);
    mob__live_publish(slot, r, 1);
    return r;
}

Test(run, live_line_of_processes_merges_their_last_seconds, .timeout = 5)
{
    struct mob__live *live = calloc(2, sizeof *live);
    cr_assert(live);
    mob_result *a = second_of(&live[0], 900, 1 * MS);
    mob_result *b = second_of(&live[1], 100, 20 * MS);
    int64_t p50, p99;
    mob__live_merge(live, 2, &p50, &p99);
    cr_assert(p50 >= 1 * MS && p50 <= 1 * MS + 1 * MS / 50, "p50 %lld", (long long)p50);
    cr_assert(p99 >= 20 * MS - 20 * MS / 50 && p99 <= 20 * MS, "p99 %lld", (long long)p99);
    /* A child caught writing its slot: the line falls back to the worst child's figures. */
    live[0].seq++;
    mob__live_merge(live, 2, &p50, &p99);
    cr_assert_eq(p50, 20 * MS);
    mob_result_free(a);
    mob_result_free(b);
    free(live);
}

static int other_fn(mob_worker *w)
{
    (void)w;
    return 0;
}

static int ids_fd = -1;

static int write_id(mob_worker *w)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%d %d\n", w->id, w->process);
    return write(ids_fd, b, (size_t)n) == n ? 0 : -1; /* O_APPEND: one line, atomically */
}

Test(run, bot_ids_are_unique_across_processes, .timeout = 10)
{
    static const mob_scenario sc[] = {{"f", ok_fn, 1, 0}, {NULL, 0, 0, 0}};
    mob_suite s = {.scenarios = sc, .bot_setup = write_id};
    char path[] = "/tmp/mob-test-ids-XXXXXX";
    ids_fd = mkstemp(path);
    cr_assert_geq(ids_fd, 0);
    close(ids_fd);
    ids_fd = open(path, O_WRONLY | O_APPEND);
    mob_options o = quiet_options();
    o.bots = 3;
    o.processes = 3;
    o.max_runs = 2;
    mob_totals t;
    mob_result *r = run_totals(&s, &o, &t);
    close(ids_fd);
    FILE *f = fopen(path, "r");
    int seen_ids[9] = {0}, id, proc, n = 0;
    while (fscanf(f, "%d %d", &id, &proc) == 2) {
        cr_assert(id >= 0 && id < 9, "id %d", id);
        cr_assert_eq(id / 3, proc, "bot %d belongs to process %d", id, id / 3);
        seen_ids[id]++;
        n++;
    }
    fclose(f);
    unlink(path);
    cr_assert_eq(n, 9);
    for (int i = 0; i < 9; i++)
        cr_assert_eq(seen_ids[i], 1, "id %d seen %d times", i, seen_ids[i]);
    cr_assert_eq(t.ok, 18);
    mob_result_free(r);
}

Test(run, json_report_reads_back_identical, .timeout = 5)
{
    static const mob_scenario sc[] = {
        {"f", fail_every_5th, 2, 0}, {"n", other_fn, 1, 0}, {NULL, 0, 0, 0}};
    mob_suite s = {.scenarios = sc};
    mob_options o = quiet_options();
    o.bots = 2;
    o.max_runs = 500;
    mob_result *r, *back;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    char path[] = "/tmp/mob-test-json-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(mob_result_write_json(r, path), 0);
    cr_assert_eq(mob_result_read_json(path, &back), 0);
    char again[64];
    snprintf(again, sizeof again, "%s.again", path);
    test_copy_as_new_run(path, again);
    unlink(path);
    cr_assert_str_eq(mob_result_run_id(back), mob_result_run_id(r), "the run id is kept");
    mob_totals a, b;
    mob_result_totals(r, &a);
    mob_result_totals(back, &b);
    cr_assert_eq(a.ok, b.ok);
    cr_assert_eq(a.failures, b.failures);
    cr_assert_eq(a.seed, b.seed);
    cr_assert_eq(a.elapsed_ns, b.elapsed_ns);
    cr_assert_eq(mob_result_nscenarios(back), 2);
    for (double p = 0; p <= 100; p += 5)
        cr_assert_eq(mob_hist_percentile(mob_result_latency(r), p),
                     mob_hist_percentile(mob_result_latency(back), p));
    cr_assert_eq(mob_hist_mean(mob_result_latency(r)), mob_hist_mean(mob_result_latency(back)));
    cr_assert_eq(mob_result_seconds(r), mob_result_seconds(back));
    /* Each scenario's timeline adds up to its counts, and reads back the same. */
    for (int i = 0; i < 2; i++) {
        mob_scenario_stats x, y;
        cr_assert_eq(mob_result_scenario(r, i, &x), 0);
        cr_assert_eq(mob_result_scenario(back, i, &y), 0);
        cr_assert_eq(x.nseconds, mob_result_seconds(r));
        cr_assert_eq(y.nseconds, x.nseconds);
        uint64_t ok = 0, fail = 0;
        for (int k = 0; k < x.nseconds; k++) {
            ok += x.timeline[2 * k];
            fail += x.timeline[2 * k + 1];
            cr_assert_eq(x.timeline[2 * k], y.timeline[2 * k]);
        }
        cr_assert_eq(ok, x.ok);
        cr_assert_eq(fail, x.failures);
    }
    /* Merging a result with itself is refused (the same run twice), and changes nothing;
     * with another run of the same counts, every count doubles. */
    cr_assert_eq(mob_result_merge(back, r), -EEXIST);
    mob_result_totals(back, &b);
    cr_assert_eq(b.ok, a.ok);
    mob_result_free(r);
    cr_assert_eq(mob_result_read_json(again, &r), 0);
    unlink(again);
    cr_assert_eq(mob_result_merge(back, r), 0);
    mob_result_totals(back, &b);
    cr_assert_eq(b.ok, 2 * a.ok);
    cr_assert_eq(mob_hist_count(mob_result_latency(back)), 2 * a.ok);
    mob_result_free(r);
    mob_result_free(back);
}
