/* SPDX-License-Identifier: MIT */
/*
 * json.c: reads a JSON report back into a mob_result (for -p, where each child writes one, and
 * for `mob merge`). A small strict JSON parser builds a tree of nodes; integers keep their
 * text so 64-bit counts survive exactly. It is meant for the reports report.c writes, not as a
 * general JSON library: no \u escapes beyond ASCII, nesting up to 64 levels.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
    int type;
    const char *key;      /* in an object */
    const char *str;      /* J_STR: decoded, NUL-terminated */
    const char *num;      /* J_NUM: the text */
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
        if (e == j->p || e > j->end)
            return NULL;
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

static uint64_t get_u64(const struct jnode *o, const char *key)
{
    const struct jnode *n = get(o, key);
    if (n && n->type == J_STR)
        return strtoull(n->str, NULL, 10);
    if (!n || n->type != J_NUM)
        return 0;
    if (n->num[0] == '-')
        return 0;
    return strtoull(n->num, NULL, 10);
}

static int64_t get_i64(const struct jnode *o, const char *key)
{
    const struct jnode *n = get(o, key);
    return n && n->type == J_NUM ? strtoll(n->num, NULL, 10) : 0;
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

static int read_hist(const struct jnode *o, mob_hist *h)
{
    const struct jnode *b = get(o, "buckets");
    if (!o || !b || b->type != J_ARR)
        return -EINVAL;
    mob_hist *tmp = mob_hist_new();
    if (!tmp)
        return -ENOMEM;
    for (const struct jnode *e = b->child; e; e = e->next) {
        if (!num_pair(e))
            continue;
        mob_hist_record_n(tmp, strtoll(e->child->num, NULL, 10),
                          strtoull(e->child->next->num, NULL, 10));
    }
    mob_hist_set_exact(tmp, get_i64(o, "min"), get_i64(o, "max"), get_d(o, "sum"),
                       get_u64(o, "clamped"));
    mob_hist_merge(h, tmp);
    mob_hist_free(tmp);
    return 0;
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
        int64_t v = mob__coarse_lowest(strtoll(e->child->num, NULL, 10));
        if (k > 0 && v <= sec->cb[k - 1].lowest)
            goto unknown;
        sec->cb[k++] = (struct mob__cbucket){v, strtoull(e->child->next->num, NULL, 10)};
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
    struct jnode *root = parse_value(&j);
    if (!root || root->type != J_OBJ || !get(root, "mob"))
        goto done;
    const struct jnode *s = get(root, "suite"), *tg = get(root, "target");
    mob_result *r = mob__result_new(s && s->type == J_STR ? s->str : "mob",
                                    tg && tg->type == J_STR ? tg->str : "", NULL, 0);
    if (!r) {
        rc = -ENOMEM;
        goto done;
    }
    const struct jnode *opt = get(root, "options"), *t = get(root, "totals");
    r->bots = (int)get_i64(opt, "bots");
    r->duration_ns = get_i64(opt, "duration_ns");
    r->rate = get_d(opt, "rate");
    r->t.ok = get_u64(t, "ok");
    r->t.failures = get_u64(t, "failures");
    read_fail(get(t, "fail"), r->t.fail);
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
    r->t.seed = get_u64(t, "seed");
    rc = read_hist(get(root, "latency"), r->all);
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
        rc = read_hist(get(e, "latency"), r->scen[i].hist);
        const struct jnode *tl = get(e, "timeline");
        int k = 0;
        for (const struct jnode *x = tl ? tl->child : NULL; rc == 0 && x; x = x->next, k++)
            if (num_pair(x))
                rc = mob__scenario_add_second(r, i, k, strtoull(x->child->num, NULL, 10),
                                              strtoull(x->child->next->num, NULL, 10));
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
        rc = read_hist(get(e, "latency"), r->spans[i].hist);
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
