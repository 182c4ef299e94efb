/* SPDX-License-Identifier: MIT */
/*
 * test_http_chunked.c: the chunked body decoder (src/proto/http_chunked.c), table-driven:
 * CHUNK(input, expected_rc, data, "comment"), every input flush against a PROT_NONE page
 * (guard_page.h); every split point decodes the same, in place and skipping; size lines and
 * trailers are bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "guard_page.h"
#include "mob_http.h"

TestSuite(http_chunked, .init = guard_setup, .fini = guard_teardown);

struct chunk_case {
    const char *in;
    size_t len;
    ssize_t rc;       /* -1, -2, or bytes after the body */
    const char *data; /* decoded data (for rc >= 0 and -2) */
    const char *comment;
};

#define CHUNK(in, rc, data, comment) {in, sizeof(in) - 1, rc, data, comment}

static const struct chunk_case chunk_cases[] = {
    CHUNK("0\r\n\r\n", 0, "", "empty body"),
    CHUNK("5\r\nhello\r\n0\r\n\r\n", 0, "hello", "one chunk"),
    CHUNK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, "hello world", "two chunks"),
    CHUNK("A\r\n0123456789\r\n0\r\n\r\n", 0, "0123456789", "upper-case hex"),
    CHUNK("a;name=value;x\r\n0123456789\r\n0\r\n\r\n", 0, "0123456789", "extensions"),
    CHUNK("3 ;x=\"y\"\r\nabc\r\n0\r\n\r\n", 0, "abc", "whitespace before extension"),
    CHUNK("0003\r\nabc\r\n0\r\n\r\n", 0, "abc", "leading zeros"),
    CHUNK("3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: \r\n\r\n", 0, "abc", "trailers"),
    CHUNK("3\r\nabc\r\n0\r\n\r\nHTTP/1.1", 8, "abc", "bytes after the body"),
    CHUNK("3\r\nabc\r\n", -2, "abc", "last chunk missing"),
    CHUNK("3\r\nab", -2, "ab", "chunk cut"),
    CHUNK("3\r\nabc\r\n0\r\n\r", -2, "abc", "final LF missing"),
    CHUNK("", -2, "", "nothing yet"),
    CHUNK("\r\n", -1, "", "no size"),
    CHUNK("x\r\n", -1, "", "size not hex"),
    CHUNK("-1\r\n", -1, "", "negative size"),
    CHUNK("+1\r\nx\r\n", -1, "", "signed size"),
    CHUNK("3\nabc\r\n", -1, "", "bare LF after size"),
    CHUNK("3\r\nabcd\r\n", -1, "abc", "chunk longer than its size"),
    CHUNK("3\r\nabc\n0\r\n\r\n", -1, "abc", "bare LF after data"),
    CHUNK("3 x\r\nabc\r\n", -1, "", "junk after size"),
    CHUNK("3;\x01\r\nabc\r\n", -1, "", "control byte in extension"),
    CHUNK("10000000000000000\r\n", -1, "", "size overflows 64 bits"),
    CHUNK("8000000000000000\r\n", -1, "", "size 2^63"),
    CHUNK("3\r\nabc\r\n0\r\n X: 1\r\n\r\n", -1, "abc", "obs-fold in trailer"),
    CHUNK("3\r\nabc\r\n0\r\nX 1\r\n\r\n", -1, "abc", "trailer without colon"),
    CHUNK("3\r\nabc\r\n0\r\nX: \0\r\n\r\n", -1, "abc", "NUL in trailer"),
};

