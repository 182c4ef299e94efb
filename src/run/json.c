/* SPDX-License-Identifier: MIT */
/*
 * json.c: reads a JSON report back into a mob_result (for -p, where each child writes one, and
 * for `mob merge`), from the tree jtree.c parses, refusing counts that are not whole 64-bit
 * numbers or do not add up. report.c writes what this reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Why the last report was refused (mob__json_why), and the first bad number met while reading
 * one: a count must be a whole number that fits 64 bits, never clipped to one that does. */
static _Thread_local struct {
    int err;
    char why[160];
} jr;

static void refuse(int err, const char *fmt, const char *a, const char *b)
{
    if (jr.err)
        return;
    jr.err = err;
    snprintf(jr.why, sizeof jr.why, fmt, a, b);
}

const char *mob__json_why(void)
{
    return jr.why;
}

/* A whole number (signed when neg_ok) from its JSON text, or 0 with the report refused. */
static uint64_t whole(const char *text, int len, const char *key, int neg_ok, int *neg)
{
    int i = 0;
    *neg = 0;
    if (len > 0 && text[0] == '-' && neg_ok)
        *neg = 1, i++;
    if (i == len)
        goto bad;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            goto bad;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(text[i] - '0'), &v) ||
            (neg_ok && v > (uint64_t)INT64_MAX + (uint64_t)*neg)) {
            char nb[48];
            snprintf(nb, sizeof nb, "%.*s", len < 40 ? len : 40, text);
            refuse(-ERANGE, "%s = %s does not fit 64 bits", key, nb);
            return 0;
        }
    }
    return v;
bad:;
    char nb[48];
    snprintf(nb, sizeof nb, "%.*s", len < 40 ? len : 40, text);
    refuse(-EINVAL, "%s = %s is not a whole number", key, nb);
    return 0;
}

static uint64_t u64_of(const struct mob__jnode *n, const char *key)
{
    int neg;
    if (n->type == MOB__J_STR)
        return whole(n->str, (int)strlen(n->str), key, 0, &neg);
    if (n->type != MOB__J_NUM) {
        refuse(-EINVAL, "%s%s is not a number", key, "");
        return 0;
    }
    return whole(n->num, n->numlen, key, 0, &neg);
}

static int64_t i64_of(const struct mob__jnode *n, const char *key)
{
    int neg;
    if (n->type != MOB__J_NUM) {
        refuse(-EINVAL, "%s%s is not a number", key, "");
        return 0;
    }
    uint64_t v = whole(n->num, n->numlen, key, 1, &neg);
    return neg ? (int64_t)(0 - v) : (int64_t)v;
}

/* Missing fields read as 0: older reports lack the newer ones. */
static uint64_t get_u64(const struct mob__jnode *o, const char *key)
{
    const struct mob__jnode *n = mob__jget(o, key);
    return n ? u64_of(n, key) : 0;
}

static int64_t get_i64(const struct mob__jnode *o, const char *key)
{
    const struct mob__jnode *n = mob__jget(o, key);
    return n ? i64_of(n, key) : 0;
}

static double get_d(const struct mob__jnode *o, const char *key)
{
    const struct mob__jnode *n = mob__jget(o, key);
    return n && n->type == MOB__J_NUM ? n->d : 0;
}

/* [number, number, ...] */
static int num_pair(const struct mob__jnode *e)
{
    return e->type == MOB__J_ARR && e->child && e->child->type == MOB__J_NUM && e->child->next &&
           e->child->next->type == MOB__J_NUM;
}

/* A histogram: its buckets must add up to its count, lie between its min and max, and its sum
 * between count * min and count * max, or the mean and deviation printed from it are lies. */
