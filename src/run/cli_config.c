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
 * false is left out, a number or string is the flag's value, an array repeats the flag
 * (headers, thresholds), and "scenario" is the target. Unlike molotov, a bad file is a usage
 * error (exit 2), not a quiet exit 0.
 *
 * The reader is a small one of its own: the report reader (json.c) builds a tree for large
 * files; a config is a few lines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cfg {
    const char *p, *end;
    char **argv; /* flags made so far */
    int argc, cap;
    char err[160];
};

static void ws(struct cfg *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* A JSON string into a new buffer (\" \\ \/ \n \t \r \b \f and \u00XX; others refused). */
static char *str(struct cfg *c)
{
    ws(c);
    if (c->p >= c->end || *c->p != '"')
        return NULL;
    c->p++;
    char *out = malloc((size_t)(c->end - c->p) + 1);
    size_t n = 0;
    while (out && c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\' && c->p < c->end) {
            char e = *c->p++;
            const char *map = "\"\"\\\\//n\nt\tr\rb\bf\f";
            const char *m = strchr(map, e);
            if (e == 'u' && c->end - c->p >= 4 && strncmp(c->p, "00", 2) == 0) {
                ch = (char)strtol((char[]){c->p[2], c->p[3], 0}, NULL, 16);
                c->p += 4;
            } else if (m && (m - map) % 2 == 0) {
                ch = m[1];
            } else {
                free(out);
                return NULL;
            }
        }
        out[n++] = ch;
    }
    if (!out || c->p >= c->end) {
        free(out);
        return NULL;
    }
    c->p++;
    out[n] = 0;
    return out;
}

static int expect(struct cfg *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 0;
    }
    return -1;
}

/* A scalar as text: a string, a number, true, false or null. *kind: 's', 'n', 't', 'f', '0'. */
static char *scalar(struct cfg *c, char *kind)
{
    ws(c);
    if (c->p < c->end && *c->p == '"') {
        *kind = 's';
        return str(c);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(words[i]);
        if ((size_t)(c->end - c->p) >= l && strncmp(c->p, words[i], l) == 0) {
            c->p += l;
            *kind = "tf0"[i];
            return strdup(words[i]);
        }
    }
    const char *s = c->p;
    while (c->p < c->end && (isdigit((unsigned char)*c->p) || strchr("+-.eE", *c->p)))
        c->p++;
    if (c->p == s)
        return NULL;
    *kind = 'n';
    return strndup(s, (size_t)(c->p - s));
}

static int push(struct cfg *c, char *arg)
{
    if (!arg)
        return -1;
    if (c->argc == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        char **a = realloc(c->argv, (size_t)c->cap * sizeof *a);
        if (!a)
            return -1;
        c->argv = a;
    }
    c->argv[c->argc++] = arg;
    return 0;
}

/* key and one value into flags; "scenario" is the target. */
static int option(struct cfg *c, const char *key, char *val, char kind)
{
    if (kind == 'f' || kind == '0') {
        free(val);
        return 0;
    }
    if (strcmp(key, "scenario") == 0)
        return push(c, val);
    size_t kl = strlen(key);
    char *flag = malloc(kl + 3);
    if (!flag)
        return -1;
    flag[0] = flag[1] = '-';
    for (size_t i = 0; i <= kl; i++)
        flag[i + 2] = key[i] == '_' ? '-' : key[i];
    if (strcmp(key, "verbose") == 0 && kind == 'n') { /* molotov counts -v */
        int n = atoi(val);
        free(val);
        for (int i = 0; i < n; i++)
            if (push(c, strdup("--verbose")) < 0)
                return -1;
        free(flag);
        return 0;
    }
    if (push(c, flag) < 0)
        return -1;
    if (kind == 't') {
        free(val);
        return 0;
    }
    return push(c, val);
}

/* The options object of the named test. */
static int test_options(struct cfg *c)
{
    if (expect(c, '{') < 0)
        return -1;
    if (expect(c, '}') == 0)
        return 0;
    do {
        char *key = str(c);
        if (!key || expect(c, ':') < 0) {
            free(key);
            return -1;
        }
        ws(c);
        int rc = 0;
        if (c->p < c->end && *c->p == '[') {
            c->p++;
            if (expect(c, ']') != 0) {
                do {
                    char kind, *v = scalar(c, &kind);
                    rc = v ? option(c, key, v, kind) : -1;
                } while (rc == 0 && expect(c, ',') == 0);
                rc = rc == 0 ? expect(c, ']') : rc;
            }
        } else {
            char kind, *v = scalar(c, &kind);
            rc = v ? option(c, key, v, kind) : -1;
        }
        free(key);
        if (rc < 0)
            return -1;
    } while (expect(c, ',') == 0);
    return expect(c, '}');
}

