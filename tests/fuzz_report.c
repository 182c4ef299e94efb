/* SPDX-License-Identifier: MIT */
/*
 * fuzz_report.c: libFuzzer entry point for the JSON report reader, which `mob merge` runs on
 * files from other machines: parse, then merge the result into a copy of itself (which walks
 * every second's latency buckets) and read every figure back. Built and run by `make fuzz
 * CC=clang` next to fuzz_http.c and fuzz_proto.c; the seed corpus is tests/corpus/report/.
 * What is checked: no crash, no out-of-bounds read (ASan), and that a second merged from two
 * sides with runs and buckets never reports a p50 above its p99 (a side with no runs keeps
 * the file's own figures, whatever they are).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* the parser wants text[size] readable and NUL */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    mob_result *r = NULL, *copy = NULL;
    int parsed = mob__result_parse_json(text, size, &r) == 0 &&
                 mob__result_parse_json(text, size, &copy) == 0;
    if (parsed && mob_result_merge(copy, r) != -EEXIST)
        abort(); /* the same report twice is the same run twice */
    if (parsed) /* the copy as another run, so that the merge itself is exercised */
        for (int i = 0; i < r->nruns; i++)
            r->runs[i][0] = 'f';
    if (parsed && mob_result_merge(copy, r) == 0) {
        for (int i = 0; i < mob_result_seconds(copy); i++) {
            mob_second s;
            if (mob_result_second(copy, i, &s) != 0)
                abort();
            /* Both sides had runs and buckets: p50 and p99 come from the summed buckets. */
            if (i < r->nsecs && r->secs[i].ok > 0 && r->secs[i].ncb > 0 && s.p50_ns > s.p99_ns)
                abort();
        }
        for (int i = 0; i < mob_result_nscenarios(copy); i++) {
            mob_scenario_stats st;
            if (mob_result_scenario(copy, i, &st) != 0)
                abort();
            (void)mob_hist_percentile(st.latency, 99.9);
        }
    }
    mob_result_free(r);
    mob_result_free(copy);
    free(text);
    return 0;
}
