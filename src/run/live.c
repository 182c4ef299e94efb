/* SPDX-License-Identifier: MIT */
/*
 * live.c: what a run shows while it runs, and how it stops on a signal. On a terminal, one
 * line redrawn every second (elapsed/remaining with a progress bar, bots, rate, p50/p99,
 * errors); otherwise one plain line per second. SIGINT, SIGTERM and SIGHUP only set a flag that the
 * controller (runner.c) checks ten times a second, so the run ends through its normal path
 * and the report is complete. A second signal kills the process the default way. With -p,
 * each child publishes its last second into a shared slot and the parent merges the slots.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

volatile sig_atomic_t mob__stop_signal;

/* ---- The shared slots of -p: a seqlock per child --------------------------------------- */

void mob__live_publish(struct mob__live *l, const mob_result *r, int bots)
{
    static const struct mob__second none = {.ncb = -1}; /* the timeline ran out of memory */
    const struct mob__second *s = r->nsecs > 0 ? &r->secs[r->nsecs - 1] : &none;
    uint32_t seq = __atomic_load_n(&l->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&l->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    l->ok = r->t.ok;
    l->fail = r->t.failures;
    l->p50 = s->p50;
    l->p99 = s->p99;
    l->max = s->max;
    l->bots = bots;
    l->ncb = s->ncb <= MOB__COARSE_MAX ? s->ncb : -1;
    if (l->ncb > 0)
        memcpy(l->cb, s->cb, (size_t)l->ncb * sizeof *l->cb);
    __atomic_store_n(&l->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Copies a child's buckets as they were between two of its writes; -1 if it was writing. */
static int live_read(struct mob__live *l, struct mob__cbucket *cb, int64_t *max)
{
    uint32_t seq = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
    if (seq & 1)
        return -1;
    int n = l->ncb;
    if (n < 0 || n > MOB__COARSE_MAX)
        return -1;
    memcpy(cb, l->cb, (size_t)n * sizeof *cb);
    *max = l->max;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n(&l->seq, __ATOMIC_RELAXED) == seq ? n : -1;
}

void mob__live_merge(struct mob__live *live, int n, int64_t *p50, int64_t *p99)
{
    int64_t worst50 = 0, worst99 = 0, max = 0;
    struct mob__cbucket *one = MOB_MALLOC(MOB__COARSE_MAX * sizeof *one), *sum = NULL;
    int nsum = 0, exact = one != NULL;
    for (int i = 0; i < n; i++) {
        if (live[i].p50 > worst50)
            worst50 = live[i].p50;
        if (live[i].p99 > worst99)
            worst99 = live[i].p99;
        int64_t m = 0;
        int k = exact ? live_read(&live[i], one, &m) : -1;
        if (k < 0 || (nsum = mob__coarse_merge(&sum, nsum, one, k)) < 0) {
            exact = 0;
            continue;
        }
        if (m > max)
            max = m;
    }
    *p50 = worst50;
    *p99 = worst99;
    if (exact) {
        static const double ps[2] = {50, 99};
        int64_t v[2];
        mob__coarse_percentiles(sum, nsum, max, ps, v, 2);
        *p50 = v[0];
        *p99 = v[1];
    }
    MOB_FREE(sum);
    MOB_FREE(one);
}

static struct sigaction old_int, old_term, old_hup;
static int installed;
static volatile sig_atomic_t second_kills = 1;

static void on_signal(int sig)
{
    mob__stop_signal = sig;
    if (!second_kills)
        return;
    /* The next one is not graceful: restore the default action. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
}

void mob__signals_child(void)
{
    /* A child of -p gets the terminal's SIGINT and its parent's SIGTERM: both mean "stop
     * gracefully", so neither may kill it before it has written its result. */
    second_kills = 0;
}

void mob__signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    mob__stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup); /* a closed terminal or ssh session: report, then go */
    installed = 1;
}

void mob__signals_restore(void)
{
    if (!installed)
        return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    installed = 0;
}

int mob__live_enabled(const mob_options *o)
{
    if (o->quiet || o->live == 0)
        return 0;
    return 1;
}

static void fmt_ns(char *buf, size_t n, int64_t ns)
{
    if (ns < 1000 * MOB_NS_PER_US)
        snprintf(buf, n, "%.0fus", (double)ns / 1e3);
    else if (ns < 1000 * MOB_NS_PER_MS)
        snprintf(buf, n, "%.2fms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", (double)ns / 1e9);
}

void mob__live_print(const mob_options *o, int64_t elapsed, int64_t total, int bots,
                     uint64_t ok, uint64_t fail, double rate, int64_t p50, int64_t p99,
                     const struct mob__sizing *sizing)
{
    char extra[96];
    mob__sizing_live(sizing, extra, sizeof extra);
    char a[32], b[32], bar[24];
    fmt_ns(a, sizeof a, p50);
    fmt_ns(b, sizeof b, p99);
    int tty = o->live < 0 && isatty(2);
    int done = 0;
    if (total > 0) {
        done = (int)(20 * elapsed / total);
        if (done > 20)
            done = 20;
    }
    for (int i = 0; i < 20; i++)
        bar[i] = i < done ? '#' : '.';
    bar[20] = 0;
    long es = (long)(elapsed / MOB_NS_PER_SEC);
    long left = total > 0 ? (long)((total - elapsed + MOB_NS_PER_SEC / 2) / MOB_NS_PER_SEC) : -1;
    if (left < 0 && total > 0)
        left = 0;
    char rem[32] = "";
    if (left >= 0)
        snprintf(rem, sizeof rem, " %lds left", left);
    fprintf(stderr, "%s[%s] %lds%s | bots %d | %.0f/s | p50 %s p99 %s | ok %llu err %llu%s%s%s",
            tty ? "\r" : "", total > 0 ? bar : "running", es, rem, bots, rate, a, b,
            (unsigned long long)ok, (unsigned long long)fail, *extra ? " | " : "", extra,
            tty ? "\033[K" : "\n");
    fflush(stderr);
}

void mob__live_end(const mob_options *o)
{
    if (mob__live_enabled(o) && o->live < 0 && isatty(2))
        fputs("\n", stderr);
}
