/* SPDX-License-Identifier: MIT */
/*
 * jtree.c: the one JSON parser of the run layer, for the reports (json.c) and molotov's config
 * files (cli_config.c). It reads a whole text into a tree of nodes held in two arrays sized
 * from the text's length, so one parse costs two allocations and no node moves. It is strict
 * RFC 8259 JSON, with these limits: nesting up to 64 levels, numbers up to 64 characters, and
 * \u escapes of the surrogate range read as '?'. Integers keep their text, so 64-bit counts
 * survive exactly; what a value means is the caller's business (see json.c for reports).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

struct jparser {
    struct mob__jtree *t;
    const char *p, *begin, *end;
    int depth;
};

/* Notes the first error only: the innermost one says where the text went wrong. */
static void *fail(struct jparser *j, const char *why)
{
    if (!j->t->why) {
        j->t->why = why;
        j->t->at = (size_t)(j->p - j->begin);
    }
    return NULL;
}

static void skip_ws(struct jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static struct mob__jnode *new_node(struct jparser *j, int type)
{
    struct mob__jtree *t = j->t;
    if (t->nnodes == t->cap)
        return fail(j, "too many values");
    struct mob__jnode *n = &t->nodes[t->nnodes++];
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \uXXXX escape as UTF-8 into out: at most 3 bytes for the 6 it reads, so decoded strings
 * never outgrow the text. Returns the bytes written, or -1 for bad hex digits. */
static int unicode(struct jparser *j, char *out)
{
    int v = j->end - j->p >= 4 ? hex4(j->p) : -1;
    if (v < 0)
        return -1;
    j->p += 4;
    if (v >= 0xd800 && v <= 0xdfff)
        v = '?';
    if (v < 0x80) {
        out[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (char)(0xc0 | v >> 6);
        out[1] = (char)(0x80 | (v & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | v >> 12);
    out[1] = (char)(0x80 | (v >> 6 & 0x3f));
    out[2] = (char)(0x80 | (v & 0x3f));
    return 3;
}

static const char *parse_string(struct jparser *j)
{
    struct mob__jtree *t = j->t;
    if (j->p >= j->end || *j->p != '"')
        return fail(j, "a string expected");
    const char *open = j->p++;
    char *out = t->strs + t->nstr;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) {
            j->p--;
            return fail(j, "a control character in a string");
        }
        if (c == '\\') {
            const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t", *m;
            c = j->p < j->end ? *j->p++ : 0;
            if (c == 'u') {
                int w = unicode(j, t->strs + t->nstr);
                if (w < 0)
                    return fail(j, "a bad \\u escape");
                t->nstr += (size_t)w;
                continue;
            }
            if (!c || !(m = strchr(map, c)) || (m - map) % 2 != 0) {
                j->p--;
                return fail(j, "an unknown escape in a string");
            }
            c = m[1];
        }
        t->strs[t->nstr++] = c;
    }
    if (j->p >= j->end) {
        j->p = open;
        return fail(j, "an unterminated string");
    }
    j->p++;
    t->strs[t->nstr++] = 0;
    return out;
}

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? : its length, or 0 if the text is not one. */
static size_t number_len(const char *s, const char *end)
{
    const char *p = s + (s < end && *s == '-'), *d;
    if (p < end && *p == '0')
        p++;
    else if ((d = digits(p, end)) == p)
        return 0;
    else
        p = d;
    if (p < end && *p == '.') {
        if ((d = digits(p + 1, end)) == p + 1)
            return 0;
        p = d;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p += 1 + (p + 1 < end && (p[1] == '+' || p[1] == '-'));
        if ((d = digits(p, end)) == p)
            return 0;
        p = d;
    }
    return (size_t)(p - s);
}

static struct mob__jnode *parse_value(struct jparser *j);

/* The members of an object or the elements of an array, after its opening bracket. */
static int parse_members(struct jparser *j, struct mob__jnode *n, char close)
{
    struct mob__jnode **tail = &n->child;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        if (close == '}') {
            skip_ws(j);
            if (!(key = parse_string(j)))
                return -1;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return fail(j, "':' expected after a key"), -1;
            j->p++;
        }
        struct mob__jnode *v = parse_value(j);
        if (!v)
            return -1;
        v->key = key;
        *tail = v;
        tail = &v->next;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        return fail(j, close == '}' ? "',' or '}' expected" : "',' or ']' expected"), -1;
    }
}

static struct mob__jnode *parse_value(struct jparser *j)
{
    skip_ws(j);
    if (j->p >= j->end)
        return fail(j, "a value expected, and the text ends");
    if (++j->depth > 64)
        return fail(j, "nested over 64 levels");
    struct mob__jnode *n = NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        n = new_node(j, c == '{' ? MOB__J_OBJ : MOB__J_ARR);
        if (!n)
            return NULL;
        j->p++;
        if (parse_members(j, n, c == '{' ? '}' : ']') < 0)
            return NULL;
    } else if (c == '"') {
        n = new_node(j, MOB__J_STR);
        if (!n || !(n->str = parse_string(j)))
            return NULL;
    } else if (c == 't' || c == 'f' || c == 'n') {
        const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t l = strlen(w);
        if ((size_t)(j->end - j->p) < l || memcmp(j->p, w, l) != 0)
            return fail(j, "a value expected");
        j->p += l;
        n = new_node(j, c == 'n' ? MOB__J_NULL : MOB__J_BOOL);
        if (n)
            n->b = c == 't';
    } else {
        size_t l = number_len(j->p, j->end);
        if (l == 0)
            return fail(j, "a value expected");
        if (l > 64)
            return fail(j, "a number over 64 characters");
        n = new_node(j, MOB__J_NUM);
        if (!n)
            return NULL;
        char num[65];
        memcpy(num, j->p, l);
        num[l] = 0;
        n->num = j->p;
        n->numlen = (int)l;
        n->d = strtod(num, NULL);
        j->p += l;
    }
    j->depth--;
    return n;
}

int mob__jtree_parse(struct mob__jtree *t, const char *text, size_t len, int whole)
{
    memset(t, 0, sizeof *t);
    t->cap = len / 2 + 2; /* every value but the first takes at least a byte and a separator */
    t->nodes = MOB_MALLOC(t->cap * sizeof *t->nodes);
    t->strs = MOB_MALLOC(len + 1);
    if (!t->nodes || !t->strs) {
        mob__jtree_free(t);
        t->why = "out of memory";
        return -ENOMEM;
    }
    struct jparser j = {t, text, text, text + len, 0};
    t->root = parse_value(&j);
    if (t->root && whole) {
        skip_ws(&j);
        if (j.p < j.end)
            t->root = fail(&j, "more text after the value");
    }
    return t->root ? 0 : -EINVAL;
}

void mob__jtree_free(struct mob__jtree *t)
{
    MOB_FREE(t->nodes);
    MOB_FREE(t->strs);
    t->nodes = NULL;
    t->strs = NULL;
    t->root = NULL;
}

const struct mob__jnode *mob__jget(const struct mob__jnode *o, const char *key)
{
    if (!o || o->type != MOB__J_OBJ)
        return NULL;
    for (const struct mob__jnode *c = o->child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *mob__jtype_name(int type)
{
    static const char *const names[] = {"null",     "a boolean", "a number",
                                        "a string", "an array",  "an object"};
    return type >= 0 && type <= MOB__J_OBJ ? names[type] : "?";
}
