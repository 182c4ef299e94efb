/* SPDX-License-Identifier: MIT */
/*
 * http_parse.c: the HTTP/1.x head parser behind mob_http.h (request and response heads, their
 * header fields, and what those say about framing and connection reuse). Nothing here
 * allocates, copies a message, or knows about sockets; http_client.c does the I/O.
 *
 * How a head is parsed: first find its end (the first CRLF CRLF), which is cheap (memchr for
 * each LF) and lets a caller that feeds bytes as they come skip what it searched before
 * (last_len). Only a complete head is parsed, and then every scan is bounded by that end, so
 * no code path here reads past buf[len) whatever the input. While the head is incomplete,
 * the first bytes are still checked, so that garbage fails at once instead of at the size
 * limit. Lines end in CRLF only: a bare CR or LF is an error, not a line end.
 *
 * Read next: src/proto/http_chunked.c.
 */
#include <errno.h>
#include <string.h>

#include "http_bytes.h"
#include "mob_http.h"

/*
 * Skips field-value bytes (HTTP_IS(C_VALUE)) in [p, end): eight at a time while a word holds no
 * control byte and no DEL (SWAR: "has a byte less than 0x20" and "has a byte equal to 0x7f"
 * are exact for the question "is there one"), then one at a time. Values are most of a
 * head, and this makes them cost about a cycle a byte. Returns the first byte that is not a
 * value byte, or end.
 */
static const char *skip_value(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t del = w ^ (ones * 0x7f);
        if (((w - ones * 0x20) & ~w & highs) | ((del - ones) & ~del & highs))
            break;
        p += 8;
    }
    while (p < end && HTTP_IS(C_VALUE, *p))
        p++;
    return p;
}

/* ---- finding the end of a head ---------------------------------------------------------- */

/*
 * Looks for the first CRLF CRLF in base[0..len) whose final LF is at index >= from. Every LF
 * on the way must follow a CR: a bare LF is an error found here, before the head is complete.
 * Returns the index just past the CRLF CRLF, 0 when there is none yet, or -1 for a bare LF.
 * O(len - from) plus one memchr per line.
 */
static ssize_t find_head_end(const char *base, size_t len, size_t from)
{
    while (from < len) {
        const char *nl = memchr(base + from, '\n', len - from);
        if (nl == NULL)
            return 0;
        size_t i = (size_t)(nl - base);
        if (i == 0 || base[i - 1] != '\r')
            return -1;
        if (i >= 3 && base[i - 2] == '\n' && base[i - 3] == '\r')
            return (ssize_t)(i + 1);
        from = i + 1;
    }
    return 0;
}

/* ---- header fields ----------------------------------------------------------------------- */

/* What the framing fields said, gathered while the fields are read. */
struct framing {
    int64_t content_length; /* -1: none seen */
    int te;                 /* a Transfer-Encoding field was seen */
    int chunked;            /* ... and chunked was its last coding */
    int after_chunked;      /* a coding came after chunked: always an error */
    int close, keep_alive;  /* Connection tokens */
};

#define FAIL(f, msg)                                                                           \
    do {                                                                                       \
        (f)->error = (msg);                                                                    \
        return -1;                                                                             \
    } while (0)

static int parse_content_length(mob_http_fields *f, struct framing *fr, const char *v, size_t n)
{
    if (n == 0)
        FAIL(f, "empty Content-Length");
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(v[i]))
            FAIL(f, "Content-Length is not a decimal number");
        int d = v[i] - '0';
        if (x > (INT64_MAX - d) / 10)
            FAIL(f, "Content-Length overflows");
        x = x * 10 + d;
    }
    if (fr->content_length >= 0 && fr->content_length != x)
        FAIL(f, "conflicting Content-Length fields");
    fr->content_length = x;
    return 0;
}

/*
 * Calls fn on each element of a comma-separated list (RFC 9110 5.6.1), with whitespace
 * trimmed and parameters (";...") cut off; empty elements are skipped, as the RFC allows.
 */
