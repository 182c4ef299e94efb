/* SPDX-License-Identifier: MIT */
/*
 * mob_hist.h: a latency histogram with HdrHistogram's layout (log-bucketed, 3 significant
 * digits, fixed memory, exact merge). Optional: the runtime (mob.h) does not need it; the load
 * layer (mob_run.h) records every request into one.
 *
 * Values are int64_t NANOSECONDS, like every time in mob. They are tracked from 0 to one hour:
 * exactly below 2048 ns, and above that in buckets no wider than 1/1024 of their value, so any
 * value read back (a percentile, a bucket bound) is within 0.1% of what was recorded. Values
 * above an hour are clamped to an hour and counted in `clamped`; negative values count as 0.
 *
 * Layout (HdrHistogram with 2048 sub-buckets and a 1 ns unit):
 *
 *     index  0 .. 2047          values 0 .. 2047 ns, one per ns
 *     index  (b+1)*1024 .. +1023 values [1024 << b, 2048 << b), each slot (1 << b) ns wide
 *     b = 1 .. 31, the last slot ends past 2^42 ns (73 minutes)
 *
 * so a histogram is 33,792 counters (264 KiB, allocated once; pages never written stay out of
 * the resident set). Merging adds the counters, so merging many histograms is exactly the
 * histogram of all their values, in any order, across threads, processes and machines.
 *
 * Read next: src/run/hist.c.
 */
#ifndef MOB_HIST_H
#define MOB_HIST_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOB_HIST_MAX_NS ((int64_t)3600 * 1000000000) /* one hour */
#define MOB_HIST_SUB_BUCKETS 2048
#define MOB_HIST_LEN (33 * 1024)

typedef struct mob_hist mob_hist;

/* A new, empty histogram. Returns NULL when out of memory. */
mob_hist *mob_hist_new(void);
void mob_hist_free(mob_hist *h);
/* Empties it (all counts, min, max, sum). O(slots used). */
void mob_hist_reset(mob_hist *h);

/* Records one value, or `count` equal values. O(1). */
void mob_hist_record(mob_hist *h, int64_t ns);
void mob_hist_record_n(mob_hist *h, int64_t ns, uint64_t count);

/* Adds every count of src into dst: afterwards dst holds exactly the values of both. O(slots
 * used by src). */
void mob_hist_merge(mob_hist *dst, const mob_hist *src);

uint64_t mob_hist_count(const mob_hist *h);
/* Values that were above MOB_HIST_MAX_NS and recorded as that. */
uint64_t mob_hist_clamped(const mob_hist *h);
/* Exact smallest and largest recorded values (after clamping); 0 when empty. */
int64_t mob_hist_min(const mob_hist *h);
int64_t mob_hist_max(const mob_hist *h);
/* Mean of the recorded values (exact: from a running sum); 0 when empty. */
double mob_hist_mean(const mob_hist *h);
/* Standard deviation, from bucket midpoints (within 0.1%); 0 when empty. */
double mob_hist_stddev(const mob_hist *h);

/*
 * The value at percentile p (0..100): the smallest recorded bucket such that at least p% of
 * the values are at or below it, reported as that bucket's highest value (HdrHistogram's
 * rule), capped by the exact max. p <= 0 gives the exact min, p >= 100 the exact max. 0 when
 * empty. O(slots used).
 */
int64_t mob_hist_percentile(const mob_hist *h, double p);

/* Same for n ascending percentiles in one pass. */
void mob_hist_percentiles(const mob_hist *h, const double *p, int64_t *out, int n);

/* Bucket bounds of the slot that holds `ns`: the lowest and highest values it stands for. */
int64_t mob_hist_lowest_equivalent(int64_t ns);
int64_t mob_hist_highest_equivalent(int64_t ns);

/*
 * Calls fn(value, count, ud) for every non-empty slot in ascending order, where value is the
 * slot's lowest value: recording `count` times `value` into an empty histogram rebuilds the
 * same slot, which is how histograms are serialized (see the load layer's JSON report,
 * mob_run.h). Stops early and returns fn's value when it is nonzero; returns 0 otherwise.
 */
int mob_hist_foreach(const mob_hist *h, int (*fn)(int64_t value, uint64_t count, void *ud),
                     void *ud);

/* Restores the exact min, max, sum and clamped count after rebuilding from slots (the
 * slots alone know values only to 0.1%). Used when reading a serialized histogram. */
void mob_hist_set_exact(mob_hist *h, int64_t min, int64_t max, double sum, uint64_t clamped);
double mob_hist_sum(const mob_hist *h);

/*
 * Writes the full percentile distribution in HdrHistogram's text format (.hgrm: Value,
 * Percentile, TotalCount, 1/(1-Percentile), then the Mean/Max/Buckets footer), values divided
 * by `unit_ns` (1e6 for milliseconds, as wrk2 prints). `ticks_per_half` is the number of
 * reporting steps per halving of the distance to 100% (HdrHistogram's default is 5).
 * Returns 0 or -EIO.
 */
int mob_hist_write_hgrm(const mob_hist *h, FILE *out, double unit_ns, int ticks_per_half);

#ifdef __cplusplus
}
#endif

#endif /* MOB_HIST_H */