/* Skips any value (for keys mob does not use, such as "requirements"). */
static int skip(struct cfg *c)
{
    ws(c);
    if (c->p >= c->end)
        return -1;
    char open = *c->p;
    if (open == '{' || open == '[') {
        c->p++;
        char close = open == '{' ? '}' : ']';
        if (expect(c, close) == 0)
            return 0;
        do {
            if (open == '{') {
                char *k = str(c);
                free(k);
                if (!k || expect(c, ':') < 0)
                    return -1;
            }
            if (skip(c) < 0)
                return -1;
        } while (expect(c, ',') == 0);
        return expect(c, close);
    }
    char kind, *v = scalar(c, &kind);
    free(v);
    return v ? 0 : -1;
}

/* {"VAR": "value", ...} into the environment. */
static int env(struct cfg *c)
{
    if (expect(c, '{') < 0)
        return -1;
    if (expect(c, '}') == 0)
        return 0;
    do {
        char kind, *k = str(c), *v = k && expect(c, ':') == 0 ? scalar(c, &kind) : NULL;
        if (!v) {
            free(k);
            return -1;
        }
        setenv(k, v, 1);
        free(k);
        free(v);
    } while (expect(c, ',') == 0);
    return expect(c, '}');
}

/* The "molotov" object: env, tests (the named one taken), anything else skipped. */
static int molotov(struct cfg *c, const char *name, int *found)
{
    if (expect(c, '{') < 0)
        return -1;
    if (expect(c, '}') == 0)
        return 0;
    do {
        char *key = str(c);
        if (!key || expect(c, ':') < 0) {
            free(key);
            return -1;
        }
        int rc;
        if (strcmp(key, "env") == 0) {
            rc = env(c);
        } else if (strcmp(key, "tests") == 0) {
            rc = expect(c, '{');
            if (rc == 0 && expect(c, '}') != 0) {
                do {
                    char *t = str(c);
                    rc = t && expect(c, ':') == 0 ? 0 : -1;
                    if (rc == 0 && strcmp(t, name) == 0) {
                        *found = 1;
                        rc = test_options(c);
                    } else if (rc == 0) {
                        rc = skip(c);
                    }
                    free(t);
                } while (rc == 0 && expect(c, ',') == 0);
                rc = rc == 0 ? expect(c, '}') : rc;
            }
        } else {
            rc = skip(c);
        }
        free(key);
        if (rc < 0)
            return -1;
    } while (expect(c, ',') == 0);
    return expect(c, '}');
}

int mob__cli_config(const char *path, const char *name, char ***argv, int *argc)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mob: --config %s: %s\n", path, mob_strerror(-errno));
        return -1;
    }
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text, f);
    int big = n == sizeof text;
    fclose(f);
    struct cfg c = {.p = text, .end = text + n};
    int found = 0, rc = big ? -1 : expect(&c, '{');
    int has_molotov = 0;
    if (rc == 0 && expect(&c, '}') != 0) {
        do {
            char *key = str(&c);
            rc = key && expect(&c, ':') == 0 ? 0 : -1;
            if (rc == 0 && strcmp(key, "molotov") == 0) {
                has_molotov = 1;
                rc = molotov(&c, name, &found);
            } else if (rc == 0) {
                rc = skip(&c);
            }
            free(key);
        } while (rc == 0 && expect(&c, ',') == 0);
        rc = rc == 0 ? expect(&c, '}') : rc;
    }
    if (rc < 0) {
        fprintf(stderr, "mob: --config %s: not the JSON of a molotov config%s\n", path,
                big ? " (over 1 MiB)" : "");
    } else if (!has_molotov) {
        fprintf(stderr, "mob: --config %s: Bad config -- no molotov key\n", path);
        rc = -1;
    } else if (!found) {
        fprintf(stderr, "mob: --config %s: Can't find '%s' in the config\n", path, name);
        rc = -1;
    }
    if (rc < 0) {
        for (int i = 0; i < c.argc; i++)
            free(c.argv[i]);
        free(c.argv);
        return -1;
    }
    static char **kept; /* for the life of the process: the options point into it */
    kept = c.argv;
    *argv = kept;
    *argc = c.argc;
    return 0;
}