static int each_element(mob_http_fields *f, struct framing *fr, const char *v, size_t n,
                        int (*fn)(mob_http_fields *, struct framing *, const char *, size_t))
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && HTTP_IS(C_TCHAR, v[i]))
            i++;
        size_t tok = i - start;
        while (i < n && v[i] != ',')
            i++; /* parameters and anything else up to the next element */
        if (tok == 0 && i > start)
            FAIL(f, "list element is not a token");
        if (tok > 0 && fn(f, fr, v + start, tok) < 0)
            return -1;
    }
    return 0;
}

static int on_coding(mob_http_fields *f, struct framing *fr, const char *s, size_t n)
{
    if (fr->chunked)
        fr->after_chunked = 1; /* chunked twice, or chunked then another coding */
    if (lower_eq(s, n, "chunked"))
        fr->chunked = 1;
    (void)f;
    return 0;
}

static int on_connection(mob_http_fields *f, struct framing *fr, const char *s, size_t n)
{
    if (lower_eq(s, n, "close"))
        fr->close = 1;
    else if (lower_eq(s, n, "keep-alive"))
        fr->keep_alive = 1;
    (void)f;
    return 0;
}

/* Acts on the fields that decide framing and connection reuse; others are only stored. */
static int interpret(mob_http_fields *f, struct framing *fr, const mob_http_header *h)
{
    switch (h->name_len) {
    case 10:
        if (lower_eq(h->name, 10, "connection"))
            return each_element(f, fr, h->value, h->value_len, on_connection);
        break;
    case 14:
        if (lower_eq(h->name, 14, "content-length"))
            return parse_content_length(f, fr, h->value, h->value_len);
        break;
    case 17:
        if (lower_eq(h->name, 17, "transfer-encoding")) {
            fr->te = 1;
            return each_element(f, fr, h->value, h->value_len, on_coding);
        }
        break;
    default:
        break;
    }
    return 0;
}

/*
 * Parses the header fields from p to the end of the head (`end`, just past CRLF CRLF, which
 * is known to be there). Returns 0 or -1.
 */
