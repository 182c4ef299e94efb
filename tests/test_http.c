/* SPDX-License-Identifier: MIT */
/*
 * test_http.c: the HTTP/1.x head parser (src/proto/http_parse.c), table-driven in
 * picohttpparser's manner: PARSE(input, last_len, expected_rc, "comment"). Every input is
 * parsed where it ends flush against a PROT_NONE page (guard_page.h), so a single byte read
 * past the end faults the test. Then the fields a parse fills, every split point of a
 * response fed byte by byte, URLs and the request builder (http_request.c). The chunked
 * decoder is in test_http_chunked.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "guard_page.h"
#include "mob_http.h"

/* ---- the tables -------------------------------------------------------------------------- */

#define WHOLE (-100) /* expected rc: the whole input is the head */

struct parse_case {
    const char *in;
    size_t len; /* sizeof the literal: inputs may hold NUL bytes */
    size_t last_len;
    int rc;
    const char *comment;
};

#define PARSE(in, last_len, rc, comment) {in, sizeof(in) - 1, last_len, rc, comment}

static const struct parse_case response_cases[] = {
    PARSE("HTTP/1.1 200 OK\r\n\r\n", 0, WHOLE, "simplest"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 38, "body follows the head"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 37, 38, "last_len at the end"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 10, WHOLE, "last_len mid-way"),
    PARSE("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n", 0, WHOLE, "HTTP/1.0"),
    PARSE("HTTP/1.1 200\r\n\r\n", 0, WHOLE, "no reason phrase, no space"),
    PARSE("HTTP/1.1 200 \r\n\r\n", 0, WHOLE, "empty reason phrase"),
    PARSE("HTTP/1.1 599 Weird \xe9t\xe9\r\n\r\n", 0, WHOLE, "obs-text in reason"),
    PARSE("HTTP/1.1 200 OK\r\nX: \xff\xfe\r\n\r\n", 0, WHOLE, "obs-text in a value"),
    PARSE("HTTP/1.1 200 OK\r\nX:\r\n\r\n", 0, WHOLE, "empty value"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\tb \t\r\n\r\n", 0, WHOLE, "tabs inside and after"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, WHOLE,
          "identical Content-Length twice"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, WHOLE,
          "chunked last"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
          WHOLE, "codings over two fields"),
    PARSE("HTTP/1.1 999 Whatever\r\n\r\n", 0, WHOLE, "status 999"),
    /* incomplete */
    PARSE("", 0, -2, "empty"),
    PARSE("H", 0, -2, "one byte"),
    PARSE("HTTP/1.", 0, -2, "version cut"),
    PARSE("HTTP/1.1 20", 0, -2, "status cut"),
    PARSE("HTTP/1.1 200 OK\r\n", 0, -2, "no blank line"),
    PARSE("HTTP/1.1 200 OK\r\nX: y\r\n\r", 0, -2, "last LF missing"),
    PARSE("HTTP/1.1 200 OK\r\nX: y\r\n\r", 24, -2, "last LF missing, last_len"),
    PARSE("HTTP/1.1 200 OK\r\nX: y\r\n", 0, -2, "blank line missing"),
    /* hostile or malformed */
    PARSE("<html>", 0, -1, "garbage fails before the head is complete"),
    PARSE("ICY 200 OK\r\n\r\n", 0, -1, "not HTTP"),
    PARSE("http/1.1 200 OK\r\n\r\n", 0, -1, "lower-case version"),
    PARSE("HTTP/2.0 200 OK\r\n\r\n", 0, -1, "HTTP/2"),
    PARSE("HTTP/1.x 200 OK\r\n\r\n", 0, -1, "minor not a digit"),
    PARSE("HTTP/1.1  200 OK\r\n\r\n", 0, -1, "two spaces"),
    PARSE("HTTP/1.1 20 OK\r\n\r\n", 0, -1, "two-digit status"),
    PARSE("HTTP/1.1 2000 OK\r\n\r\n", 0, -1, "four-digit status"),
    PARSE("HTTP/1.1 099 OK\r\n\r\n", 0, -1, "status below 100"),
    PARSE("HTTP/1.1 -20 OK\r\n\r\n", 0, -1, "negative status"),
    PARSE("HTTP/1.1 200 O\0K\r\n\r\n", 0, -1, "NUL in reason"),
    PARSE("HTTP/1.1 200 OK\nX: y\n\n", 0, -1, "bare LF line ends"),
    PARSE("HTTP/1.1 200 OK\r\nX: y\n", 0, -1, "bare LF, head incomplete"),
    PARSE("HTTP/1.1 200 OK\rX: y\r\n\r\n", 0, -1, "bare CR in status line"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", 0, -1, "bare CR in a value"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 0, -1, "obs-fold"),
    PARSE("HTTP/1.1 200 OK\r\n X: a\r\n\r\n", 0, -1, "whitespace before the first field"),
    PARSE("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", 0, -1, "space before colon"),
    PARSE("HTTP/1.1 200 OK\r\n: a\r\n\r\n", 0, -1, "empty field name"),
    PARSE("HTTP/1.1 200 OK\r\nX(y): a\r\n\r\n", 0, -1, "separator in name"),
    PARSE("HTTP/1.1 200 OK\r\nX\0Y: a\r\n\r\n", 0, -1, "NUL in name"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 0, -1, "NUL in value"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", 0, -1, "DEL in value"),
    PARSE("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", 0, -1, "control byte in value"),
    PARSE("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, -1, "no colon"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, -1,
          "conflicting Content-Length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", 0, -1, "Content-Length list"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, -1, "negative length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n", 0, -1, "signed length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", 0, -1, "empty length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", 0, -1, "hex length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n", 0, -1,
          "length 2^63 overflows"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0, -1,
          "huge length"),
    PARSE("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0, -1,
          "Content-Length with Transfer-Encoding"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0, -1,
          "Transfer-Encoding then Content-Length"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0, -1,
          "chunked not last"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 0, -1,
          "chunked twice"),
    PARSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 0, -1,
          "quoted coding"),
    PARSE("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n"
          "I: 9\r\nJ: 10\r\nK: 11\r\nL: 12\r\nM: 13\r\nN: 14\r\nO: 15\r\nP: 16\r\nQ: 17\r\n\r\n",
          0, -1, "17 fields for an array of 16"),
};

static const struct parse_case request_cases[] = {
    PARSE("GET / HTTP/1.1\r\n\r\n", 0, WHOLE, "simplest"),
    PARSE("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n", 0, WHOLE, "query"),
    PARSE("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0, WHOLE, "empty lines first"),
    PARSE("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 4, WHOLE, "empty lines first, last_len"),
    PARSE("OPTIONS * HTTP/1.0\r\n\r\n", 0, WHOLE, "asterisk form"),
    PARSE("get / HTTP/1.1\r\n\r\n", 0, WHOLE, "methods are tokens, any case"),
    PARSE("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0, 39, "body follows"),
    PARSE("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, WHOLE, "chunked"),
    /* incomplete */
    PARSE("", 0, -2, "empty"),
    PARSE("\r", 0, -2, "CR of an empty line"),
    PARSE("\r\n", 0, -2, "one empty line"),
    PARSE("GET", 0, -2, "method cut"),
    PARSE("GET / HTTP/1.1\r\nHost: x\r\n", 0, -2, "blank line missing"),
    /* hostile or malformed */
    PARSE("GET / HTTP/1.1\n\n", 0, -1, "bare LF"),
    PARSE("\r\r", 0, -1, "bare CR before the request"),
    PARSE("G(T / HTTP/1.1\r\n", 0, -1, "separator in method, incomplete"),
    PARSE(" GET / HTTP/1.1\r\n\r\n", 0, -1, "space before method"),
    PARSE("GET  / HTTP/1.1\r\n\r\n", 0, -1, "two spaces"),
    PARSE("GET /a b HTTP/1.1\r\n\r\n", 0, -1, "space in target"),
    PARSE("GET /\x01 HTTP/1.1\r\n\r\n", 0, -1, "control byte in target"),
    PARSE("GET /\xe9 HTTP/1.1\r\n\r\n", 0, -1, "raw non-ASCII in target"),
    PARSE("GET / HTTP/1.1 \r\n\r\n", 0, -1, "space after version"),
    PARSE("GET / HTTP/2.0\r\n\r\n", 0, -1, "HTTP/2"),
    PARSE("GET / HTTP/1\r\n\r\n", 0, -1, "version cut"),
    PARSE("GET /\r\n\r\n", 0, -1, "HTTP/0.9"),
    PARSE("GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", 0, -1, "obs-fold"),
    PARSE("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 0, -1,
          "request body with no length"),
    PARSE("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, -1,
          "smuggling: both framings"),
    PARSE("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, -1,
          "smuggling: two lengths"),
    PARSE("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n", 0, -1,
          "chunked then another coding"),
};

static int expected_rc(const struct parse_case *c, size_t len)
{
    return c->rc == WHOLE ? (int)len : c->rc;
}

TestSuite(http, .init = guard_setup, .fini = guard_teardown);

Test(http, response_table_flush_against_a_guard_page)
{
    for (size_t i = 0; i < sizeof response_cases / sizeof response_cases[0]; i++) {
        const struct parse_case *c = &response_cases[i];
        size_t len = c->len;
        mob_http_header hdrs[16];
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 16}};
        int rc = mob_http_parse_response(flush(c->in, len), len, c->last_len, &r);
        cr_expect_eq(rc, expected_rc(c, len), "response case %zu (%s): rc %d, want %d (%s)", i,
                     c->comment, rc, expected_rc(c, len), r.f.error ? r.f.error : "");
        if (rc == -1)
            cr_expect_not_null(r.f.error, "case %zu (%s): no error text", i, c->comment);
    }
}

Test(http, request_table_flush_against_a_guard_page)
{
    for (size_t i = 0; i < sizeof request_cases / sizeof request_cases[0]; i++) {
        const struct parse_case *c = &request_cases[i];
        size_t len = c->len;
        mob_http_header hdrs[16];
        mob_http_request_head r = {.f = {.headers = hdrs, .max_headers = 16}};
        int rc = mob_http_parse_request(flush(c->in, len), len, c->last_len, &r);
        cr_expect_eq(rc, expected_rc(c, len), "request case %zu (%s): rc %d, want %d (%s)", i,
                     c->comment, rc, expected_rc(c, len), r.f.error ? r.f.error : "");
    }
}

/* ---- what a parse fills ------------------------------------------------------------------ */

static int hdr_is(const mob_http_header *h, const char *name, const char *value)
{
    return h->name_len == strlen(name) && memcmp(h->name, name, h->name_len) == 0 &&
           h->value_len == strlen(value) && memcmp(h->value, value, h->value_len) == 0;
}

Test(http, response_fields_point_into_the_buffer)
{
    static const char in[] = "HTTP/1.1 404 Not Found\r\nServer:  mob \r\nX-Empty:\r\n"
                             "content-length: 12\r\n\r\n";
    size_t len = sizeof in - 1;
    char *buf = flush(in, len);
    mob_http_header hdrs[8];
    mob_http_response r = {.f = {.headers = hdrs, .max_headers = 8}};
    cr_assert_eq(mob_http_parse_response(buf, len, 0, &r), (int)len);
    cr_expect_eq(r.status, 404);
    cr_expect_eq(r.f.minor_version, 1);
    cr_expect_eq(r.reason_len, 9);
    cr_expect_eq(r.reason, buf + 13, "zero-copy: the reason points into the buffer");
    cr_expect_eq(r.f.num_headers, 3);
    cr_expect(hdr_is(&hdrs[0], "Server", "mob"), "whitespace around the value is trimmed");
    cr_expect(hdr_is(&hdrs[1], "X-Empty", ""));
    cr_expect(hdr_is(&hdrs[2], "content-length", "12"));
    cr_expect_eq(hdrs[0].name, buf + 24);
    cr_expect_eq(r.f.body, MOB_HTTP_BODY_LENGTH);
    cr_expect_eq(r.f.content_length, 12);
    cr_expect_eq(r.f.keep_alive, 1);
    cr_expect_eq(mob_http_find_header(&r.f, "SERVER"), &hdrs[0]);
    cr_expect_null(mob_http_find_header(&r.f, "Serve"));
}

struct framing_case {
    const char *in;
    int body;
    int64_t content_length;
    int keep_alive;
};

Test(http, response_framing_follows_rfc_9112)
{
    static const struct framing_case cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", MOB_HTTP_BODY_LENGTH, 0, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", MOB_HTTP_BODY_CHUNKED, -1, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", MOB_HTTP_BODY_CLOSE, -1, 0},
        {"HTTP/1.1 200 OK\r\n\r\n", MOB_HTTP_BODY_CLOSE, -1, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
         MOB_HTTP_BODY_LENGTH, 3, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: foo, CLOSE\r\n\r\n",
         MOB_HTTP_BODY_LENGTH, 3, 0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", MOB_HTTP_BODY_LENGTH, 3, 0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: Keep-Alive\r\n\r\n",
         MOB_HTTP_BODY_LENGTH, 3, 1},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", MOB_HTTP_BODY_NONE, 9, 1},
        {"HTTP/1.1 304 Not Modified\r\n\r\n", MOB_HTTP_BODY_NONE, -1, 1},
        {"HTTP/1.1 100 Continue\r\n\r\n", MOB_HTTP_BODY_NONE, -1, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", MOB_HTTP_BODY_LENGTH,
         INT64_MAX, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].in);
        mob_http_header hdrs[4];
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 4}};
        cr_expect_eq(mob_http_parse_response(flush(cases[i].in, len), len, 0, &r), (int)len,
                     "case %zu: %s", i, r.f.error ? r.f.error : "");
        cr_expect_eq(r.f.body, cases[i].body, "case %zu body", i);
        cr_expect_eq(r.f.content_length, cases[i].content_length, "case %zu length", i);
        cr_expect_eq(r.f.keep_alive, cases[i].keep_alive, "case %zu keep-alive", i);
    }
}

