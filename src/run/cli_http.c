/* SPDX-License-Identifier: MIT */
/*
 * cli_http.c: the flags that shape the requests of the built-in http(s):// bots and check
 * their answers: -m/--method, -H/--header (repeatable), --body TEXT or @FILE, --connection
 * close, --expect-status LIST, --expect-body TEXT. Everything is checked here, before any
 * load, so a malformed flag is a clear message and exit 2, never a run of failures.
 *
 * Read next: src/suites/http.c, which builds the request from these.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_BODY ((size_t)64 << 20)

/* RFC 9110 token characters: what a method and a header name are made of. */
static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c))
            return 0;
    }
    return 1;
}

/* "Name: value": a token, a colon, a value without control bytes. */
static int header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || !is_token(h, (size_t)(colon - h)))
        return 0;
    for (const char *p = colon + 1; *p; p++)
        if ((unsigned char)*p < ' ' && *p != '\t')
            return 0;
    return 1;
}

/* The whole of a file, for --body @FILE. Returns 0, or -errno (-EFBIG past MAX_BODY). */
static int read_file(const char *path, const char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            char *b = cap > MAX_BODY + 1 ? NULL : realloc(buf, cap);
            if (!b) {
                rc = cap > MAX_BODY + 1 ? -EFBIG : -ENOMEM;
                break;
            }
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                rc = -EIO;
            break;
        }
    }
    fclose(f);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    static char *kept; /* for the life of the process: every bot sends it */
    free(kept);
    kept = buf;
    *out = buf;
    *len = n;
    return 0;
}

static void set_bit(unsigned char *set, int s)
{
    set[s / 8] |= (unsigned char)(1u << (s % 8));
}

int mob__cli_parse_status_list(const char *s, unsigned char *set)
{
    if (!s || !*s)
        return -EINVAL;
    memset(set, 0, 125);
    while (*s) {
        size_t n = strcspn(s, ",");
        int lo, hi;
        char item[16];
        if (n == 0 || n >= sizeof item)
            return -EINVAL;
        memcpy(item, s, n);
        item[n] = 0;
        char a, b, c, d;
        if (n == 3 && item[0] >= '1' && item[0] <= '9' && (item[1] | 32) == 'x' &&
            (item[2] | 32) == 'x') {
            lo = (item[0] - '0') * 100; /* 2xx */
            hi = lo + 99;
        } else if (sscanf(item, "%3d-%3d%c", &lo, &hi, &d) == 2 && n == 7) {
            (void)d;
        } else if (n == 3 && sscanf(item, "%c%c%c", &a, &b, &c) == 3 && a >= '1' && a <= '9' &&
                   b >= '0' && b <= '9' && c >= '0' && c <= '9') {
            lo = hi = (a - '0') * 100 + (b - '0') * 10 + (c - '0');
        } else {
            return -EINVAL;
        }
        if (lo < 100 || hi > 999 || lo > hi)
            return -EINVAL;
        for (int k = lo; k <= hi; k++)
            set_bit(set, k);
        s += n;
        if (*s == ',' && *++s == 0)
            return -EINVAL; /* a trailing comma */
    }
    return 0;
}

int mob__cli_http_flag(int argc, char **argv, int *i, mob_suite_args *args)
{
    const char *a = argv[*i], *v;
    int missing = 0;
#define VAL(shrt, lng) MOB__CLI_VAL(i, shrt, lng)
#define BAD(what) MOB__CLI_BAD(what)
    if (VAL("-m", "--method")) {
        if (!v || !is_token(v, strlen(v)))
            BAD("-m (a method: GET, POST, PUT, DELETE, ...)");
        args->method = v;
    } else if (VAL("-H", "--header")) {
        if (!v || !header_ok(v))
            BAD("-H (want 'Name: value', the name a token, no control bytes)");
        if (args->nheaders == MOB_MAX_HEADERS) {
            mob__cli_usage_error("too many -H (at most %s)", "32");
            return MOB__EXIT_USAGE;
        }
        args->headers[args->nheaders++] = v;
    } else if (VAL(NULL, "--body")) {
        if (!v)
            BAD("--body");
        if (v[0] == '@') {
            int rc = read_file(v + 1, &args->body, &args->body_len);
            if (rc < 0) {
                fprintf(stderr, "mob: --body %s: %s\n", v,
                        rc == -EFBIG ? "larger than 64 MiB" : mob_strerror(rc));
                mob__cli_usage_error("%s", "--body @FILE needs a readable file");
                return MOB__EXIT_USAGE;
            }
        } else {
            args->body = v;
            args->body_len = strlen(v);
        }
    } else if (VAL(NULL, "--connection")) {
        if (!v || (strcmp(v, "close") != 0 && strcmp(v, "keep-alive") != 0))
            BAD("--connection (close or keep-alive)");
        args->conn_close = strcmp(v, "close") == 0;
    } else if (VAL(NULL, "--expect-status")) {
        if (!v || mob__cli_parse_status_list(v, args->expect_status_set) < 0)
            BAD("--expect-status (a list like 200,204 or 2xx or 200-299)");
        args->expect_status = 1;
    } else if (VAL(NULL, "--expect-body")) {
        if (!v || !*v)
            BAD("--expect-body (the text the body must contain)");
        args->expect_body = v;
    } else {
        return -1;
    }
    return 0;
#undef VAL
#undef BAD
}
