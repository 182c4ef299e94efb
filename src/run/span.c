/* SPDX-License-Identifier: MIT */
/*
 * span.c: what a bot says about itself while it runs: the status a run got (for statsd, which
 * counts runs by it), spans and messages. Spans are named, nestable sections
 * timed with the real clock and counted in the result beside the scenarios (stats.c); the
 * runner drops whatever a scenario left open. Info messages go into a small ring that the
 * live views read (dashboard, reporters), rate-limited per process (the refused are only
 * counted, before any formatting); at the end the latest go into the result for the reports.
 *
 * Read next: src/run/runner.c (where the bot's state lives), src/run/feed.c (who reads the
 * ring).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "run.h"

void mob_worker_status(mob_worker *w, int status)
{
    struct mob__wstate *ws = w ? w->internal : NULL;
    if (ws)
        ws->status = status;
}

int mob_span_enter(mob_worker *w, const char *name)
{
    struct mob__wstate *ws = w->internal;
    if (!ws || !name)
        return -EINVAL;
    if (ws->depth >= MOB__SPAN_DEPTH)
        return -ENOSPC;
    /* Few spans per run: a linear search by name costs less than hashing would. */
    int i = mob__result_span(ws->res, name);
    if (i < 0)
        return i;
    ws->open[ws->depth].idx = i;
    ws->open[ws->depth].t0 = mob_clock_ns();
    ws->depth++;
    return 0;
}

int mob_span_exit(mob_worker *w, int rc)
{
    struct mob__wstate *ws = w->internal;
    if (!ws || ws->depth == 0)
        return -ENOENT;
    ws->depth--;
    int cls = mob_fail_classify(rc, MOB_PHASE_ANY);
    if (cls < 0)
        return 0; /* cancelled: the end of the run cut it, like a scenario */
    mob__result_span_record(ws->res, ws->open[ws->depth].idx, cls,
                            mob_clock_ns() - ws->open[ws->depth].t0);
    return 0;
}

void mob_info(mob_worker *w, const char *fmt, ...)
{
    struct mob__wstate *ws = w ? w->internal : NULL;
    struct mob__info_log *m = ws ? ws->msgs : NULL;
    if (!m || !m->watched)
        return;
    if (!mob__per_second(&m->window, &m->in_window, MOB__MSG_PER_S)) {
        m->dropped++;
        return;
    }
    struct mob__info_entry *e = &m->ring[m->seq % MOB__MSG_RING];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    e->t_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    e->bot = w->id;
    m->seq++;
    if (m->print)
        fprintf(stderr, "[W:%d] %s\n", w->id, e->text);
}

void mob__result_add_msg(mob_result *r, const struct mob__info_entry *e)
{
    int n = r->nmsgs;
    if (n == MOB__MSG_RING) {
        r->msgs_dropped++;
        if (e->t_ms < r->msgs[0].t_ms)
            return; /* older than every one kept */
        memmove(r->msgs, r->msgs + 1, (size_t)(n - 1) * sizeof *r->msgs);
        n--;
    }
    int at = n; /* after those at the same time: the order they came in */
    while (at > 0 && r->msgs[at - 1].t_ms > e->t_ms)
        at--;
    memmove(r->msgs + at + 1, r->msgs + at, (size_t)(n - at) * sizeof *r->msgs);
    r->msgs[at] = *e;
    r->msgs[at].text[MOB__MSG_LEN - 1] = 0;
    r->nmsgs = n + 1;
}

void mob__result_take_msgs(mob_result *r, const struct mob__info_log *m)
{
    uint64_t first = m->seq > MOB__MSG_RING ? m->seq - MOB__MSG_RING : 0;
    r->msgs_dropped += m->dropped + first;
    for (uint64_t i = first; i < m->seq; i++)
        mob__result_add_msg(r, &m->ring[i % MOB__MSG_RING]);
}