static int parse_fields(const char *p, const char *end, mob_http_fields *f, struct framing *fr)
{
    for (;;) {
        const char *line = p;
        if (*p == '\r') {
            /* The blank line: the head was cut at the first CRLF CRLF, so it is the last. */
            if (p[1] != '\n' || p + 2 != end)
                FAIL(f, "bare CR");
            return 0;
        }
        if (*p == ' ' || *p == '\t')
            FAIL(f, "obsolete line folding");
        /* No bound test: the head ends in CRLF CRLF and CR is not a token byte, so the scan
         * stops before `end` whatever the line holds. */
        while (HTTP_IS(C_TCHAR, *p))
            p++;
        if (p == line)
            FAIL(f, "bad header field name");
        if (*p != ':')
            FAIL(f, "bad byte in header field name");
        mob_http_header h;
        h.name = line;
        h.name_len = (size_t)(p - line);
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        h.value = p;
        p = skip_value(p, end);
        if (*p != '\r')
            FAIL(f, "control byte in header field value");
        if (p[1] != '\n')
            FAIL(f, "bare CR");
        const char *vend = p;
        while (vend > h.value && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        h.value_len = (size_t)(vend - h.value);
        if ((size_t)(p - line) > MOB_HTTP_MAX_LINE)
            FAIL(f, "header line too long");
        if (f->num_headers >= f->max_headers)
            FAIL(f, "too many header fields");
        f->headers[f->num_headers++] = h;
        if (interpret(f, fr, &h) < 0)
            return -1;
        p += 2;
    }
}

/* Parses the header fields after the start line, and refuses what no message may say about
 * its framing (both Content-Length and Transfer-Encoding). The rest is per kind. */
static int framed_fields(const char *p, const char *end, mob_http_fields *f, struct framing *fr)
{
    *fr = (struct framing){-1, 0, 0, 0, 0, 0};
    if (parse_fields(p, end, f, fr) < 0)
        return -1;
    if (fr->te && fr->content_length >= 0)
        FAIL(f, "both Content-Length and Transfer-Encoding");
    return 0;
}

/*
 * Finds the end of a head that starts at buf[skip]. Returns its length from buf[0] (> 0),
 * -2 when incomplete, -1 when over the size limit.
 */
static int head_length(mob_http_fields *f, const char *buf, size_t len, size_t skip,
                       size_t last_len)
{
    size_t max = f->max_head_size ? f->max_head_size : MOB_HTTP_MAX_HEAD_SIZE;
    if (max > (size_t)INT32_MAX)
        max = (size_t)INT32_MAX; /* the length is returned as an int */
    size_t from = last_len > skip ? last_len - skip : 0;
    ssize_t n = find_head_end(buf + skip, len - skip, from);
    if (n < 0)
        FAIL(f, "bare LF");
    if (n == 0) {
        if (len > max)
            FAIL(f, "head too large");
        return -2;
    }
    if (skip + (size_t)n > max)
        FAIL(f, "head too large");
    return (int)(skip + n);
}

static void fields_reset(mob_http_fields *f)
{
    f->num_headers = 0;
    f->minor_version = 0;
    f->body = MOB_HTTP_BODY_NONE;
    f->content_length = -1;
    f->keep_alive = 0;
    f->error = NULL;
}

/* Parses "HTTP/1.x" at p (8 bytes known to be there). Returns the minor version or -1. */
static int parse_version(const char *p)
{
    if (memcmp(p, "HTTP/1.", 7) != 0 || !is_digit(p[7]))
        return -1;
    return p[7] - '0';
}

/* ---- responses --------------------------------------------------------------------------- */

/* While a response head is incomplete: can these first bytes still start a status line? */
static int response_prefix_ok(const char *buf, size_t len)
{
    static const char want[] = "HTTP/1.";
    size_t n = len < 7 ? len : 7;
    if (memcmp(buf, want, n) != 0)
        return 0;
    if (len > 7 && !is_digit(buf[7]))
        return 0;
    if (len > 8 && buf[8] != ' ')
        return 0;
    for (size_t i = 9; i < len && i < 12; i++)
        if (!is_digit(buf[i]))
            return 0;
    return 1;
}

int mob_http_parse_response(const char *buf, size_t len, size_t last_len,
                            mob_http_response *out)
{
    mob_http_fields *f = &out->f;
    fields_reset(f);
    out->status = 0;
    out->reason = NULL;
    out->reason_len = 0;

    int n = head_length(f, buf, len, 0, last_len);
    if (n == -2 && !response_prefix_ok(buf, len))
        FAIL(f, "bad status line");
    if (n < 0)
        return n;
    const char *end = buf + n;

    /* "HTTP/1.1 200" is 12 bytes, then the line's CRLF and the blank line. */
    if (n < 16)
        FAIL(f, "bad status line");
    const char *p = buf;
    f->minor_version = parse_version(p);
    if (f->minor_version < 0 || p[8] != ' ')
        FAIL(f, "bad status line");
    if (!is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) || p[9] == '0')
        FAIL(f, "bad status code");
    out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    p += 12;
    if (*p == ' ') {
        p++;
        out->reason = p;
        p = skip_value(p, end);
        out->reason_len = (size_t)(p - out->reason);
    } else {
        out->reason = p; /* "HTTP/1.1 200\r\n": no reason phrase, no space (tolerated) */
    }
    if (*p != '\r' || p[1] != '\n')
        FAIL(f, "bad byte in status line");
    if ((size_t)(p - buf) > MOB_HTTP_MAX_LINE)
        FAIL(f, "status line too long");
    p += 2;

    struct framing fr;
    if (framed_fields(p, end, f, &fr) < 0)
        return -1;
    if (fr.after_chunked)
        FAIL(f, "chunked is not the last transfer coding");
    f->content_length = fr.content_length;
    int s = out->status;
    if (s < 200 || s == 204 || s == 304)
        f->body = MOB_HTTP_BODY_NONE;
    else if (fr.te)
        f->body = fr.chunked ? MOB_HTTP_BODY_CHUNKED : MOB_HTTP_BODY_CLOSE;
    else if (fr.content_length >= 0)
        f->body = MOB_HTTP_BODY_LENGTH;
    else
        f->body = MOB_HTTP_BODY_CLOSE;
    if (f->body == MOB_HTTP_BODY_CLOSE)
        f->keep_alive = 0;
    else if (f->minor_version >= 1)
        f->keep_alive = !fr.close;
    else
        f->keep_alive = fr.keep_alive && !fr.close;
    return n;
}

