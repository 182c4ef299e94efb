/* SPDX-License-Identifier: MIT */
/*
 * hist.c: the histogram behind mob_hist.h. A flat array of 64-bit counters indexed by a
 * value's top 11 significant bits and its magnitude (HdrHistogram's layout with a 1 ns unit;
 * the header draws it). Recording is a count-leading-zeros, a shift and an add. Everything
 * else walks only the slots between the lowest and highest index ever touched, so an empty or
 * narrow histogram is cheap to read, reset and merge although it is 264 KiB in size.
 *
 * What it does not do: auto-resize, sub-nanosecond units, or thread safety (one histogram per
 * loop; processes merge through serialization). Read next: src/run/stats.c.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "mob_hist.h"
#include "run.h"

#define SUB_BITS 11
#define HALF_BITS 10
#define HALF (1 << HALF_BITS)

struct mob_hist {
    uint64_t total;
    uint64_t clamped;
    int64_t min, max;
    double sum;
    int lo, hi; /* lowest and highest index ever touched since the last reset; lo > hi: none */
    uint64_t counts[MOB_HIST_LEN];
};

/* Slot of a value already clamped to [0, MAX]: magnitude b above 2^10, then the value's top
 * 11 bits. Values below 2048 have b = 0 and land one per slot. */
static inline int msb(uint64_t u)
{
#if defined(__GNUC__)
    return 63 - __builtin_clzll(u);
#else
    int n = 0;
    while (u >>= 1)
        n++;
    return n;
#endif
}

static inline int index_of(int64_t v)
{
    int b = msb((uint64_t)v | (MOB_HIST_SUB_BUCKETS - 1)) - HALF_BITS;
    return (b << HALF_BITS) + (int)((uint64_t)v >> b);
}

static inline int64_t lowest_of(int i)
{
    if (i < MOB_HIST_SUB_BUCKETS)
        return i;
    int b = (i >> HALF_BITS) - 1;
    return (int64_t)(i - (b << HALF_BITS)) << b;
}

static inline int64_t width_of(int i)
{
    return i < MOB_HIST_SUB_BUCKETS ? 1 : (int64_t)1 << ((i >> HALF_BITS) - 1);
}

static inline int64_t clamp(int64_t v)
{
    return v < 0 ? 0 : v > MOB_HIST_MAX_NS ? MOB_HIST_MAX_NS : v;
}

int64_t mob_hist_lowest_equivalent(int64_t ns)
{
    return lowest_of(index_of(clamp(ns)));
}

int64_t mob_hist_highest_equivalent(int64_t ns)
{
    int i = index_of(clamp(ns));
    return lowest_of(i) + width_of(i) - 1;
}

mob_hist *mob_hist_new(void)
{
    /* calloc: the kernel hands out zero pages lazily, so untouched slots cost no RSS. */
    mob_hist *h = MOB_CALLOC(1, sizeof *h);
    if (h) {
        h->lo = MOB_HIST_LEN;
        h->hi = -1;
    }
    return h;
}

void mob_hist_free(mob_hist *h)
{
    MOB_FREE(h);
}

void mob_hist_reset(mob_hist *h)
{
    if (h->lo <= h->hi)
        memset(&h->counts[h->lo], 0, (size_t)(h->hi - h->lo + 1) * sizeof h->counts[0]);
    h->total = h->clamped = 0;
    h->min = h->max = 0;
    h->sum = 0;
    h->lo = MOB_HIST_LEN;
    h->hi = -1;
}

void mob_hist_record_n(mob_hist *h, int64_t ns, uint64_t count)
{
    if (count == 0)
        return;
    if (MOB_UNLIKELY(ns > MOB_HIST_MAX_NS))
        h->clamped += count;
    int64_t v = clamp(ns);
    int i = index_of(v);
    h->counts[i] += count;
    if (h->total == 0 || v < h->min)
        h->min = v;
    if (h->total == 0 || v > h->max)
        h->max = v;
    h->total += count;
    h->sum += (double)v * (double)count;
    if (i < h->lo)
        h->lo = i;
    if (i > h->hi)
        h->hi = i;
}

void mob_hist_record(mob_hist *h, int64_t ns)
{
    mob_hist_record_n(h, ns, 1);
}

