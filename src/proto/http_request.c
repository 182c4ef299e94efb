/* SPDX-License-Identifier: MIT */
/*
 * http_request.c: the pure helpers of the HTTP client: parsing an http:// URL and building a
 * request head into a caller's buffer (checked: no byte a server could read as framing).
 *
 * Read next: src/proto/http_client.c.
 */
#include <errno.h>
#include <string.h>

#include "http_bytes.h"
#include "mob_http.h"

/* ---- URLs -------------------------------------------------------------------------------- */

int mob_http_url_parse(const char *url, mob_http_url *out)
{
    if (url == NULL)
        return -EINVAL;
    int tls = strlen(url) >= 8 && lower_eq(url, 8, "https://");
    if (!tls && (strlen(url) < 7 || !lower_eq(url, 7, "http://")))
        return -EINVAL;
    const char *a = url + 7 + tls;
    size_t alen = strcspn(a, "/?#");
    if (alen == 0 || alen >= sizeof out->authority)
        return -EINVAL;
    const char *host = a, *hend, *port = NULL;
    if (a[0] == '[') {
        const char *rb = memchr(a, ']', alen);
        if (rb == NULL)
            return -EINVAL;
        host = a + 1;
        hend = rb;
        if (rb + 1 < a + alen) {
            if (rb[1] != ':')
                return -EINVAL;
            port = rb + 2;
        }
        for (const char *q = host; q < hend; q++)
            if (!HTTP_IS(C_HEX, *q) && *q != ':' && *q != '.' && *q != '%')
                return -EINVAL;
    } else {
        hend = memchr(a, ':', alen);
        if (hend == NULL)
            hend = a + alen;
        else
            port = hend + 1;
        for (const char *q = host; q < hend; q++) {
            unsigned char c = (unsigned char)*q;
            int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) ||
                     c == '-' || c == '.' || c == '_';
            if (!ok)
                return -EINVAL; /* '@' (user info) lands here too */
        }
    }
    size_t hlen = (size_t)(hend - host);
    if (hlen == 0 || hlen >= sizeof out->host)
        return -EINVAL;
    out->port = tls ? 443 : 80;
    out->tls = tls;
    if (port != NULL) {
        const char *pend = a + alen;
        if (port == pend || pend - port > 5)
            return -EINVAL;
        int v = 0;
        for (const char *q = port; q < pend; q++) {
            if (!is_digit(*q))
                return -EINVAL;
            v = v * 10 + (*q - '0');
        }
        if (v < 1 || v > 65535)
            return -EINVAL;
        out->port = v;
    }
    const char *path = a + alen;
    size_t plen = strcspn(path, "#");
    if (plen > 0 && path[0] != '/')
        return -EINVAL; /* "http://host?q": a query with no path */
    if (plen >= sizeof out->path)
        return -EINVAL;
    for (size_t i = 0; i < plen; i++)
        if (!HTTP_IS(C_TARGET, path[i]))
            return -EINVAL;
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    memcpy(out->authority, a, alen);
    out->authority[alen] = '\0';
    if (plen == 0) {
        out->path[0] = '/';
        out->path[1] = '\0';
    } else {
        memcpy(out->path, path, plen);
        out->path[plen] = '\0';
    }
    return 0;
}

/* ---- building requests ------------------------------------------------------------------- */

/* An appender that remembers it ran out of room instead of checking at every call site. */
struct out {
    char *p, *end;
    int full;
};

static void put(struct out *o, const void *s, size_t n)
{
    if (o->full || (size_t)(o->end - o->p) < n) {
        o->full = 1;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(o, tmp + i, sizeof tmp - i);
}

static int all_of(const char *s, size_t n, int cls)
{
    for (size_t i = 0; i < n; i++)
        if (!HTTP_IS(cls, s[i]))
            return 0;
    return 1;
}

int mob_http_request_build(mob_http_request *req, char *buf, size_t cap, const char *method,
                           const char *target, const char *authority,
                           const mob_http_header *headers, size_t nheaders, const void *body,
                           size_t body_len)
{
    if (method == NULL || target == NULL || authority == NULL || (body == NULL && body_len) ||
        (headers == NULL && nheaders))
        return -EINVAL;
    size_t mlen = strlen(method), tlen = strlen(target), alen = strlen(authority);
    if (mlen == 0 || !all_of(method, mlen, C_TCHAR) || tlen == 0 ||
        !all_of(target, tlen, C_TARGET) || !all_of(authority, alen, C_TARGET))
        return -EINVAL;
    int has_host = 0;
    for (size_t i = 0; i < nheaders; i++) {
        const mob_http_header *h = &headers[i];
        if (h->name_len == 0 || !all_of(h->name, h->name_len, C_TCHAR) ||
            !all_of(h->value, h->value_len, C_VALUE))
            return -EINVAL;
        if (lower_eq(h->name, h->name_len, "content-length") ||
            lower_eq(h->name, h->name_len, "transfer-encoding"))
            return -EINVAL;
        if (lower_eq(h->name, h->name_len, "host"))
            has_host = 1;
    }
    /* Methods are case-sensitive (RFC 9110 9.1): "post" is not POST. */
    int needs_length = body_len > 0 || strcmp(method, "POST") == 0 ||
                       strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;

    struct out o = {buf, buf + cap, 0};
    put(&o, method, mlen);
    put(&o, " ", 1);
    put(&o, target, tlen);
    puts_(&o, " HTTP/1.1\r\n");
    if (!has_host) {
        puts_(&o, "Host: ");
        put(&o, authority, alen);
        puts_(&o, "\r\n");
    }
    for (size_t i = 0; i < nheaders; i++) {
        put(&o, headers[i].name, headers[i].name_len);
        puts_(&o, ": ");
        put(&o, headers[i].value, headers[i].value_len);
        puts_(&o, "\r\n");
    }
    if (needs_length) {
        puts_(&o, "Content-Length: ");
        put_u64(&o, body_len);
        puts_(&o, "\r\n");
    }
    puts_(&o, "\r\n");
    if (body_len)
        put(&o, body, body_len);
    if (o.full)
        return -ENOSPC;
    size_t n = (size_t)(o.p - buf);
    if (n > (size_t)INT32_MAX)
        return -ENOSPC;
    /* RFC 9110 9.2.2: these methods are idempotent, so resending one is harmless. */
    static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
    req->retry_safe = 0;
    for (size_t i = 0; i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (strcmp(method, idempotent[i]) == 0)
            req->retry_safe = 1;
    req->head = strcmp(method, "HEAD") == 0;
    req->data = buf;
    req->len = n;
    return (int)n;
}

int mob_http_request_get(mob_http_request *req, char *buf, size_t cap, const mob_http_url *url)
{
    return mob_http_request_build(req, buf, cap, "GET", url->path, url->authority, NULL, 0,
                                  NULL, 0);
}
