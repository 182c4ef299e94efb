/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c: libFuzzer entry point for the HTTP/1.x parsers (src/proto/http_parse.c, http_chunked.c). Built only
 * by `make fuzz CC=clang`, with the seed corpus in tests/corpus/http/.
 *
 * Each input goes through the response parser, the request parser and the chunked decoder,
 * whole and split in two at a point taken from the input itself, and the results must agree
 * and stay inside the buffer; and through the URL parser, whose GET request must parse.
 * libFuzzer hands us a buffer of exactly `size` bytes, so AddressSanitizer catches any read
 * past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mob_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond))                                                                           \
            __builtin_trap();                                                                  \
    } while (0)

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && p + n <= buf + len;
}

static void check_fields(const mob_http_fields *f, const char *buf, size_t len)
{
    CHECK(f->num_headers <= f->max_headers);
    for (size_t i = 0; i < f->num_headers; i++) {
        const mob_http_header *h = &f->headers[i];
        CHECK(h->name_len > 0 && inside(h->name, h->name_len, buf, len));
        CHECK(inside(h->value, h->value_len, buf, len));
        CHECK(memchr(h->value, '\r', h->value_len) == NULL);
        CHECK(memchr(h->value, '\0', h->value_len) == NULL);
    }
    CHECK(f->body >= MOB_HTTP_BODY_NONE && f->body <= MOB_HTTP_BODY_CLOSE);
    CHECK(f->body != MOB_HTTP_BODY_LENGTH || f->content_length >= 0);
}

static void fuzz_response(const char *buf, size_t len, size_t split)
{
    mob_http_header hdrs[8];
    mob_http_response r = {.f = {.headers = hdrs, .max_headers = 8, .max_head_size = 4096}};
    int rc = mob_http_parse_response(buf, len, 0, &r);
    CHECK(rc >= -2 && rc <= (int)len);
    if (rc == -1)
        CHECK(r.f.error != NULL);
    if (rc >= 0) {
        check_fields(&r.f, buf, len);
        CHECK(r.status >= 100 && r.status <= 999);
        CHECK(inside(r.reason, r.reason_len, buf, len));
        /* A head parsed in two steps gives the same length. */
        mob_http_response r2 = {.f = {.headers = hdrs, .max_headers = 8, .max_head_size = 4096}};
        int rc1 = mob_http_parse_response(buf, split, 0, &r2);
        if (rc1 == -2)
            CHECK(mob_http_parse_response(buf, len, split, &r2) == rc);
        else
            CHECK(rc1 == rc); /* a prefix holding the whole head parses the same */
    }
}

static void fuzz_request(const char *buf, size_t len, size_t split)
{
    mob_http_header hdrs[8];
    mob_http_request_head r = {.f = {.headers = hdrs, .max_headers = 8, .max_head_size = 4096}};
    int rc = mob_http_parse_request(buf, len, 0, &r);
    CHECK(rc >= -2 && rc <= (int)len);
    if (rc >= 0) {
        check_fields(&r.f, buf, len);
        CHECK(r.method_len > 0 && inside(r.method, r.method_len, buf, len));
        CHECK(r.target_len > 0 && inside(r.target, r.target_len, buf, len));
        CHECK(r.f.body != MOB_HTTP_BODY_CLOSE);
        mob_http_request_head r2 = {.f = {.headers = hdrs, .max_headers = 8,
                                          .max_head_size = 4096}};
        int rc1 = mob_http_parse_request(buf, split, 0, &r2);
        if (rc1 == -2)
            CHECK(mob_http_parse_request(buf, len, split, &r2) == rc);
        else
            CHECK(rc1 == rc);
    }
}

static void fuzz_chunked(const char *buf, size_t len, size_t split)
{
    /* Skip, in one go. */
    mob_http_chunked s;
    mob_http_chunked_init(&s);
    ssize_t whole = mob_http_chunked_skip(&s, buf, len);
    CHECK(whole >= -2 && whole <= (ssize_t)len);
    CHECK(s.total <= len);

    /* Decode in place, in two parts, on a copy. */
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, buf, len);
    mob_http_chunked d;
    mob_http_chunked_init(&d);
    size_t n1 = split;
    ssize_t rc = mob_http_chunked_decode(&d, copy, &n1);
    size_t data = n1;
    ssize_t consumed;
    if (rc == -2) {
        size_t n2 = len - split;
        char *second = copy + split;
        rc = mob_http_chunked_decode(&d, second, &n2);
        data += n2;
        consumed = rc >= 0 ? (ssize_t)(len - (size_t)rc) : rc;
        CHECK(rc < 0 || n2 + (size_t)rc <= len - split);
    } else {
        consumed = rc >= 0 ? (ssize_t)(split - (size_t)rc) : rc;
        CHECK(rc < 0 || n1 + (size_t)rc <= split);
    }
    /* Split or not, in place or skipping: the same verdict, the same data count. */
    CHECK(consumed == whole);
    if (whole != -1)
        CHECK(d.total == s.total && data == d.total);
    free(copy);
}

/* Round trip: a URL that parses gives a GET request that the request parser accepts, with
 * the URL's path as its target. */
static void fuzz_url(const char *buf, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL)
        return;
    memcpy(s, buf, len);
    s[len] = '\0';
    static mob_http_url u;
    if (mob_http_url_parse(s, &u) == 0) {
        CHECK(u.port >= 1 && u.port <= 65535 && u.host[0] != '\0' && u.path[0] == '/');
        static char req[MOB_HTTP_PATH_MAX + 512];
        mob_http_request r;
        int n = mob_http_request_get(&r, req, sizeof req, &u);
        CHECK(n > 0);
        mob_http_header hdrs[4];
        mob_http_request_head h = {.f = {.headers = hdrs, .max_headers = 4,
                                         .max_head_size = sizeof req}};
        CHECK(mob_http_parse_request(req, (size_t)n, 0, &h) == n);
        CHECK(h.target_len == strlen(u.path) && memcmp(h.target, u.path, h.target_len) == 0);
        CHECK(h.f.num_headers == 1 && h.f.body == MOB_HTTP_BODY_NONE);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Inputs are used as they are, in a buffer of exactly their size. The split point
     * comes from a hash of the input, so it varies without stealing bytes from it. */
    const char *buf = (const char *)data;
    size_t h = 0;
    for (size_t i = 0; i < size && i < 16; i++)
        h = h * 31 + data[i];
    size_t split = size ? h % (size + 1) : 0;
    fuzz_response(buf, size, split);
    fuzz_request(buf, size, split);
    fuzz_chunked(buf, size, split);
    fuzz_url(buf, size);
    return 0;
}