Test(http, request_fields_and_framing)
{
    static const char in[] = "\r\nPOST /api/x?y=1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 4\r\n"
                             "Connection: close\r\n\r\nbody";
    size_t len = sizeof in - 1;
    char *buf = flush(in, len);
    mob_http_header hdrs[8];
    mob_http_request_head r = {.f = {.headers = hdrs, .max_headers = 8}};
    int rc = mob_http_parse_request(buf, len, 0, &r);
    cr_assert_eq(rc, (int)len - 4);
    cr_expect_eq(r.method, buf + 2);
    cr_expect_eq(r.method_len, 4);
    cr_expect_eq(r.target_len, strlen("/api/x?y=1"));
    cr_expect_eq(memcmp(r.target, "/api/x?y=1", r.target_len), 0);
    cr_expect_eq(r.f.body, MOB_HTTP_BODY_LENGTH);
    cr_expect_eq(r.f.content_length, 4);
    cr_expect_eq(r.f.keep_alive, 0);
    cr_expect(hdr_is(&hdrs[0], "Host", "a:1"));

    static const char get[] = "GET / HTTP/1.1\r\n\r\n";
    mob_http_request_head g = {.f = {.headers = hdrs, .max_headers = 8}};
    cr_assert_eq(mob_http_parse_request(flush(get, sizeof get - 1), sizeof get - 1, 0, &g),
                 (int)sizeof get - 1);
    cr_expect_eq(g.f.body, MOB_HTTP_BODY_NONE);
    cr_expect_eq(g.f.keep_alive, 1);
}