void mob_hist_merge(mob_hist *dst, const mob_hist *src)
{
    if (src->total == 0)
        return;
    for (int i = src->lo; i <= src->hi; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
    if (src->lo < dst->lo)
        dst->lo = src->lo;
    if (src->hi > dst->hi)
        dst->hi = src->hi;
}

uint64_t mob_hist_count(const mob_hist *h)
{
    return h->total;
}

uint64_t mob_hist_clamped(const mob_hist *h)
{
    return h->clamped;
}

int64_t mob_hist_min(const mob_hist *h)
{
    return h->min;
}

int64_t mob_hist_max(const mob_hist *h)
{
    return h->max;
}

double mob_hist_sum(const mob_hist *h)
{
    return h->sum;
}

double mob_hist_mean(const mob_hist *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}

double mob_hist_stddev(const mob_hist *h)
{
    if (h->total == 0)
        return 0.0;
    double mean = mob_hist_mean(h), acc = 0;
    for (int i = h->lo; i <= h->hi; i++) {
        if (h->counts[i] == 0)
            continue;
        double mid = (double)lowest_of(i) + (double)(width_of(i) - 1) / 2.0;
        acc += (mid - mean) * (mid - mean) * (double)h->counts[i];
    }
    return sqrt(acc / (double)h->total);
}

void mob_hist_set_exact(mob_hist *h, int64_t min, int64_t max, double sum, uint64_t clamped)
{
    if (h->total == 0)
        return;
    h->min = min;
    h->max = max;
    h->sum = sum;
    h->clamped = clamped;
}

/* The reported value of slot i: its highest value, but never above the exact max (so p100 is
 * the max itself) nor below the exact min. */
static int64_t report_value(const mob_hist *h, int i)
{
    int64_t v = lowest_of(i) + width_of(i) - 1;
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

void mob_hist_percentiles(const mob_hist *h, const double *p, int64_t *out, int n)
{
    int k = 0;
    if (h->total == 0) {
        for (; k < n; k++)
            out[k] = 0;
        return;
    }
    uint64_t cum = 0;
    int i = h->lo;
    for (; k < n; k++) {
        if (p[k] <= 0) {
            out[k] = h->min;
            continue;
        }
        if (p[k] >= 100) {
            out[k] = h->max;
            continue;
        }
        /* The rank of the value at p: ceil(p% of total), at least 1. */
        double want = ceil(p[k] / 100.0 * (double)h->total);
        uint64_t target = want < 1 ? 1 : (uint64_t)want;
        while (i <= h->hi && cum + h->counts[i] < target)
            cum += h->counts[i++];
        out[k] = i <= h->hi ? report_value(h, i) : h->max;
    }
}

int64_t mob_hist_percentile(const mob_hist *h, double p)
{
    int64_t v;
    mob_hist_percentiles(h, &p, &v, 1);
    return v;
}

int mob_hist_foreach(const mob_hist *h, int (*fn)(int64_t value, uint64_t count, void *ud),
                     void *ud)
{
    for (int i = h->lo; i <= h->hi; i++) {
        if (h->counts[i] == 0)
            continue;
        int rc = fn(lowest_of(i), h->counts[i], ud);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Coarse buckets: one second of the timeline, kept so that processes merge exactly ---- */

/* A coarse bucket is 16 adjacent slots: 1/64 of a power of two, so 0.8-1.6% wide (16 ns
 * below 2 us). A second of a busy run fills a few hundred, where the full histogram would
 * write thousands of slots per second into the report. */
#define COARSE_SHIFT 4

int64_t mob__coarse_lowest(int64_t ns)
{
    return lowest_of((index_of(clamp(ns)) >> COARSE_SHIFT) << COARSE_SHIFT);
}

int mob__hist_coarse(const mob_hist *h, struct mob__cbucket **out)
{
    *out = NULL;
    if (h->total == 0)
        return 0;
    int first = h->lo >> COARSE_SHIFT, last = h->hi >> COARSE_SHIFT;
    struct mob__cbucket *b = MOB_MALLOC((size_t)(last - first + 1) * sizeof *b);
    if (!b)
        return -ENOMEM;
    int n = 0;
    for (int c = first; c <= last; c++) {
        uint64_t sum = 0;
        for (int i = c << COARSE_SHIFT; i < (c + 1) << COARSE_SHIFT; i++)
            sum += h->counts[i];
        if (sum)
            b[n++] = (struct mob__cbucket){lowest_of(c << COARSE_SHIFT), sum};
    }
    *out = b;
    return n;
}

int mob__coarse_merge(struct mob__cbucket **dst, int nd, const struct mob__cbucket *src, int ns)
{
    struct mob__cbucket *m = MOB_MALLOC((size_t)(nd + ns + 1) * sizeof *m);
    if (!m)
        return -ENOMEM;
    const struct mob__cbucket *d = *dst;
    int i = 0, j = 0, k = 0;
    while (i < nd || j < ns) {
        if (j == ns || (i < nd && d[i].lowest < src[j].lowest))
            m[k++] = d[i++];
        else if (i == nd || src[j].lowest < d[i].lowest)
            m[k++] = src[j++];
        else {
            m[k] = d[i++];
            m[k++].count += src[j++].count;
        }
    }
    MOB_FREE(*dst);
    *dst = m;
    return k;
}

void mob__coarse_percentiles(const struct mob__cbucket *b, int n, int64_t max, const double *p,
                             int64_t *out, int np)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += b[i].count;
    for (int k = 0; k < np; k++) {
        if (total == 0) {
            out[k] = 0;
            continue;
        }
        /* The same rank as mob_hist_percentiles, reported as the bucket's highest value. */
        double want = ceil(p[k] / 100.0 * (double)total);
        uint64_t target = want < 1 ? 1 : (uint64_t)want, cum = 0;
        int i = 0;
        while (i < n - 1 && cum + b[i].count < target)
            cum += b[i++].count;
        int c = index_of(clamp(b[i].lowest)) >> COARSE_SHIFT;
        int64_t top = lowest_of((c + 1) << COARSE_SHIFT) - 1;
        out[k] = top < max ? top : max;
    }
}

/*
 * HdrHistogram's percentile iteration: report the first slot at which the cumulative share
 * reaches the level being iterated to, then move the level closer to 100% by a step that
 * halves every time the remaining distance halves (`ticks_per_half` steps per halving). After
 * the last value, report 100% once. The last line has no 1/(1-p) column (it would be infinite).
 */
int mob_hist_write_hgrm(const mob_hist *h, FILE *out, double unit_ns, int ticks_per_half)
{
    if (ticks_per_half < 1)
        ticks_per_half = 5;
    if (!(unit_ns > 0))
        unit_ns = 1e6;
    fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
            "1/(1-Percentile)");
    uint64_t cum = 0;
    double level = 0.0; /* percent */
    for (int i = h->lo; h->total && i <= h->hi; i++) {
        if (h->counts[i] == 0)
            continue;
        cum += h->counts[i];
        double reached = 100.0 * (double)cum / (double)h->total;
        /* Once every value is counted, HdrHistogram reports one more level, then 100%. */
        while (level <= reached && level < 100.0) {
            double frac = level / 100.0;
            fprintf(out, "%12.3f %2.12f %10llu %14.2f\n", (double)report_value(h, i) / unit_ns,
                    frac, (unsigned long long)cum, 1.0 / (1.0 - frac));
            double ticks = ticks_per_half * pow(2.0, floor(log2(100.0 / (100.0 - level))) + 1);
            level += 100.0 / ticks;
            if (cum == h->total)
                break;
        }
    }
    if (h->total)
        fprintf(out, "%12.3f %2.12f %10llu\n", (double)h->max / unit_ns, 1.0,
                (unsigned long long)h->total);
    fprintf(out, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mob_hist_mean(h) / unit_ns,
            mob_hist_stddev(h) / unit_ns);
    fprintf(out, "#[Max     = %12.3f, Total count    = %12llu]\n", (double)h->max / unit_ns,
            (unsigned long long)h->total);
    fprintf(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", MOB_HIST_LEN / HALF - 1,
            MOB_HIST_SUB_BUCKETS);
    return ferror(out) ? -EIO : 0;
}
