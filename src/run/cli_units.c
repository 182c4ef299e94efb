/* SPDX-License-Identifier: MIT */
/*
 * cli_units.c: the human units of the command line: durations (30s, 1h30m, 250ms, a bare
 * number is seconds), counts (10k, 1M, 64Ki), start times (+30s, unix seconds) and load
 * stages (DUR:BOTS[:SPAWN_PER_S],...). Pure functions: no I/O, no globals.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int mob_parse_duration(const char *s, int64_t *ns)
{
    if (!s || !*s)
        return -EINVAL;
    double total = 0;
    const char *p = s;
    while (*p) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || !(v >= 0) || isinf(v))
            return -EINVAL;
        p = e;
        double unit;
        if (*p == 0 && p == e && total == 0 && e != s) {
            unit = 1e9; /* a bare number is seconds */
        } else if (strncmp(p, "ns", 2) == 0) {
            unit = 1, p += 2;
        } else if (strncmp(p, "us", 2) == 0) {
            unit = 1e3, p += 2;
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = 1e6, p += 2;
        } else if (*p == 's') {
            unit = 1e9, p++;
        } else if (*p == 'm') {
            unit = 60e9, p++;
        } else if (*p == 'h') {
            unit = 3600e9, p++;
        } else if (*p == 'd') {
            unit = 86400e9, p++;
        } else {
            return -EINVAL;
        }
        total += v * unit;
    }
    if (total > 9.2e18)
        return -EINVAL;
    *ns = (int64_t)total;
    return 0;
}

int mob_parse_count(const char *s, double *out)
{
    if (!s || !*s)
        return -EINVAL;
    char *e;
    double v = strtod(s, &e);
    if (e == s || !(v >= 0) || isinf(v))
        return -EINVAL;
    double m = 1;
    if (*e == 'k' || *e == 'K')
        m = 1e3, e++;
    else if (*e == 'M')
        m = 1e6, e++;
    else if (*e == 'G')
        m = 1e9, e++;
    if (*e == 'i' && m > 1) /* Ki, Mi, Gi: powers of 1024 */
        m = m == 1e3 ? 1024.0 : m == 1e6 ? 1048576.0 : 1073741824.0, e++;
    if (*e)
        return -EINVAL;
    *out = v * m;
    return 0;
}

int mob__cli_parse_int64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    double v;
    if (mob_parse_count(s, &v) < 0 || v != floor(v) || v < (double)lo || v > (double)hi)
        return -EINVAL;
    *out = (int64_t)v;
    return 0;
}

int mob_parse_int(const char *s, int lo, int hi, int *out)
{
    int neg = s && s[0] == '-';
    int64_t v;
    if (!s || mob__cli_parse_int64(s + neg, 0, (int64_t)1 << 40, &v) < 0)
        return -EINVAL;
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return -ERANGE;
    *out = (int)v;
    return 0;
}

int mob__cli_parse_start_at(const char *s, int64_t *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * MOB_NS_PER_SEC + now.tv_nsec, d;
    if (s[0] == '+') {
        if (mob_parse_duration(s + 1, &d) < 0)
            return -EINVAL;
        *out = now_ns + d;
        return 0;
    }
    char *e;
    double secs = strtod(s, &e);
    if (e == s || *e || !(secs > 0) || secs > 4e9)
        return -EINVAL;
    *out = (int64_t)(secs * 1e9);
    if (*out - now_ns > 86400 * MOB_NS_PER_SEC)
        return -EINVAL; /* more than a day ahead is a typo */
    return 0;
}

int mob__cli_parse_stages(const char *spec, mob_options *o)
{
    char buf[1024];
    if (strlen(spec) >= sizeof buf)
        return -EINVAL;
    strcpy(buf, spec);
    o->nstages = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->nstages == MOB_MAX_STAGES)
            return -EINVAL;
        mob_stage *st = &o->stages[o->nstages];
        char *c1 = strchr(tok, ':');
        if (!c1)
            return -EINVAL;
        *c1++ = 0;
        char *c2 = strchr(c1, ':');
        if (c2)
            *c2++ = 0;
        int64_t bots;
        double rate = 0;
        if (mob_parse_duration(tok, &st->duration_ns) < 0 || st->duration_ns <= 0 ||
            st->duration_ns > 365 * 86400 * MOB_NS_PER_SEC ||
            mob__cli_parse_int64(c1, 0, 1000000, &bots) < 0 ||
            (c2 && (mob_parse_count(c2, &rate) < 0 || rate > 1e9)))
            return -EINVAL;
        st->bots = (int)bots;
        st->spawn_rate = rate;
        o->nstages++;
    }
    return o->nstages > 0 ? 0 : -EINVAL;
}