static int read_hist(const struct mob__jnode *o, mob_hist *h, const char *what)
{
    const struct mob__jnode *b = mob__jget(o, "buckets");
    if (!o || !b || b->type != MOB__J_ARR)
        return -EINVAL;
    mob_hist *tmp = mob_hist_new();
    if (!tmp)
        return -ENOMEM;
    int64_t min = get_i64(o, "min"), max = get_i64(o, "max");
    uint64_t total = 0, count = get_u64(o, "count"), clamped = get_u64(o, "clamped");
    double sum = get_d(o, "sum");
    int64_t floor = mob__coarse_lowest(min);
    for (const struct mob__jnode *e = b->child; e && !jr.err; e = e->next) {
        if (!num_pair(e)) {
            refuse(-EBADMSG, "%s: a bucket is not a [value, count] pair%s", what, "");
            break;
        }
        int64_t v = i64_of(e->child, "a bucket value");
        uint64_t n = u64_of(e->child->next, "a bucket count");
        if (!jr.err && (v < floor || v > max))
            refuse(-EBADMSG, "%s: a bucket lies outside [min, max]%s", what, "");
        if (__builtin_add_overflow(total, n, &total))
            refuse(-ERANGE, "%s: its bucket counts overflow 64 bits%s", what, "");
        mob_hist_record_n(tmp, v, n);
    }
    if (!jr.err && total != count)
        refuse(-EBADMSG, "%s: its buckets do not add up to its count%s", what, "");
    if (!jr.err && count > 0 &&
        (min < 0 || min > max || clamped > count || !(sum >= (double)count * (double)min * 0.999999) ||
         !(sum <= (double)count * (double)max * 1.000001)))
        refuse(-EBADMSG, "%s: its min, max and sum do not agree%s", what, "");
    if (!jr.err) {
        mob_hist_set_exact(tmp, min, max, sum, clamped);
        mob_hist_merge(h, tmp);
    }
    mob_hist_free(tmp);
    return jr.err;
}

/* A second's coarse latency buckets. Missing (an older report), or not strictly ascending
 * once each value is put in its bucket: unknown (ncb -1), which merges the old, inexact way. */
static int read_coarse(const struct mob__jnode *o, struct mob__second *sec)
{
    sec->ncb = -1;
    if (!o || o->type != MOB__J_ARR)
        return 0;
    int n = 0;
    for (const struct mob__jnode *e = o->child; e; e = e->next)
        n++;
    sec->cb = MOB_MALLOC((size_t)(n + 1) * sizeof *sec->cb);
    if (!sec->cb)
        return -ENOMEM;
    int k = 0;
    for (const struct mob__jnode *e = o->child; e; e = e->next) {
        if (!num_pair(e))
            goto unknown;
        int64_t v = mob__coarse_lowest(i64_of(e->child, "a second's bucket value"));
        if (k > 0 && v <= sec->cb[k - 1].lowest)
            goto unknown;
        sec->cb[k++] = (struct mob__cbucket){v, u64_of(e->child->next, "a second's bucket count")};
    }
    sec->ncb = k;
    return 0;
unknown:
    MOB_FREE(sec->cb);
    sec->cb = NULL;
    return 0;
}

static void read_fail(const struct mob__jnode *o, uint64_t *fail)
{
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        fail[c] += get_u64(o, mob_fail_name(c));
}

/* The report's run id and the single runs it adds up. A report written before ids has a hash
 * of its text for both, so the same file given twice is still caught. */
