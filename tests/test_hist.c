/* SPDX-License-Identifier: MIT */
/* Tests for mob_hist.h: 0.1% accuracy everywhere, exact merge, boundaries, percentiles
 * against a sorted array, and the .hgrm text output. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mob_hist.h"

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A log-uniform value in [1 us, 1 h]: every magnitude gets its share. */
static int64_t log_uniform(void)
{
    double e = 3.0 + (double)(rnd() % 1000000) / 1000000.0 * (log10((double)MOB_HIST_MAX_NS) - 3);
    return (int64_t)pow(10.0, e);
}

Test(hist, every_value_reads_back_within_a_tenth_of_a_percent)
{
    /* Walk every magnitude with a dense set of values, including each power of two and its
     * neighbours: the bucket bounds must bracket the value and be within 0.1% of it. */
    for (int64_t v = 1; v <= MOB_HIST_MAX_NS; v = v + 1 + v / 997) {
        int64_t lo = mob_hist_lowest_equivalent(v), hi = mob_hist_highest_equivalent(v);
        cr_assert(lo <= v && v <= hi, "v=%lld lo=%lld hi=%lld", (long long)v, (long long)lo,
                  (long long)hi);
        cr_assert((double)(hi - lo) <= (double)v * 0.001, "v=%lld width=%lld", (long long)v,
                  (long long)(hi - lo));
    }
    for (int k = 1; k < 42; k++) {
        int64_t p = (int64_t)1 << k;
        for (int64_t v = p - 2; v <= p + 2; v++) {
            int64_t lo = mob_hist_lowest_equivalent(v), hi = mob_hist_highest_equivalent(v);
            cr_assert(lo <= v && v <= hi);
            cr_assert((double)(hi - lo) <= (double)v * 0.001 + 0.5);
        }
    }
}

Test(hist, values_below_2048_ns_are_exact)
{
    for (int64_t v = 0; v < 2048; v++) {
        cr_assert_eq(mob_hist_lowest_equivalent(v), v);
        cr_assert_eq(mob_hist_highest_equivalent(v), v);
    }
}