Test(http, limits_on_lines_heads_and_header_count)
{
    static char in[40000];
    /* A 9000-byte value: over MOB_HTTP_MAX_LINE, within the head limit. */
    int n = snprintf(in, sizeof in, "HTTP/1.1 200 OK\r\nX: ");
    memset(in + n, 'a', 9000);
    memcpy(in + n + 9000, "\r\n\r\n", 4);
    size_t len = (size_t)n + 9004;
    mob_http_header hdrs[4];
    mob_http_response r = {.f = {.headers = hdrs, .max_headers = 4}};
    cr_expect_eq(mob_http_parse_response(flush(in, len), len, 0, &r), -1);
    cr_expect_str_eq(r.f.error, "header line too long");

    /* Incomplete but already over the head limit: an error, not "need more". */
    memset(in + n, 'a', sizeof in - (size_t)n);
    r.f.max_head_size = 0;
    cr_expect_eq(mob_http_parse_response(flush(in, sizeof in), sizeof in, 0, &r), -1);
    cr_expect_str_eq(r.f.error, "head too large");
    /* A caller limit smaller than the default applies to complete heads too. */
    static const char small[] = "HTTP/1.1 200 OK\r\nServer: something\r\n\r\n";
    r.f.max_head_size = 20;
    cr_expect_eq(mob_http_parse_response(flush(small, sizeof small - 1), sizeof small - 1, 0, &r),
                 -1);
    r.f.max_head_size = sizeof small - 1;
    cr_expect_eq(mob_http_parse_response(flush(small, sizeof small - 1), sizeof small - 1, 0, &r),
                 (int)sizeof small - 1);
    /* max_headers 0 with a NULL array: only a head without fields parses. */
    mob_http_response z = {.f = {.headers = NULL, .max_headers = 0}};
    cr_expect_eq(mob_http_parse_response(flush(small, sizeof small - 1), sizeof small - 1, 0, &z),
                 -1);
    cr_expect_str_eq(z.f.error, "too many header fields");
    static const char bare[] = "HTTP/1.1 204 No Content\r\n\r\n";
    cr_expect_eq(mob_http_parse_response(flush(bare, sizeof bare - 1), sizeof bare - 1, 0, &z),
                 (int)sizeof bare - 1);
}

