/* SPDX-License-Identifier: MIT */
/*
 * statsd.c: `--statsd udp://HOST:PORT`: every second, what each scenario did in that second,
 * as statsd lines over UDP with molotov's names (molotov.<hostname>.<name>):
 *
 *   molotov.web1.get:1.024|ms|@0.0625   a latency (ms) that stands for 16 runs (1 / 0.0625)
 *   molotov.web1.get.ok:1234|c          successes in the second
 *   molotov.web1.get.timeout:3|c        failures by class, when there were any
 *
 * Runs that reported a status (mob_worker_status: the http suite's responses) are counted
 * under it instead of their class, as molotov counts each response under label + "." +
 * status: molotov.web1.GET.127.0.0.1./api.200:1230|c, ....404:4|c; those that got no answer
 * (refused, timed out before a status) keep their class, .connect:2|c.
 *
 * molotov sends one timing per request; at mob's rates that is a datagram per request, so
 * mob sends each second's latencies as its coarse buckets (0.8-1.6% wide), one line per
 * bucket with a sample rate that makes the statsd server count the bucket's runs. Lines are
 * packed into datagrams of at most 1,400 bytes; a datagram the socket refuses is dropped
 * (statsd is lossy by design and the run must not wait for it).
 *
 * Read next: src/run/watch.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "watch.h"
#include "mob_io.h"

#define DGRAM 1400

/* What was sent of a scenario so far: runs without a status by class (0: ok), runs by status. */
struct prev {
    uint64_t nost[MOB_FAIL_NCLASS];
    uint64_t *bystatus;
    struct mob__cbucket *cb;
    int ncb;
};

struct mob__statsd {
    int fd;
    struct sockaddr_storage addr;
    socklen_t alen;
    char host[64];
    struct prev *prev;
    int nprev;
    char buf[DGRAM + 512];
    size_t len;
};

int mob__statsd_new(struct mob__statsd **out, const char *url)
{
    *out = NULL;
    if (strncmp(url, "udp://", 6) != 0)
        return -EINVAL;
    char host[256];
    int port;
    if (mob__parse_hostport(url + 6, host, sizeof host, &port) < 0 || port == 0)
        return -EINVAL;
    struct mob__statsd *s = MOB_CALLOC(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int alen = mob_addr_parse(host, port, &s->addr);
    s->fd = alen < 0 ? -1 : socket(s->addr.ss_family, SOCK_DGRAM, 0);
    if (s->fd < 0) {
        MOB_FREE(s);
        return alen < 0 ? -EINVAL : -errno;
    }
    s->alen = (socklen_t)alen;
    gethostname(s->host, sizeof s->host - 1);
    for (char *p = s->host; *p; p++)
        if (*p == '.' || *p == ':' || *p == ' ')
            *p = '_'; /* a dot would add a level to the metric's name */
    *out = s;
    return 0;
}

void mob__statsd_free(struct mob__statsd *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nprev; i++) {
        MOB_FREE(s->prev[i].cb);
        MOB_FREE(s->prev[i].bystatus);
    }
    MOB_FREE(s->prev);
    close(s->fd);
    MOB_FREE(s);
}

static void flush(struct mob__statsd *s)
{
    if (s->len > 0)
        sendto(s->fd, s->buf, s->len - 1, MSG_DONTWAIT, (struct sockaddr *)&s->addr, s->alen);
    s->len = 0;
}

static void line(struct mob__statsd *s, const char *text, size_t n)
{
    if (s->len + n + 1 > DGRAM)
        flush(s);
    if (n + 1 > sizeof s->buf)
        return;
    memcpy(s->buf + s->len, text, n);
    s->buf[s->len + n] = '\n';
    s->len += n + 1;
}

/* A name with the characters statsd reserves (: | @ and newlines) and dots replaced. */
static void metric_name(char *out, size_t cap, const char *host, const char *name)
{
    int n = snprintf(out, cap, "molotov.%s.", host);
    for (const char *p = name; *p && (size_t)n + 1 < cap; p++)
        out[n++] = (*p == ':' || *p == '|' || *p == '@' || *p == '.' || (unsigned char)*p <= ' ')
                       ? '_'
                       : *p;
    out[n] = 0;
}

/* Appends len bytes of src at out[n], the characters statsd reserves (: | @ and blanks) as _. */
static int put(char *out, size_t cap, int n, const char *src, size_t len)
{
    for (size_t i = 0; i < len && (size_t)n + 1 < cap; i++)
        out[n++] = (src[i] == ':' || src[i] == '|' || src[i] == '@' ||
                    (unsigned char)src[i] <= ' ')
                       ? '_'
                       : src[i];
    return n;
}

/* molotov's label for a request of the http suite: molotov.<hostname>.<METHOD>.<host>.<path>;
 * 0 if the run is not the http suite's aimed at an http(s):// URL. */
