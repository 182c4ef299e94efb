/* SPDX-License-Identifier: MIT */
/*
 * cli_config.c: molotov's config file of named runs. `mob --config molotov.json NAME ...`
 * reads
 *
 *     {"molotov": {"env": {"VAR": "value"},
 *                  "tests": {"NAME": {"workers": 10, "duration": "30s", "scenario": URL}}}}
 *
 * sets the environment variables of "env", and turns the options of test NAME into flags
 * placed before the command line's own, so the command line overrides the file: a key is the
 * long flag (molotov's option names: workers, duration, max_runs, processes, ramp_up, delay,
 * exception, quiet, verbose, single_mode, fail, ...; '_' reads as '-'), true is a bare flag,
 * false and null are left out, a number or string is the flag's value, an array repeats the
 * flag (headers, thresholds), and "scenario" is the target. Other keys ("requirements") are
 * ignored. Unlike molotov, a bad file is a usage error (exit 2) with one line saying what is
 * wrong, not a quiet exit 0. The JSON itself is parsed by jtree.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* molotov.json files are a few lines; anything this large was given by mistake. */
#define CONFIG_MAX ((size_t)1 << 20)

struct strv {
    char **v;
    int n, cap;
};

/* Takes a (NULL: out of memory) into s. 0 or -1. */
static int push(struct strv *s, char *a)
{
    if (!a || mob_grow(&s->v, &s->cap, s->n + 1, sizeof *s->v, 16) < 0) {
        free(a);
        return -1;
    }
    s->v[s->n++] = a;
    return 0;
}

static void strv_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    MOB_FREE(v);
}

/* A scalar's text: a string as decoded, a number as written, true, false or null. */
static char *text_of(const struct mob__jnode *n)
{
    switch (n->type) {
    case MOB__J_STR:
        return strdup(n->str);
    case MOB__J_NUM:
        return strndup(n->num, (size_t)n->numlen);
    case MOB__J_BOOL:
        return strdup(n->b ? "true" : "false");
    case MOB__J_NULL:
        return strdup("null");
    default:
        return NULL;
    }
}

static int scalar(int type)
{
    return type != MOB__J_ARR && type != MOB__J_OBJ;
}

struct cfg {
    struct strv argv, env;
    char *err;
    size_t errlen;
};

static int bad(struct cfg *c, const char *what, const char *key, const struct mob__jnode *n,
               const char *want)
{
    snprintf(c->err, c->errlen, "%s%s is %s, not %s", what, key, mob__jtype_name(n->type), want);
    return -1;
}

/* One value of option key (an array's element, or the value itself) into flags. */
static int option(struct cfg *c, const char *key, const struct mob__jnode *v)
{
    if (v->type == MOB__J_NULL || (v->type == MOB__J_BOOL && !v->b))
        return 0;
    if (strcmp(key, "scenario") == 0)
        return push(&c->argv, text_of(v));
    if (strcmp(key, "verbose") == 0 && v->type == MOB__J_NUM) { /* molotov counts -v */
        for (int i = 0; i < v->d && i < 8; i++)
            if (push(&c->argv, strdup("--verbose")) < 0)
                return -1;
        return 0;
    }
    size_t kl = strlen(key);
    char *flag = malloc(kl + 3);
    if (!flag)
        return -1;
    flag[0] = flag[1] = '-';
    for (size_t i = 0; i <= kl; i++)
        flag[i + 2] = key[i] == '_' ? '-' : key[i];
    if (push(&c->argv, flag) < 0)
        return -1;
    return v->type == MOB__J_BOOL ? 0 : push(&c->argv, text_of(v));
}

/* The options object of the named test. */
static int test_options(struct cfg *c, const char *name, const struct mob__jnode *t)
{
    if (t->type != MOB__J_OBJ)
        return bad(c, "molotov.tests.", name, t, "an object of options");
    for (const struct mob__jnode *o = t->child; o; o = o->next) {
        const struct mob__jnode *v = o->type == MOB__J_ARR ? o->child : o;
        for (; v; v = o->type == MOB__J_ARR ? v->next : NULL) {
            if (!scalar(v->type)) {
                snprintf(c->err, c->errlen,
                         "molotov.tests.%s.%s holds %s, not a string, number "
                         "or boolean",
                         name, o->key, mob__jtype_name(v->type));
                return -1;
            }
            if (option(c, o->key, v) < 0)
                return -1;
        }
    }
    return 0;
}