static void check_chunk_case(const struct chunk_case *c, size_t len)
{
    char *buf = flush(c->in, len);
    mob_http_chunked d;
    mob_http_chunked_init(&d);
    size_t n = len;
    ssize_t rc = mob_http_chunked_decode(&d, buf, &n);
    cr_expect_eq(rc, c->rc, "chunk case (%s): rc %zd, want %zd", c->comment, rc, c->rc);
    if (rc != -1) {
        cr_expect_eq(n, strlen(c->data), "chunk case (%s): %zu data bytes", c->comment, n);
        cr_expect_eq(memcmp(buf, c->data, n), 0, "chunk case (%s): data", c->comment);
        cr_expect_eq(d.total, strlen(c->data));
    }
    if (rc > 0)
        cr_expect_eq(memcmp(buf + n, c->in + len - (size_t)rc, (size_t)rc), 0,
                     "chunk case (%s): what followed the body is kept", c->comment);
    /* Skipping gives the same verdict and count without touching the bytes. */
    buf = flush(c->in, len);
    mob_http_chunked s;
    mob_http_chunked_init(&s);
    ssize_t src = mob_http_chunked_skip(&s, buf, len);
    cr_expect_eq(src, c->rc >= 0 ? (ssize_t)len - c->rc : c->rc, "skip (%s)", c->comment);
    cr_expect_eq(memcmp(buf, c->in, len), 0, "skip (%s) left the bytes alone", c->comment);
    if (src != -1)
        cr_expect_eq(s.total, strlen(c->data));
}

Test(http_chunked, chunked_table_flush_against_a_guard_page)
{
    for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++) {
        const struct chunk_case *c = &chunk_cases[i];
        check_chunk_case(c, c->len);
    }
}

Test(http_chunked, chunked_split_at_every_point_decodes_the_same)
{
    static const char in[] = "5;a=b\r\nhello\r\n1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\n"
                             "T: v\r\n\r\nNEXT";
    static const char want[] = "hello 0123456789abcdef";
    size_t len = sizeof in - 1;
    for (size_t k = 0; k <= len; k++) {
        /* Two calls, in place, the way a reader reusing its buffer feeds the decoder. */
        char out[64];
        size_t got = 0;
        mob_http_chunked d;
        mob_http_chunked_init(&d);
        char *b = flush(in, k);
        size_t n = k;
        ssize_t rc = mob_http_chunked_decode(&d, b, &n);
        size_t body_end = len - 4;
        cr_assert(k < body_end ? rc == -2 : rc == (ssize_t)(k - body_end),
                  "split %zu: first rc %zd", k, rc);
        memcpy(out, b, n);
        got = n;
        if (rc == -2) {
            b = flush(in + k, len - k);
            n = len - k;
            rc = mob_http_chunked_decode(&d, b, &n);
            cr_assert_eq(rc, 4, "split %zu: second rc %zd", k, rc);
            cr_assert_eq(memcmp(b + n, "NEXT", 4), 0);
            memcpy(out + got, b, n);
            got += n;
        } else {
            cr_assert_eq(memcmp(b + n, "NEXT", (size_t)rc), 0);
        }
        cr_assert_eq(got, sizeof want - 1, "split %zu: %zu bytes", k, got);
        cr_assert_eq(memcmp(out, want, got), 0, "split %zu", k);

        /* Skipping, split the same way: same total, and it stops where the body stops. */
        mob_http_chunked s;
        mob_http_chunked_init(&s);
        ssize_t r1 = mob_http_chunked_skip(&s, flush(in, k), k);
        if (r1 == -2)
            r1 = mob_http_chunked_skip(&s, flush(in + k, len - k), len - k) + (ssize_t)k;
        cr_assert_eq(r1, (ssize_t)body_end, "skip split %zu", k);
        cr_assert_eq(s.total, sizeof want - 1);
    }
}

Test(http_chunked, chunk_size_line_and_trailers_are_bounded)
{
    static char in[20000];
    memset(in, '0', sizeof in); /* an endless run of leading zeros */
    mob_http_chunked d;
    mob_http_chunked_init(&d);
    cr_expect_eq(mob_http_chunked_skip(&d, flush(in, sizeof in), sizeof in), -1);

    /* An endless trailer. */
    size_t n = (size_t)snprintf(in, sizeof in, "0\r\nX: ");
    memset(in + n, 'a', sizeof in - n);
    mob_http_chunked_init(&d);
    cr_expect_eq(mob_http_chunked_skip(&d, flush(in, sizeof in), sizeof in), -1);

    /* The largest size accepted is 2^63 - 1: the count never overflows. */
    static const char big[] = "7fffffffffffffff\r\nabc";
    mob_http_chunked_init(&d);
    cr_expect_eq(mob_http_chunked_skip(&d, flush(big, sizeof big - 1), sizeof big - 1), -2);
    cr_expect_eq(d.remaining, (uint64_t)INT64_MAX - 3);
    cr_expect_eq(d.total, 3);
}
