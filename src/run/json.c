/* SPDX-License-Identifier: MIT */
/*
 * json.c: reads a JSON report back into a mob_result (for -p, where each child writes one, and
 * for `mob merge`). A small strict JSON parser builds a tree of nodes; integers keep their
 * text so 64-bit counts survive exactly. It is meant for the reports report.c writes, not as a
 * general JSON library: no \u escapes beyond ASCII, nesting up to 64 levels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
    int type;
    const char *key;      /* in an object */
    const char *str;      /* J_STR: decoded, NUL-terminated */
    const char *num;      /* J_NUM: the text (not NUL-terminated: numlen bytes) */
    int numlen;
    double d;
    int b;
    struct jnode *child, *next;
};

struct jparser {
    const char *p, *end;
    struct jnode *nodes;
    size_t nnodes, cap;
    char *strs;
    size_t nstr, strcap;
    int depth;
};

static void skip_ws(struct jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* Nodes and strings live in two arrays sized from the input length up front, so pointers stay
 * valid: a JSON text of n bytes has at most n/1 + 1 values and n bytes of string data. */
static struct jnode *new_node(struct jparser *j, int type)
{
    if (j->nnodes == j->cap)
        return NULL;
    struct jnode *n = &j->nodes[j->nnodes++];
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static const char *parse_string(struct jparser *j)
{
    if (j->p >= j->end || *j->p != '"')
        return NULL;
    j->p++;
    char *out = j->strs + j->nstr;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            if (j->p >= j->end)
                return NULL;
            c = *j->p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                if (j->end - j->p < 4)
                    return NULL;
                char hex[5] = {j->p[0], j->p[1], j->p[2], j->p[3], 0};
                j->p += 4;
                long v = strtol(hex, NULL, 16);
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            default: break; /* \" \\ \/ */
            }
        }
        j->strs[j->nstr++] = c;
    }
    if (j->p >= j->end)
        return NULL;
    j->p++;
    j->strs[j->nstr++] = 0;
    return out;
}

static struct jnode *parse_value(struct jparser *j)
{
    skip_ws(j);
    if (j->p >= j->end || ++j->depth > 64)
        return NULL;
    struct jnode *n = NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        n = new_node(j, c == '{' ? J_OBJ : J_ARR);
        if (!n)
            return NULL;
        j->p++;
        struct jnode **tail = &n->child;
        skip_ws(j);
        if (j->p < j->end && *j->p == (c == '{' ? '}' : ']')) {
            j->p++;
        } else {
            for (;;) {
                const char *key = NULL;
                if (c == '{') {
                    skip_ws(j);
                    if (!(key = parse_string(j)))
                        return NULL;
                    skip_ws(j);
                    if (j->p >= j->end || *j->p++ != ':')
                        return NULL;
                }
                struct jnode *v = parse_value(j);
                if (!v)
                    return NULL;
                v->key = key;
                *tail = v;
                tail = &v->next;
                skip_ws(j);
                if (j->p >= j->end)
                    return NULL;
                if (*j->p == ',') {
                    j->p++;
                    continue;
                }
                if (*j->p++ != (c == '{' ? '}' : ']'))
                    return NULL;
                break;
            }
        }
    } else if (c == '"') {
        n = new_node(j, J_STR);
        if (!n || !(n->str = parse_string(j)))
            return NULL;
    } else if (c == 't' || c == 'f' || c == 'n') {
        const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t l = strlen(w);
        if ((size_t)(j->end - j->p) < l || memcmp(j->p, w, l) != 0)
            return NULL;
        j->p += l;
        n = new_node(j, c == 'n' ? J_NULL : J_BOOL);
        if (n)
            n->b = c == 't';
    } else {
        n = new_node(j, J_NUM);
        if (!n)
            return NULL;
        n->num = j->p;
        char *e;
        n->d = strtod(j->p, &e);
        if (e == j->p || e > j->end || e - j->p > 64)
            return NULL;
        n->numlen = (int)(e - j->p);
        j->p = e;
    }
    j->depth--;
    return n;
}