/* ---- requests ---------------------------------------------------------------------------- */

/* While a request head is incomplete: is what came so far a plausible method? */
static int request_prefix_ok(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && HTTP_IS(C_TCHAR, buf[i]))
        i++;
    return i == len || (i > 0 && buf[i] == ' ');
}

int mob_http_parse_request(const char *buf, size_t len, size_t last_len,
                           mob_http_request_head *out)
{
    mob_http_fields *f = &out->f;
    fields_reset(f);
    out->method = out->target = NULL;
    out->method_len = out->target_len = 0;

    /* Empty lines before the request line (a client's stray CRLF after a body). */
    size_t skip = 0;
    while (skip < len && buf[skip] == '\r') {
        if (skip + 1 == len)
            return -2;
        if (buf[skip + 1] != '\n')
            FAIL(f, "bare CR");
        skip += 2;
    }
    if (skip == len) {
        size_t max = f->max_head_size ? f->max_head_size : MOB_HTTP_MAX_HEAD_SIZE;
        if (len > max)
            FAIL(f, "head too large");
        return -2;
    }
    int n = head_length(f, buf, len, skip, last_len);
    if (n == -2 && !request_prefix_ok(buf + skip, len - skip))
        FAIL(f, "bad request method");
    if (n < 0)
        return n;
    const char *end = buf + n;
    const char *p = buf + skip;

    out->method = p;
    while (p < end && HTTP_IS(C_TCHAR, *p))
        p++;
    out->method_len = (size_t)(p - out->method);
    if (out->method_len == 0 || *p != ' ')
        FAIL(f, "bad request method");
    p++;
    out->target = p;
    while (p < end && HTTP_IS(C_TARGET, *p))
        p++;
    out->target_len = (size_t)(p - out->target);
    if (out->target_len == 0 || *p != ' ')
        FAIL(f, "bad request target");
    p++;
    if (end - p < 10 || (f->minor_version = parse_version(p)) < 0)
        FAIL(f, "bad HTTP version");
    p += 8;
    if (p[0] != '\r' || p[1] != '\n')
        FAIL(f, "bad byte after HTTP version");
    if ((size_t)(p - (buf + skip)) > MOB_HTTP_MAX_LINE)
        FAIL(f, "request line too long");
    p += 2;

    struct framing fr;
    if (framed_fields(p, end, f, &fr) < 0)
        return -1;
    if (fr.te && (!fr.chunked || fr.after_chunked))
        FAIL(f, "chunked is not the last transfer coding");
    f->content_length = fr.content_length;
    if (fr.te)
        f->body = MOB_HTTP_BODY_CHUNKED;
    else if (fr.content_length >= 0)
        f->body = MOB_HTTP_BODY_LENGTH;
    else
        f->body = MOB_HTTP_BODY_NONE;
    if (f->minor_version >= 1)
        f->keep_alive = !fr.close;
    else
        f->keep_alive = fr.keep_alive && !fr.close;
    return n;
}

const mob_http_header *mob_http_find_header(const mob_http_fields *f, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < f->num_headers; i++) {
        const mob_http_header *h = &f->headers[i];
        if (h->name_len != n)
            continue;
        size_t j = 0;
        for (; j < n; j++) {
            unsigned char a = (unsigned char)h->name[j], b = (unsigned char)name[j];
            if (a >= 'A' && a <= 'Z')
                a |= 0x20;
            if (b >= 'A' && b <= 'Z')
                b |= 0x20;
            if (a != b)
                break;
        }
        if (j == n)
            return h;
    }
    return NULL;
}