/* "Can't find NAME", with the names there are, as many as the error line holds. */
static int not_found(struct cfg *c, const char *name, const struct mob__jnode *tests)
{
    int n = snprintf(c->err, c->errlen, "Can't find '%s' in the config", name);
    const char *sep = "; it has: ";
    for (const struct mob__jnode *t = tests ? tests->child : NULL; t; t = t->next, sep = ", ")
        if (n >= 0 && (size_t)n < c->errlen)
            n += snprintf(c->err + n, c->errlen - (size_t)n, "%s%s", sep, t->key);
    if ((!tests || !tests->child) && n >= 0 && (size_t)n < c->errlen)
        snprintf(c->err + n, c->errlen - (size_t)n, "; it has no tests");
    return -1;
}

static int read_molotov(struct cfg *c, const struct mob__jnode *root, const char *name)
{
    if (root->type != MOB__J_OBJ)
        return bad(c, "not the JSON of a molotov config: its top", "", root, "an object");
    const struct mob__jnode *m = mob__jget(root, "molotov");
    if (!m) {
        snprintf(c->err, c->errlen, "Bad config -- no molotov key");
        return -1;
    }
    if (m->type != MOB__J_OBJ)
        return bad(c, "molotov", "", m, "an object");
    const struct mob__jnode *env = mob__jget(m, "env"), *tests = mob__jget(m, "tests");
    if (env && env->type != MOB__J_OBJ)
        return bad(c, "molotov.env", "", env, "an object");
    for (const struct mob__jnode *e = env ? env->child : NULL; e; e = e->next) {
        if (!scalar(e->type))
            return bad(c, "molotov.env.", e->key, e, "a string");
        if (push(&c->env, strdup(e->key)) < 0 || push(&c->env, text_of(e)) < 0)
            return -1;
    }
    if (tests && tests->type != MOB__J_OBJ)
        return bad(c, "molotov.tests", "", tests, "an object");
    const struct mob__jnode *t = mob__jget(tests, name);
    return t ? test_options(c, name, t) : not_found(c, name, tests);
}

int mob__cli_config_parse(const char *text, size_t len, const char *name,
                          struct mob__config_run *out, char *err, size_t errlen)
{
    struct cfg c = {.err = err, .errlen = errlen};
    struct mob__jtree t;
    snprintf(err, errlen, "out of memory");
    int rc = mob__jtree_parse(&t, text, len, 1);
    if (rc == -EINVAL)
        snprintf(err, errlen, "not the JSON of a molotov config: byte %zu: %s", t.at, t.why);
    if (rc == 0)
        rc = read_molotov(&c, t.root, name);
    mob__jtree_free(&t);
    if (rc < 0) {
        /* Names from the file may hold any character: the error stays one line. */
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        strv_free(c.argv.v, c.argv.n);
        strv_free(c.env.v, c.env.n);
        return -1;
    }
    *out = (struct mob__config_run){c.argv.v, c.argv.n, c.env.v, c.env.n};
    return 0;
}

void mob__cli_config_free(struct mob__config_run *r)
{
    strv_free(r->argv, r->argc);
    strv_free(r->env, r->nenv);
    *r = (struct mob__config_run){0};
}

int mob__cli_config(const char *path, const char *name, char ***argv, int *argc)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mob: --config %s: %s\n", path, mob_strerror(-errno));
        return -1;
    }
    char *text = MOB_MALLOC(CONFIG_MAX + 1), err[512] = "out of memory";
    size_t n = text ? fread(text, 1, CONFIG_MAX + 1, f) : 0;
    int rc = text && !ferror(f) ? 0 : -1;
    if (text && ferror(f))
        snprintf(err, sizeof err, "%s", mob_strerror(-EIO));
    fclose(f);
    if (rc == 0 && n > CONFIG_MAX) {
        snprintf(err, sizeof err, "over %zu MiB, too large for a molotov config", CONFIG_MAX >> 20);
        rc = -1;
    }
    static struct mob__config_run kept; /* for the life of the process: options point into it */
    if (rc == 0) {
        mob__cli_config_free(&kept);
        rc = mob__cli_config_parse(text, n, name, &kept, err, sizeof err);
    }
    MOB_FREE(text);
    if (rc < 0) {
        fprintf(stderr, "mob: --config %s: %s\n", path, err);
        return -1;
    }
    for (int i = 0; i + 1 < kept.nenv; i += 2)
        setenv(kept.env[i], kept.env[i + 1], 1);
    *argv = kept.argv;
    *argc = kept.argc;
    return 0;
}