static const struct jnode *get(const struct jnode *o, const char *key)
{
    if (!o || o->type != J_OBJ)
        return NULL;
    for (const struct jnode *c = o->child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

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

static uint64_t u64_of(const struct jnode *n, const char *key)
{
    int neg;
    if (n->type == J_STR)
        return whole(n->str, (int)strlen(n->str), key, 0, &neg);
    if (n->type != J_NUM) {
        refuse(-EINVAL, "%s%s is not a number", key, "");
        return 0;
    }
    return whole(n->num, n->numlen, key, 0, &neg);
}

static int64_t i64_of(const struct jnode *n, const char *key)
{
    int neg;
    if (n->type != J_NUM) {
        refuse(-EINVAL, "%s%s is not a number", key, "");
        return 0;
    }
    uint64_t v = whole(n->num, n->numlen, key, 1, &neg);
    return neg ? (int64_t)(0 - v) : (int64_t)v;
}

/* Missing fields read as 0: older reports lack the newer ones. */
static uint64_t get_u64(const struct jnode *o, const char *key)
{
    const struct jnode *n = get(o, key);
    return n ? u64_of(n, key) : 0;
}

static int64_t get_i64(const struct jnode *o, const char *key)
{
    const struct jnode *n = get(o, key);
    return n ? i64_of(n, key) : 0;
}

static double get_d(const struct jnode *o, const char *key)
{
    const struct jnode *n = get(o, key);
    return n && n->type == J_NUM ? n->d : 0;
}

/* [number, number, ...] */
static int num_pair(const struct jnode *e)
{
    return e->type == J_ARR && e->child && e->child->type == J_NUM && e->child->next &&
           e->child->next->type == J_NUM;
}

/* A histogram: its buckets must add up to its count, lie between its min and max, and its sum
 * between count * min and count * max, or the mean and deviation printed from it are lies. */
static int read_hist(const struct jnode *o, mob_hist *h, const char *what)
{
    const struct jnode *b = get(o, "buckets");
    if (!o || !b || b->type != J_ARR)
        return -EINVAL;
    mob_hist *tmp = mob_hist_new();
    if (!tmp)
        return -ENOMEM;
    int64_t min = get_i64(o, "min"), max = get_i64(o, "max");
    uint64_t total = 0, count = get_u64(o, "count"), clamped = get_u64(o, "clamped");
    double sum = get_d(o, "sum");
    int64_t floor = mob__coarse_lowest(min);
    for (const struct jnode *e = b->child; e && !jr.err; e = e->next) {
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
static int read_coarse(const struct jnode *o, struct mob__second *sec)
{
    sec->ncb = -1;
    if (!o || o->type != J_ARR)
        return 0;
    int n = 0;
    for (const struct jnode *e = o->child; e; e = e->next)
        n++;
    sec->cb = MOB_MALLOC((size_t)(n + 1) * sizeof *sec->cb);
    if (!sec->cb)
        return -ENOMEM;
    int k = 0;
    for (const struct jnode *e = o->child; e; e = e->next) {
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

static void read_fail(const struct jnode *o, uint64_t *fail)
{
    for (int c = 1; c < MOB_FAIL_NCLASS; c++)
        fail[c] += get_u64(o, mob_fail_name(c));
}

/* The report's run id and the single runs it adds up. A report written before ids has a hash
 * of its text for both, so the same file given twice is still caught. */
static int read_runs(const struct jnode *root, mob_result *r, const char *text, size_t len)
{
    const struct jnode *id = get(root, "run_id"), *runs = get(root, "runs");
    char hashed[MOB__RUN_ID_LEN];
    if (!id || id->type != J_STR) {
        uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
        snprintf(hashed, sizeof hashed, "h:%016llx", (unsigned long long)h);
    }
    const char *own = id && id->type == J_STR ? id->str : hashed;
    if (strlen(own) >= MOB__RUN_ID_LEN) {
        snprintf(jr.why, sizeof jr.why, "its run id is longer than %d bytes", MOB__RUN_ID_LEN - 1);
        return -EBADMSG;
    }
    int rc = mob__result_set_run(r, own);
    if (rc < 0 || !runs || runs->type != J_ARR || !runs->child)
        return rc;
    r->nruns = 0;
    for (const struct jnode *e = runs->child; e; e = e->next) {
        if (e->type != J_STR || strlen(e->str) >= MOB__RUN_ID_LEN) {
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

/* text[len] must be readable and NUL. */
int mob__result_parse_json(const char *text, size_t len, mob_result **out)
{
    struct jparser j = {0};
    j.p = text;
    j.end = text + len;
    j.cap = len / 2 + 2; /* every value but the first takes at least a byte and a separator */
    j.nodes = MOB_MALLOC(j.cap * sizeof *j.nodes);
    j.strs = MOB_MALLOC(len + 1);
    *out = NULL;
    int rc = -EINVAL;
    if (!j.nodes || !j.strs) {
        rc = -ENOMEM;
        goto done;
    }
    jr.err = 0;
    snprintf(jr.why, sizeof jr.why, "not a mob JSON report");
    struct jnode *root = parse_value(&j);
    const struct jnode *ver = root && root->type == J_OBJ ? get(root, "mob") : NULL;
    if (!ver)
        goto done;
    if (ver->type != J_NUM || ver->numlen != 1 || ver->num[0] != '1') {
        snprintf(jr.why, sizeof jr.why, "format version %.*s, and this mob reads version 1",
                 ver->type == J_NUM ? (ver->numlen < 20 ? ver->numlen : 20) : 1,
                 ver->type == J_NUM ? ver->num : "?");
        rc = -ENOTSUP;
        goto done;
    }
    const struct jnode *s = get(root, "suite"), *tg = get(root, "target");
    mob_result *r = mob__result_new(s && s->type == J_STR ? s->str : "mob",
                                    tg && tg->type == J_STR ? tg->str : "", NULL, 0);
    if (!r) {
        rc = -ENOMEM;
        goto done;
    }
    rc = read_runs(root, r, text, len);
    if (rc < 0) {
        mob_result_free(r);
        goto done;
    }
    const struct jnode *opt = get(root, "options"), *t = get(root, "totals");
    r->bots = (int)get_i64(opt, "bots");
    r->duration_ns = get_i64(opt, "duration_ns");
    r->rate = get_d(opt, "rate");
    r->t.ok = get_u64(t, "ok");
    r->t.failures = get_u64(t, "failures");
    read_fail(get(t, "fail"), r->t.fail);
    const struct jnode *stop = get(root, "threshold_stop");
    if (stop && stop->type == J_STR)
        snprintf(r->threshold_stop, sizeof r->threshold_stop, "%s", stop->str);
    const struct jnode *why = get(t, "reasons");
    for (int c = 1; why && why->type == J_OBJ && c < MOB_FAIL_NCLASS; c++) {
        const struct jnode *v = get(why, mob_fail_name(c));
        if (v && v->type == J_STR)
            mob__result_reason(r, c, v->str);
    }
    r->t.cancelled = get_u64(t, "cancelled");
    r->t.setup_failed = get_u64(t, "setup_failed");
    r->t.teardown_failed = get_u64(t, "teardown_failed");
    r->t.global_teardown_failed = get_u64(t, "global_teardown_failed");
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
    const struct jnode *lost = get(root, "lost");
    for (const struct jnode *e = lost && lost->type == J_ARR ? lost->child : NULL; e; e = e->next) {
        if (e->type != J_STR)
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
    rc = read_hist(get(root, "latency"), r->all, "latency");
    const struct jnode *sc = get(root, "scenarios");
    for (const struct jnode *e = sc ? sc->child : NULL; rc == 0 && e; e = e->next) {
        const struct jnode *name = get(e, "name");
        int i = mob__result_scenario(r, name && name->type == J_STR ? name->str : "?");
        if (i < 0) {
            rc = i;
            break;
        }
        r->scen[i].ok += get_u64(e, "ok");
        r->scen[i].cut += get_u64(e, "cut");
        read_fail(get(e, "fail"), r->scen[i].fail);
        rc = read_hist(get(e, "latency"), r->scen[i].hist, r->scen[i].name);
        const struct jnode *tl = get(e, "timeline");
        int k = 0;
        for (const struct jnode *x = tl ? tl->child : NULL; rc == 0 && x; x = x->next, k++)
            if (num_pair(x))
                rc = mob__scenario_add_second(r, i, k, u64_of(x->child, "a timeline count"),
                                              u64_of(x->child->next, "a timeline count"));
    }
    const struct jnode *sp = get(root, "spans");
    for (const struct jnode *e = sp ? sp->child : NULL; rc == 0 && e; e = e->next) {
        const struct jnode *name = get(e, "name");
        int i = mob__result_span(r, name && name->type == J_STR ? name->str : "?");
        if (i < 0) {
            rc = i;
            break;
        }
        r->spans[i].ok += get_u64(e, "ok");
        read_fail(get(e, "fail"), r->spans[i].fail);
        rc = read_hist(get(e, "latency"), r->spans[i].hist, r->spans[i].name);
    }
    const struct jnode *ms = get(root, "messages"), *last = get(ms, "last");
    r->msgs_dropped += ms ? get_u64(ms, "dropped") : 0;
    for (const struct jnode *e = last ? last->child : NULL; e; e = e->next) {
        const struct jnode *mt = get(e, "text");
        struct mob__info_entry m = {get_i64(e, "t_ms"), (int)get_i64(e, "bot"), ""};
        snprintf(m.text, sizeof m.text, "%s", mt && mt->type == J_STR ? mt->str : "");
        mob__result_add_msg(r, &m);
    }
    const struct jnode *tl = get(root, "timeline");
    for (const struct jnode *e = tl ? tl->child : NULL; rc == 0 && e; e = e->next) {
        struct mob__second sec = {get_u64(e, "ok"), get_u64(e, "failures"), get_d(e, "sum_ns"),
                                  get_i64(e, "p50_ns"), get_i64(e, "p99_ns"),
                                  get_i64(e, "max_ns"), NULL, 0};
        rc = read_coarse(get(e, "hist"), &sec);
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
    MOB_FREE(j.nodes);
    MOB_FREE(j.strs);
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
    buf[len] = 0; /* strtod may look one byte past a number */
    int rc = err ? -EIO : mob__result_parse_json(buf, len, out);
    MOB_FREE(buf);
    return rc;
}