static int read_runs(const struct mob__jnode *root, mob_result *r, const char *text, size_t len)
{
    const struct mob__jnode *id = mob__jget(root, "run_id"), *runs = mob__jget(root, "runs");
    char hashed[MOB__RUN_ID_LEN];
    if (!id || id->type != MOB__J_STR) {
        uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
        snprintf(hashed, sizeof hashed, "h:%016llx", (unsigned long long)h);
    }
    const char *own = id && id->type == MOB__J_STR ? id->str : hashed;
    if (strlen(own) >= MOB__RUN_ID_LEN) {
        snprintf(jr.why, sizeof jr.why, "its run id is longer than %d bytes", MOB__RUN_ID_LEN - 1);
        return -EBADMSG;
    }
    int rc = mob__result_set_run(r, own);
    if (rc < 0 || !runs || runs->type != MOB__J_ARR || !runs->child)
        return rc;
    r->nruns = 0;
    for (const struct mob__jnode *e = runs->child; e; e = e->next) {
        if (e->type != MOB__J_STR || strlen(e->str) >= MOB__RUN_ID_LEN) {
            snprintf(jr.why, sizeof jr.why, "its list of runs holds something else than ids");
            return -EBADMSG;
        }
        for (int k = 0; k < r->nruns; k++)
            if (strcmp(r->runs[k], e->str) == 0) {
                snprintf(jr.why, sizeof jr.why, "it counts run %.40s twice", e->str);
                return -EBADMSG;
            }
        char(*nr)[MOB__RUN_ID_LEN] = MOB_REALLOC(r->runs, (size_t)(r->nruns + 1) * sizeof *nr);
        if (!nr)
            return -ENOMEM;
        r->runs = nr;
        snprintf(nr[r->nruns++], MOB__RUN_ID_LEN, "%s", e->str);
    }
    return 0;
}

