/* SPDX-License-Identifier: MIT */
/*
 * feed.c: a process's numbers as the report stream (the format is in watch.h). The runner
 * closes a second of the result's timeline (with the bots alive then), and each
 * destination's mob__feed turns what it has not sent yet into lines: the new seconds (with
 * their latency buckets, the same coarse buckets `mob merge` sums), every scenario and span
 * so far, the totals and the new messages.
 * Sending is the caller's business (watch.c for sockets, or straight into a hub).
 *
 * Read next: src/run/hub.c (the reading side).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

#define put(f, ...) mob__str_printf(&(f)->out, __VA_ARGS__)

void mob__feed_escape(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; s && *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '%' || c == 0x7f) {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    if (n == 0 && n + 2 < cap)
        out[n++] = '-'; /* an empty field would shift the others */
    out[n] = 0;
}

void mob__feed_restart(struct mob__feed *f)
{
    f->out.len = 0;
    f->out.failed = 0;
    f->secs_sent = 0;
    f->names_s = f->names_p = 0;
}

void mob__feed_free(struct mob__feed *f)
{
    mob__str_free(&f->out);
    memset(f, 0, sizeof *f);
}

void mob__feed_hello(struct mob__feed *f, const char *token, const char *runid, int process,
                     int processes, const char *name, const mob_options *gates)
{
    char t[256], id[128], nm[256], fail[24] = "-";
    mob__feed_escape(t, sizeof t, token && *token ? token : "-");
    mob__feed_escape(id, sizeof id, runid);
    mob__feed_escape(nm, sizeof nm, name);
    if (gates && gates->fail_threshold >= 0)
        snprintf(fail, sizeof fail, "%lld", (long long)gates->fail_threshold);
    /* Version 2 without sizing, so that viewers that know no Z still take those reporters. */
    int sizing = gates && gates->sizing;
    put(f, "H %d %s %s %d %d %s %s %d\n", sizing ? MOB__FEED_PROTO : 2, t, id, process,
        processes, nm, fail, gates && gates->stop_on_failure ? 1 : 0);
    if (sizing)
        put(f, "Z %lld %lld\n", (long long)(gates->sizing_tolerance * 1000 + 0.5),
            (long long)((gates->sizing_window_ns + MOB_NS_PER_SEC - 1) / MOB_NS_PER_SEC));
}

static void put_buckets(struct mob__feed *f, const struct mob__cbucket *cb, int n)
{
    put(f, " %d", n < 0 ? 0 : n);
    for (int k = 0; k < n; k++)
        put(f, " %lld %llu", (long long)cb[k].lowest, (unsigned long long)cb[k].count);
}

static void put_classes(struct mob__feed *f, const uint64_t *fail)
{
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        put(f, " %llu", (unsigned long long)fail[c]);
}

/* Declares names not yet sent, then the cumulative line of each entry. */
static void put_stats(struct mob__feed *f, char kind, const struct mob__sstats *s, int n,
                      int *declared)
{
    char nm[512];
    for (; *declared < n; (*declared)++) {
        mob__feed_escape(nm, sizeof nm, s[*declared].name);
        put(f, "N %c %d %s\n", kind, *declared, nm);
    }
    for (int i = 0; i < n; i++) {
        put(f, "C %c %d %llu", kind, i, (unsigned long long)s[i].ok);
        put_classes(f, s[i].fail);
        put(f, " %lld %.0f", (long long)mob_hist_max(s[i].hist), mob_hist_sum(s[i].hist));
        struct mob__cbucket *cb = NULL;
        int ncb = mob__hist_coarse(s[i].hist, &cb);
        put_buckets(f, cb, ncb);
        MOB_FREE(cb);
        put(f, "\n");
    }
}

void mob__feed_update(struct mob__feed *f, const mob_result *r, const struct mob__info_log *m,
                      int bots)
{
    for (; f->secs_sent < r->nsecs; f->secs_sent++) {
        const struct mob__second *s = &r->secs[f->secs_sent];
        put(f, "S %d %llu %llu", f->secs_sent, (unsigned long long)s->ok,
            (unsigned long long)s->fail);
        put_classes(f, s->f); /* a runner's seconds always have them, and their bots */
        put(f, " %d %.0f %lld", s->bots < 0 ? 0 : s->bots, s->sum_ns, (long long)s->max);
        put_buckets(f, s->cb, s->ncb);
        put(f, "\n");
    }
    put_stats(f, 's', r->scen, r->nscen, &f->names_s);
    put_stats(f, 'p', r->spans, r->nspans, &f->names_p);
    put(f, "T %llu %llu %llu %d %lld %llu %llu\n", (unsigned long long)r->t.ok,
        (unsigned long long)r->t.failures, (unsigned long long)r->t.cancelled, bots,
        (long long)r->t.elapsed_ns, (unsigned long long)(m ? m->dropped : 0),
        (unsigned long long)r->t.cut_graceful);
    if (!m)
        return;
    if (m->seq - f->msg_seq > MOB__MSG_RING)
        f->msg_seq = m->seq - MOB__MSG_RING; /* overwritten before we got to them */
    for (; f->msg_seq < m->seq; f->msg_seq++) {
        const struct mob__info_entry *e = &m->ring[f->msg_seq % MOB__MSG_RING];
        char text[3 * MOB__MSG_LEN + 4];
        mob__feed_escape(text, sizeof text, e->text);
        put(f, "M %lld %d %s\n", (long long)e->t_ms, e->bot, text);
    }
}

static void json_cb(FILE *out, const void *ud)
{
    mob__result_json_write(ud, out);
}

void mob__feed_final(struct mob__feed *f, const mob_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        f->out.failed = 1;
        return;
    }
    json_cb(mem, r);
    if (fclose(mem) != 0 || !text) {
        free(text); /* open_memstream's buffer comes from libc's malloc */
        f->out.failed = 1;
        return;
    }
    put(f, "R %zu\n", len);
    mob__str_append(&f->out, text, len);
    free(text);
    mob__feed_end(f);
}

void mob__feed_end(struct mob__feed *f)
{
    put(f, "E\n");
}