Test(hist, boundaries_clamp_and_count)
{
    mob_hist *h = mob_hist_new();
    cr_assert_not_null(h);
    mob_hist_record(h, -5);
    mob_hist_record(h, MOB_HIST_MAX_NS);
    mob_hist_record(h, MOB_HIST_MAX_NS + 1);
    mob_hist_record(h, INT64_MAX);
    cr_assert_eq(mob_hist_count(h), 4);
    cr_assert_eq(mob_hist_clamped(h), 2);
    cr_assert_eq(mob_hist_min(h), 0);
    cr_assert_eq(mob_hist_max(h), MOB_HIST_MAX_NS);
    cr_assert_eq(mob_hist_percentile(h, 100), MOB_HIST_MAX_NS);
    cr_assert_eq(mob_hist_percentile(h, 0), 0);
    cr_assert_eq(mob_hist_percentile(h, 25), 0);
    mob_hist_reset(h);
    cr_assert_eq(mob_hist_count(h), 0);
    cr_assert_eq(mob_hist_percentile(h, 50), 0);
    cr_assert_eq(mob_hist_max(h), 0);
    mob_hist_free(h);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(hist, percentiles_match_a_sorted_array_within_a_tenth_of_a_percent)
{
    enum { N = 100000 };
    int64_t *v = malloc(N * sizeof *v);
    mob_hist *h = mob_hist_new();
    for (int i = 0; i < N; i++) {
        v[i] = log_uniform();
        mob_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp64);
    const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
    int64_t got[10];
    mob_hist_percentiles(h, ps, got, 10);
    for (int k = 0; k < 10; k++) {
        size_t rank = (size_t)ceil(ps[k] / 100.0 * N); /* 1-based */
        int64_t want = v[rank - 1];
        cr_assert(fabs((double)(got[k] - want)) <= (double)want * 0.001,
                  "p%g: got %lld want %lld", ps[k], (long long)got[k], (long long)want);
        cr_assert_eq(got[k], mob_hist_percentile(h, ps[k]));
    }
    cr_assert_eq(mob_hist_min(h), v[0]);
    cr_assert_eq(mob_hist_max(h), v[N - 1]);
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += (double)v[i];
    cr_assert(fabs(mob_hist_mean(h) - sum / N) <= sum / N * 1e-9);
    free(v);
    mob_hist_free(h);
}

Test(hist, merging_equals_recording_everything_into_one)
{
    mob_hist *all = mob_hist_new(), *a = mob_hist_new(), *b = mob_hist_new(),
             *m = mob_hist_new();
    for (int i = 0; i < 50000; i++) {
        int64_t x = log_uniform();
        mob_hist_record(all, x);
        mob_hist_record(i % 3 ? a : b, x);
    }
    mob_hist_merge(m, b);
    mob_hist_merge(m, a);
    cr_assert_eq(mob_hist_count(m), mob_hist_count(all));
    cr_assert_eq(mob_hist_min(m), mob_hist_min(all));
    cr_assert_eq(mob_hist_max(m), mob_hist_max(all));
    for (double p = 0; p <= 100; p += 0.5)
        cr_assert_eq(mob_hist_percentile(m, p), mob_hist_percentile(all, p), "p%g", p);
    /* Slot by slot: the serialized form (foreach) of both is identical. */
    char *sa = NULL, *sm = NULL;
    size_t la = 0, lm = 0;
    FILE *fa = open_memstream(&sa, &la), *fm = open_memstream(&sm, &lm);
    mob_hist_write_hgrm(all, fa, 1e6, 5);
    mob_hist_write_hgrm(m, fm, 1e6, 5);
    fclose(fa);
    fclose(fm);
    /* The mean is a floating sum added in another order: compare all but the footer. */
    *strstr(sa, "#[Mean") = 0;
    *strstr(sm, "#[Mean") = 0;
    cr_assert_str_eq(sa, sm);
    free(sa);
    free(sm);
    mob_hist_free(all);
    mob_hist_free(a);
    mob_hist_free(b);
    mob_hist_free(m);
}

struct rebuild {
    mob_hist *to;
    int slots;
};

static int rebuild_slot(int64_t value, uint64_t count, void *ud)
{
    struct rebuild *r = ud;
    mob_hist_record_n(r->to, value, count);
    r->slots++;
    return 0;
}

Test(hist, foreach_rebuilds_the_same_slots)
{
    mob_hist *h = mob_hist_new(), *g = mob_hist_new();
    for (int i = 0; i < 20000; i++)
        mob_hist_record(h, log_uniform());
    struct rebuild r = {g, 0};
    cr_assert_eq(mob_hist_foreach(h, rebuild_slot, &r), 0);
    cr_assert_gt(r.slots, 100);
    mob_hist_set_exact(g, mob_hist_min(h), mob_hist_max(h), mob_hist_sum(h),
                       mob_hist_clamped(h));
    for (double p = 0; p <= 100; p += 0.25)
        cr_assert_eq(mob_hist_percentile(g, p), mob_hist_percentile(h, p));
    cr_assert_eq(mob_hist_mean(g), mob_hist_mean(h));
    mob_hist_free(h);
    mob_hist_free(g);
}

Test(hist, hgrm_output_has_hdrhistogram_shape)
{
    mob_hist *h = mob_hist_new();
    for (int i = 1; i <= 1000; i++)
        mob_hist_record(h, (int64_t)i * 1000000); /* 1..1000 ms */
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    cr_assert_eq(mob_hist_write_hgrm(h, f, 1e6, 5), 0);
    fclose(f);
    cr_assert(strstr(s, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n") == s);
    cr_assert_not_null(strstr(s, "   1000.000 1.000000000000       1000\n"));
    cr_assert_not_null(strstr(s, "#[Max     =     1000.000, Total count    =         1000]"));
    cr_assert_not_null(strstr(s, "#[Buckets =           32, SubBuckets     =         2048]"));
    /* The median line: 500 ms (its bucket's highest value) at the 0.5 level, 500 values. */
    char want[128];
    snprintf(want, sizeof want, "%12.3f 0.500000000000        500           2.00\n",
             (double)mob_hist_highest_equivalent(500000000) / 1e6);
    cr_assert_not_null(strstr(s, want), "%s", s);
    /* Levels only grow, and the count column never decreases. */
    double last_p = -1;
    unsigned long last_c = 0;
    int lines = 0;
    for (char *line = strchr(s, '\n') + 2; *line && *line != '#'; line = strchr(line, '\n') + 1) {
        double val, p;
        unsigned long c;
        cr_assert_eq(sscanf(line, "%lf %lf %lu", &val, &p, &c), 3);
        cr_assert_gt(p, last_p);
        cr_assert_geq(c, last_c);
        last_p = p;
        last_c = c;
        lines++;
    }
    cr_assert_gt(lines, 20);
    free(s);
    mob_hist_free(h);
}