Test(http, a_bad_byte_anywhere_in_a_long_value_is_found)
{
    /* Values are scanned eight bytes at a time: put the byte at every offset of the words. */
    static const unsigned char bad[] = {0x00, 0x01, 0x08, 0x0a, 0x0b, 0x1f, 0x7f};
    static const unsigned char good[] = {0x09, 0x20, 0x7e, 0x80, 0xfe, 0xff};
    char in[128];
    const char *pre = "HTTP/1.1 200 OK\r\nX-Long: ";
    size_t pl = strlen(pre);
    for (size_t k = 0; k < 40; k++) {
        for (size_t b = 0; b < sizeof bad + sizeof good; b++) {
            int is_bad = b < sizeof bad;
            unsigned char c = is_bad ? bad[b] : good[b - sizeof bad];
            memcpy(in, pre, pl);
            memset(in + pl, 'v', 40);
            in[pl + k] = (char)c;
            memcpy(in + pl + 40, "z\r\n\r\n", 5);
            size_t len = pl + 45;
            mob_http_header hdrs[4];
            mob_http_response r = {.f = {.headers = hdrs, .max_headers = 4}};
            int rc = mob_http_parse_response(flush(in, len), len, 0, &r);
            cr_assert_eq(rc, is_bad ? -1 : (int)len, "byte 0x%02x at %zu: rc %d", c, k, rc);
            int lead_ws = k == 0 && (c == ' ' || c == '\t'); /* trimmed */
            if (!is_bad)
                cr_assert_eq(hdrs[0].value_len, 41u - (size_t)lead_ws);
        }
    }
}