static int http_label(char *out, size_t cap, const char *host, const mob_result *r,
                      const char *scen)
{
    const char *t = r->target;
    if (!r->suite || strcmp(r->suite, "http") != 0 || !t)
        return 0;
    if (strncmp(t, "http://", 7) == 0)
        t += 7;
    else if (strncmp(t, "https://", 8) == 0)
        t += 8;
    else
        return 0;
    const char *end = t + strcspn(t, "/?#"), *h = t, *he;
    if (*h == '[') { /* [v6]:port */
        h++;
        he = memchr(h, ']', (size_t)(end - h));
        if (!he)
            he = end;
    } else {
        he = memchr(h, ':', (size_t)(end - h));
        if (!he)
            he = end;
    }
    const char *path = *end == '/' ? end : "/";
    size_t plen = *end == '/' ? strcspn(end, "?#") : 1;
    int n = snprintf(out, cap, "molotov.%s.", host);
    for (const char *p = scen; *p && (size_t)n + 1 < cap; p++)
        out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p); /* the suite names it "get" */
    if ((size_t)n + 1 < cap)
        out[n++] = '.';
    n = put(out, cap, n, h, (size_t)(he - h));
    if ((size_t)n + 1 < cap)
        out[n++] = '.';
    n = put(out, cap, n, path, plen);
    out[n] = 0;
    return 1;
}

/* Sends the buckets of cur that grew since prev (both ascending). */
static void timings(struct mob__statsd *s, const char *name, const struct mob__cbucket *cur,
                    int ncur, const struct mob__cbucket *prev, int nprev)
{
    char text[512];
    for (int i = 0, j = 0; i < ncur; i++) {
        while (j < nprev && prev[j].lowest < cur[i].lowest)
            j++;
        uint64_t was = j < nprev && prev[j].lowest == cur[i].lowest ? prev[j].count : 0;
        if (cur[i].count <= was)
            continue;
        uint64_t k = cur[i].count - was;
        double ms = (double)cur[i].lowest / 1e6;
        int n = k == 1 ? snprintf(text, sizeof text, "%s:%.3f|ms", name, ms)
                       : snprintf(text, sizeof text, "%s:%.3f|ms|@%.9g", name, ms, 1.0 / (double)k);
        if (n > 0 && (size_t)n < sizeof text)
            line(s, text, (size_t)n);
    }
}

/* The runs by status since the last second, a counter each: molotov's label + "." + status. */
static void statuses(struct mob__statsd *s, const char *name, const struct mob__sstats *sc,
                     struct prev *p)
{
    enum { N = MOB__STATUS_MAX - MOB__STATUS_MIN + 1 };
    if (!sc->bystatus || (!p->bystatus && !(p->bystatus = MOB_CALLOC(N, sizeof *p->bystatus))))
        return;
    char text[512];
    for (int k = 0; k < N; k++) {
        if (sc->bystatus[k] == p->bystatus[k])
            continue;
        int n = snprintf(text, sizeof text, "%s.%d:%llu|c", name, MOB__STATUS_MIN + k,
                         (unsigned long long)(sc->bystatus[k] - p->bystatus[k]));
        if (n > 0 && (size_t)n < sizeof text)
            line(s, text, (size_t)n);
        p->bystatus[k] = sc->bystatus[k];
    }
}

void mob__statsd_second(struct mob__statsd *s, const mob_result *r)
{
    if (s->nprev < r->nscen) {
        struct prev *p = MOB_REALLOC(s->prev, (size_t)r->nscen * sizeof *p);
        if (!p)
            return;
        memset(p + s->nprev, 0, (size_t)(r->nscen - s->nprev) * sizeof *p);
        s->prev = p;
        s->nprev = r->nscen;
    }
    char name[256], text[512];
    for (int i = 0; i < r->nscen; i++) {
        const struct mob__sstats *sc = &r->scen[i];
        struct prev *p = &s->prev[i];
        if (!http_label(name, sizeof name, s->host, r, sc->name))
            metric_name(name, sizeof name, s->host, sc->name);
        struct mob__cbucket *cb = NULL;
        int ncb = mob__hist_coarse(sc->hist, &cb);
        if (ncb >= 0) {
            timings(s, name, cb, ncb, p->cb, p->ncb);
            MOB_FREE(p->cb);
            p->cb = cb;
            p->ncb = ncb;
        }
        statuses(s, name, sc, p);
        for (int c = 0; c < MOB_FAIL_NCLASS; c++) {
            uint64_t now = (c ? sc->fail[c] : sc->ok) - sc->statused[c], was = p->nost[c];
            /* ok goes every second, zero too, unless the scenario's runs report statuses. */
            if (now == was && (c || sc->bystatus))
                continue;
            int n = snprintf(text, sizeof text, "%s.%s:%llu|c", name, mob_fail_name(c),
                             (unsigned long long)(now - was));
            if (n > 0 && (size_t)n < sizeof text)
                line(s, text, (size_t)n);
            p->nost[c] = now;
        }
    }
    flush(s);
}
