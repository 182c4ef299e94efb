/* SPDX-License-Identifier: MIT */
/*
 * report_check.c: whether the counts of a report read from elsewhere tell one story (json.c
 * refuses one that does not, and so `mob merge` and `mob report` do): totals are the sums of
 * their failure classes and of their scenarios, so is each second's failures of its classes
 * where the report has them, and each histogram holds exactly the successes it stands for. The histograms' own buckets are checked as they are read.
 */
#include <errno.h>
#include <stdio.h>

#include "run.h"

/* The counts of a report tell one story or it is refused: totals are the sums of the classes
 * and of the scenarios, and each histogram holds exactly the successes it stands for. */
int mob__result_check(const mob_result *r, char *why, size_t whylen)
{
    const mob_totals *t = &r->t;
    uint64_t f = 0, ok = 0, cut = 0, cls[MOB_FAIL_NCLASS] = {0};
    int over = 0;
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        over |= __builtin_add_overflow(f, t->fail[c], &f);
    for (int i = 0; i < r->nscen; i++) {
        const struct mob__sstats *s = &r->scen[i];
        over |= __builtin_add_overflow(ok, s->ok, &ok);
        over |= __builtin_add_overflow(cut, s->cut, &cut);
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            over |= __builtin_add_overflow(cls[c], s->fail[c], &cls[c]);
        if (mob_hist_count(s->hist) != s->ok) {
            snprintf(why, whylen, "scenario %.40s: %llu successes but %llu latencies",
                     s->name, (unsigned long long)s->ok,
                     (unsigned long long)mob_hist_count(s->hist));
            return -EBADMSG;
        }
    }
    if (over) {
        snprintf(why, whylen, "its counts add up to more than 64 bits hold");
        return -ERANGE;
    }
    const char *bad = NULL;
    if (f != t->failures)
        bad = "its failures are not the sum of their classes";
    else if (ok != t->ok || mob_hist_count(r->all) != t->ok)
        bad = "its successes, its scenarios' and its latencies do not agree";
    else if (cut != 0 && cut != t->cancelled)
        bad = "its cut runs and its scenarios' do not agree";
    for (int c = 1; !bad && c < MOB_FAIL_NCLASS; c++)
        if (r->nscen > 0 && cls[c] != t->fail[c])
            bad = "its failures and its scenarios' do not agree";
    for (int i = 0; !bad && i < r->nsecs; i++) {
        const struct mob__second *s = &r->secs[i];
        uint64_t sf = 0;
        for (int c = 1; c < MOB_FAIL_NCLASS; c++)
            over |= __builtin_add_overflow(sf, s->f[c], &sf);
        if (s->byclass && (over || sf != s->fail))
            bad = "a second's failures are not the sum of their classes";
    }
    if (!bad && (t->elapsed_ns < 0 || t->bots_max < 0 || t->processes < 0 || r->bots < 0 ||
                 t->processes_lost < 0))
        bad = "a count is negative";
    if (bad) {
        snprintf(why, whylen, "%s", bad);
        return -EBADMSG;
    }
    return 0;
}