Test(http, limits_are_exact_at_their_boundaries)
{
    /* A field line of exactly MOB_HTTP_MAX_LINE bytes passes; one more byte fails. */
    static char in[MOB_HTTP_MAX_LINE + 64];
    for (size_t extra = 0; extra < 2; extra++) {
        int n = snprintf(in, sizeof in, "HTTP/1.1 200 OK\r\nX: ");
        size_t line = MOB_HTTP_MAX_LINE + extra; /* "X: " plus the value */
        memset(in + n, 'v', line - 3);
        memcpy(in + n + line - 3, "\r\n\r\n", 4);
        size_t len = (size_t)n + line - 3 + 4;
        mob_http_header hdrs[2];
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 2}};
        cr_expect_eq(mob_http_parse_response(flush(in, len), len, 0, &r), extra ? -1 : (int)len,
                     "line of %zu bytes", line);
    }
    /* As many fields as the array holds passes; one more fails. */
    for (size_t nf = 15; nf <= 17; nf++) {
        char head[512];
        size_t len = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n");
        for (size_t i = 0; i < nf; i++)
            len += (size_t)snprintf(head + len, sizeof head - len, "F%zu: v\r\n", i);
        len += (size_t)snprintf(head + len, sizeof head - len, "\r\n");
        mob_http_header hdrs[16];
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 16}};
        int rc = mob_http_parse_response(flush(head, len), len, 0, &r);
        cr_expect_eq(rc, nf <= 16 ? (int)len : -1, "%zu fields", nf);
        if (rc > 0)
            cr_expect_eq(r.f.num_headers, nf);
    }
    /* A head of exactly max_head_size passes, complete or not yet complete. */
    static const char small[] = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    size_t len = sizeof small - 1;
    mob_http_header hdrs[2];
    mob_http_response r = {.f = {.headers = hdrs, .max_headers = 2, .max_head_size = len}};
    cr_expect_eq(mob_http_parse_response(flush(small, len), len, 0, &r), (int)len);
    r.f.max_head_size = len - 1;
    cr_expect_eq(mob_http_parse_response(flush(small, len), len, 0, &r), -1);
    r.f.max_head_size = len - 1;
    cr_expect_eq(mob_http_parse_response(flush(small, len - 1), len - 1, 0, &r), -2,
                 "incomplete and not over the limit yet");
}