int mob__result_parse_json(const char *text, size_t len, mob_result **out)
{
    struct mob__jtree j;
    *out = NULL;
    int rc = mob__jtree_parse(&j, text, len, 0);
    if (rc == -ENOMEM)
        goto done;
    rc = -EINVAL;
    jr.err = 0;
    snprintf(jr.why, sizeof jr.why, "not a mob JSON report");
    const struct mob__jnode *root = j.root, *ver = mob__jget(root, "mob");
    if (!ver)
        goto done;
    if (ver->type != MOB__J_NUM || ver->numlen != 1 || ver->num[0] < '1' ||
        ver->num[0] > '0' + MOB__REPORT_FORMAT) {
        snprintf(jr.why, sizeof jr.why, "format version %.*s, and this mob reads 1 to %d",
                 ver->type == MOB__J_NUM ? (ver->numlen < 20 ? ver->numlen : 20) : 1,
                 ver->type == MOB__J_NUM ? ver->num : "?", MOB__REPORT_FORMAT);
        rc = -ENOTSUP;
        goto done;
    }
    const struct mob__jnode *s = mob__jget(root, "suite"), *tg = mob__jget(root, "target");
    mob_result *r = mob__result_new(s && s->type == MOB__J_STR ? s->str : "mob",
                                    tg && tg->type == MOB__J_STR ? tg->str : "", NULL, 0);
    if (!r) {
        rc = -ENOMEM;
        goto done;
    }
    rc = read_runs(root, r, text, len);
    if (rc < 0) {
        mob_result_free(r);
        goto done;
    }
    const struct mob__jnode *opt = mob__jget(root, "options"), *t = mob__jget(root, "totals");
    r->bots = (int)get_i64(opt, "bots");
    r->duration_ns = get_i64(opt, "duration_ns");
    r->rate = get_d(opt, "rate");
    r->t.ok = get_u64(t, "ok");
    r->t.failures = get_u64(t, "failures");
    read_fail(mob__jget(t, "fail"), r->t.fail);
    const struct mob__jnode *stop = mob__jget(root, "threshold_stop");
    if (stop && stop->type == MOB__J_STR)
        snprintf(r->threshold_stop, sizeof r->threshold_stop, "%s", stop->str);
    const struct mob__jnode *z = mob__jget(root, "sizing"), *zr = mob__jget(z, "reached");
    if (z && z->type == MOB__J_OBJ) { /* --sizing's verdict (sizing.c) */
        r->sizing.asked = 1;
        r->sizing.reached = zr && zr->type == MOB__J_BOOL && zr->b;
        r->sizing.ratio = get_d(z, "ratio");
        r->sizing.bots = (int)get_i64(z, "bots");
        r->sizing.ok = get_u64(z, "ok");
        r->sizing.failures = get_u64(z, "failures");
        r->sizing.at_ns = get_i64(z, "at_ns");
        r->sizing.tolerance = get_d(z, "tolerance");
        r->sizing.window_ns = get_i64(z, "window_ns");
        const struct mob__jnode *zb = mob__jget(z, "basis"); /* absent: one run's own */
        for (int k = 0; zb && zb->type == MOB__J_STR && k < 3; k++)
            if (strcmp(zb->str, mob__sizing_basis_names[k]) == 0)
                r->sizing_basis = k;
    }
    const struct mob__jnode *why = mob__jget(t, "reasons");
    for (int c = 1; why && why->type == MOB__J_OBJ && c < MOB_FAIL_NCLASS; c++) {
        const struct mob__jnode *v = mob__jget(why, mob_fail_name(c));
        if (v && v->type == MOB__J_STR)
            mob__result_reason(r, c, v->str);
    }
    r->t.cancelled = get_u64(t, "cancelled");
    r->t.setup_failed = get_u64(t, "setup_failed");
    r->t.teardown_failed = get_u64(t, "teardown_failed");
    r->t.global_teardown_failed = get_u64(t, "global_teardown_failed");
    r->t.session_setup_failed = get_u64(t, "session_setup_failed");
    r->t.session_teardown_failed = get_u64(t, "session_teardown_failed");
    r->t.session_setup_failed_rc = (int)get_i64(t, "session_setup_failed_rc");
    r->t.listener_failed = get_u64(t, "listener_failed");
    r->t.scheduled = get_u64(t, "scheduled");
    r->t.late = get_u64(t, "late");
    r->t.dropped = get_u64(t, "dropped");
    r->t.elapsed_ns = get_i64(t, "elapsed_ns");
    r->t.bots_max = (int)get_i64(t, "bots_max");
    r->t.processes = (int)get_i64(t, "processes");
    r->t.interrupted = (int)get_i64(t, "interrupted");
    r->t.stopped_on_failure = (int)get_i64(t, "stopped_on_failure");
    r->t.setup_failed_rc = (int)get_i64(t, "setup_failed_rc");
    r->t.processes_lost = (int)get_i64(t, "processes_lost");
    r->t.cut_graceful = get_u64(t, "cut_graceful");
    if (r->t.cut_graceful > r->t.cancelled)
        r->t.cut_graceful = r->t.cancelled;
    const struct mob__jnode *lost = mob__jget(root, "lost");
    for (const struct mob__jnode *e = lost && lost->type == MOB__J_ARR ? lost->child : NULL; e; e = e->next) {
        if (e->type != MOB__J_STR)
            continue;
        size_t la = r->lost ? strlen(r->lost) : 0, lb = strlen(e->str);
        char *l = MOB_REALLOC(r->lost, la + lb + 2);
        if (!l) {
            rc = -ENOMEM;
            break;
        }
        memcpy(l + la, e->str, lb);
        l[la + lb] = '\n';
        l[la + lb + 1] = 0;
        r->lost = l;
    }
    r->t.seed = get_u64(t, "seed");
    rc = read_hist(mob__jget(root, "latency"), r->all, "latency");
    const struct mob__jnode *kd = mob__jget(root, "kinds");
    for (const struct mob__jnode *e = kd ? kd->child : NULL; rc == 0 && e; e = e->next) {
        const struct mob__jnode *kn = mob__jget(e, "name");
        int k = mob__result_kind(r, kn && kn->type == MOB__J_STR ? kn->str : "?",
                                 (int)get_i64(e, "weight"));
        rc = k < 0 ? k : 0;
        if (k >= 0)
            r->kinds[k].bots += get_u64(e, "bots");
    }
    const struct mob__jnode *sc = mob__jget(root, "scenarios");
    for (const struct mob__jnode *e = sc ? sc->child : NULL; rc == 0 && e; e = e->next) {
        const struct mob__jnode *name = mob__jget(e, "name");
        int i = mob__result_scenario(r, name && name->type == MOB__J_STR ? name->str : "?");
        if (i < 0) {
            rc = i;
            break;
        }
        r->scen[i].ok += get_u64(e, "ok");
        r->scen[i].cut += get_u64(e, "cut");
        read_fail(mob__jget(e, "fail"), r->scen[i].fail);
        rc = read_hist(mob__jget(e, "latency"), r->scen[i].hist, r->scen[i].name);
        const struct mob__jnode *tl = mob__jget(e, "timeline");
        int k = 0;
        for (const struct mob__jnode *x = tl ? tl->child : NULL; rc == 0 && x; x = x->next, k++)
            if (num_pair(x))
                rc = mob__scenario_add_second(r, i, k, u64_of(x->child, "a timeline count"),
                                              u64_of(x->child->next, "a timeline count"));
    }
    const struct mob__jnode *sp = mob__jget(root, "spans");
    for (const struct mob__jnode *e = sp ? sp->child : NULL; rc == 0 && e; e = e->next) {
        const struct mob__jnode *name = mob__jget(e, "name");
        int i = mob__result_span(r, name && name->type == MOB__J_STR ? name->str : "?");
        if (i < 0) {
            rc = i;
            break;
        }
        r->spans[i].ok += get_u64(e, "ok");
        read_fail(mob__jget(e, "fail"), r->spans[i].fail);
        rc = read_hist(mob__jget(e, "latency"), r->spans[i].hist, r->spans[i].name);
    }
    const struct mob__jnode *ms = mob__jget(root, "messages"), *last = mob__jget(ms, "last");
    r->msgs_dropped += ms ? get_u64(ms, "dropped") : 0;
    for (const struct mob__jnode *e = last ? last->child : NULL; e; e = e->next) {
        const struct mob__jnode *mt = mob__jget(e, "text");
        struct mob__info_entry m = {get_i64(e, "t_ms"), (int)get_i64(e, "bot"), ""};
        snprintf(m.text, sizeof m.text, "%s", mt && mt->type == MOB__J_STR ? mt->str : "");
        mob__result_add_msg(r, &m);
    }
    const struct mob__jnode *tl = mob__jget(root, "timeline");
    for (const struct mob__jnode *e = tl ? tl->child : NULL; rc == 0 && e; e = e->next) {
        struct mob__second sec = {.ok = get_u64(e, "ok"), .fail = get_u64(e, "failures"),
                                  .sum_ns = get_d(e, "sum_ns"), .p50 = get_i64(e, "p50_ns"),
                                  .p99 = get_i64(e, "p99_ns"), .max = get_i64(e, "max_ns")};
        int64_t bots = mob__jget(e, "bots") ? get_i64(e, "bots") : -1;
        sec.bots = bots >= 0 && bots <= INT32_MAX ? (int)bots : -1;
        const struct mob__jnode *byclass = mob__jget(e, "fail");
        if (byclass && byclass->type == MOB__J_OBJ) {
            read_fail(byclass, sec.f);
            sec.byclass = 1;
        }
        rc = read_coarse(mob__jget(e, "hist"), &sec);
        if (rc == 0)
            rc = mob__result_add_second(r, &sec);
    }
    if (rc == 0 && jr.err)
        rc = jr.err;
    if (rc == 0)
        rc = mob__result_check(r, jr.why, sizeof jr.why);
    if (rc == 0)
        *out = r;
    else
        mob_result_free(r);
done:
    mob__jtree_free(&j);
    return rc;
}

int mob_result_read_json(const char *path, mob_result **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t cap = 1 << 16, len = 0;
    char *buf = MOB_MALLOC(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len < cap - 1)
            break;
        if (len > MOB__REPORT_MAX) { /* /dev/zero, a log file given by mistake */
            MOB_FREE(buf);
            fclose(f);
            snprintf(jr.why, sizeof jr.why, "larger than %zu MiB: not a mob report",
                     MOB__REPORT_MAX >> 20);
            return -EFBIG;
        }
        char *nb = MOB_REALLOC(buf, cap * 2);
        if (!nb) {
            MOB_FREE(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return -ENOMEM;
    int rc = err ? -EIO : mob__result_parse_json(buf, len, out);
    MOB_FREE(buf);
    return rc;
}