Test(http, every_split_point_of_a_response_head)
{
    static const char in[] = "HTTP/1.1 200 OK\r\nDate: Sun, 22 Nov 2026 02:00:00 GMT\r\n"
                             "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    size_t len = sizeof in - 1;
    mob_http_header hdrs[8];
    /* Fed one byte at a time with last_len, each prefix flush against the guard page. */
    size_t last = 0;
    for (size_t k = 0; k <= len; k++) {
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 8}};
        int rc = mob_http_parse_response(flush(in, k), k, last, &r);
        cr_assert_eq(rc, k == len ? (int)len : -2, "prefix %zu: rc %d (%s)", k, rc,
                     r.f.error ? r.f.error : "");
        last = k;
    }
    /* And every prefix alone, from scratch (last_len 0). */
    for (size_t k = 0; k < len; k++) {
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 8}};
        cr_assert_eq(mob_http_parse_response(flush(in, k), k, 0, &r), -2, "prefix %zu", k);
    }
    /* Jumps: two parts split at every point. */
    for (size_t k = 0; k < len; k++) {
        mob_http_response r = {.f = {.headers = hdrs, .max_headers = 8}};
        cr_assert_eq(mob_http_parse_response(flush(in, len), len, k, &r), (int)len, "split %zu",
                     k);
        cr_expect_eq(r.f.body, MOB_HTTP_BODY_CHUNKED);
        cr_expect_eq(r.f.num_headers, 3);
    }
}

Test(http, every_split_point_of_a_request_head)
{
    static const char in[] = "\r\nPUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n";
    size_t len = sizeof in - 1;
    mob_http_header hdrs[8];
    size_t last = 0;
    for (size_t k = 0; k <= len; k++) {
        mob_http_request_head r = {.f = {.headers = hdrs, .max_headers = 8}};
        int rc = mob_http_parse_request(flush(in, k), k, last, &r);
        cr_assert_eq(rc, k == len ? (int)len : -2, "prefix %zu: rc %d", k, rc);
        last = k;
    }
}

/* ---- URLs and requests ------------------------------------------------------------------- */

Test(http, url_parse_accepts_http_urls)
{
    mob_http_url u;
    cr_assert_eq(mob_http_url_parse("http://127.0.0.1:8080/a/b?c=d#frag", &u), 0);
    cr_expect_str_eq(u.host, "127.0.0.1");
    cr_expect_eq(u.port, 8080);
    cr_expect_str_eq(u.authority, "127.0.0.1:8080");
    cr_expect_str_eq(u.path, "/a/b?c=d");
    cr_assert_eq(mob_http_url_parse("HTTP://localhost", &u), 0);
    cr_expect_str_eq(u.host, "localhost");
    cr_expect_eq(u.port, 80);
    cr_expect_str_eq(u.path, "/");
    cr_assert_eq(mob_http_url_parse("http://[::1]:81/", &u), 0);
    cr_expect_str_eq(u.host, "::1");
    cr_expect_str_eq(u.authority, "[::1]:81");
    cr_expect_eq(u.port, 81);
    cr_assert_eq(mob_http_url_parse("http://[::1]", &u), 0);
    cr_expect_eq(u.port, 80);
}

Test(http, url_parse_rejects_everything_else)
{
    static const char *const bad[] = {
        "ftp://127.0.0.1/", "ws://h/", "127.0.0.1:80", "http://", "http:///x",
        "http://user@h/", "http://h:0/", "http://h:65536/", "http://h:/", "http://h:8x/",
        "http://h:123456/", "http://h/a b", "http://h/\x01", "http://h?q=1", "http://[::1/",
        "http://[::1]x/", "http://h h/", "", "http:/h/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mob_http_url u;
        cr_expect_eq(mob_http_url_parse(bad[i], &u), -EINVAL, "accepted \"%s\"", bad[i]);
    }
}

Test(http, request_build_writes_a_request_the_parser_accepts)
{
    char buf[256];
    mob_http_request req;
    mob_http_header h[] = {{"Accept", 6, "*/*", 3}, {"X-Id", 4, "7", 1}};
    int n = mob_http_request_build(&req, buf, sizeof buf, "POST", "/submit", "h:8080", h, 2,
                                   "{}", 2);
    static const char want[] = "POST /submit HTTP/1.1\r\nHost: h:8080\r\nAccept: */*\r\n"
                               "X-Id: 7\r\nContent-Length: 2\r\n\r\n{}";
    cr_assert_eq(n, (int)sizeof want - 1);
    cr_assert_eq(memcmp(buf, want, (size_t)n), 0, "got %.*s", n, buf);
    cr_expect_eq(req.data, buf);
    cr_expect_eq(req.len, (size_t)n);
    cr_expect_eq(req.retry_safe, 0, "POST is not idempotent");
    cr_expect_eq(req.head, 0);

    mob_http_header hdrs[8];
    mob_http_request_head r = {.f = {.headers = hdrs, .max_headers = 8}};
    cr_expect_eq(mob_http_parse_request(buf, (size_t)n, 0, &r), n - 2);
    cr_expect_eq(r.f.content_length, 2);

    mob_http_url u;
    cr_assert_eq(mob_http_url_parse("http://127.0.0.1:9/x", &u), 0);
    n = mob_http_request_get(&req, buf, sizeof buf, &u);
    static const char get[] = "GET /x HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n";
    cr_assert_eq(n, (int)sizeof get - 1);
    cr_expect_eq(memcmp(buf, get, (size_t)n), 0);
    cr_expect_eq(req.retry_safe, 1);

    n = mob_http_request_build(&req, buf, sizeof buf, "HEAD", "/", "h", NULL, 0, NULL, 0);
    cr_expect_eq(req.head, 1);
    cr_expect_eq(req.retry_safe, 1);
    n = mob_http_request_build(&req, buf, sizeof buf, "PUT", "/", "h", NULL, 0, NULL, 0);
    cr_expect(strstr(buf, "Content-Length: 0\r\n") != NULL, "PUT without a body says so");
    mob_http_header host[] = {{"host", 4, "other", 5}};
    n = mob_http_request_build(&req, buf, sizeof buf, "GET", "/", "h", host, 1, NULL, 0);
    cr_expect_eq(n, (int)strlen("GET / HTTP/1.1\r\nhost: other\r\n\r\n"), "caller's Host wins");
}

Test(http, request_build_rejects_bad_input_and_small_buffers)
{
    char buf[64];
    mob_http_request req;
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "G T", "/", "h", NULL, 0, NULL, 0),
                 -EINVAL);
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "", "/", "h", NULL, 0, NULL, 0),
                 -EINVAL);
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "GET", "/a b", "h", NULL, 0, NULL,
                                        0), -EINVAL);
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "GET", "", "h", NULL, 0, NULL, 0),
                 -EINVAL);
    mob_http_header crlf[] = {{"X", 1, "a\r\nB: c", 7}};
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "GET", "/", "h", crlf, 1, NULL, 0),
                 -EINVAL, "header injection");
    mob_http_header cl[] = {{"Content-Length", 14, "1", 1}};
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "GET", "/", "h", cl, 1, NULL, 0),
                 -EINVAL, "the builder owns framing");
    mob_http_header name[] = {{"X Y", 3, "1", 1}};
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "GET", "/", "h", name, 1, NULL, 0),
                 -EINVAL);
    char big[100];
    memset(big, 'a', sizeof big);
    cr_expect_eq(mob_http_request_build(&req, buf, sizeof buf, "POST", "/", "h", NULL, 0, big,
                                        sizeof big), -ENOSPC);
    cr_expect_eq(mob_http_request_build(&req, buf, 18, "GET", "/", "h", NULL, 0, NULL, 0),
                 -ENOSPC);
    cr_expect_eq(mob_http_request_build(&req, buf, 27, "GET", "/", "h", NULL, 0, NULL, 0), 27,
                 "exactly fits");
}

Test(http, status_classes)
{
    cr_expect_eq(MOB_HTTP_STATUS_CLASS(404), 4);
    cr_expect_eq(MOB_HTTP_STATUS_CLASS(204), 2);
}
