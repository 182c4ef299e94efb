/* SPDX-License-Identifier: MIT */
/*
 * http.c: the HTTP/1.x parser behind mob_http.h (request and response heads, chunked bodies),
 * plus the pure helpers of the client: URL parsing, request building, error classes. Nothing
 * here allocates, copies a message, or knows about sockets; http_client.c does the I/O.
 *
 * How a head is parsed: first find its end (the first CRLF CRLF), which is cheap (memchr for
 * each LF) and lets a caller that feeds bytes as they come skip what it searched before
 * (last_len). Only a complete head is parsed, and then every scan is bounded by that end, so
 * no code path here reads past buf[len) whatever the input. While the head is incomplete,
 * the first bytes are still checked, so that garbage fails at once instead of at the size
 * limit. Lines end in CRLF only: a bare CR or LF is an error, not a line end.
 *
 * Read next: src/proto/http_client.c.
 */
#include <errno.h>
#include <string.h>

#include "mob_http.h"

/* ---- byte classes ------------------------------------------------------------------------ */

enum {
    C_TCHAR = 1, /* token byte (RFC 9110 5.6.2): methods, field names, codings */
    C_VALUE = 2, /* field-value byte: VCHAR, obs-text, SP, HTAB; no CTL, no DEL */
    C_TARGET = 4, /* request-target byte: visible ASCII */
    C_HEX = 8
};

static const unsigned char byte_class[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,  /* 0x00 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
     2,  7,  6,  7,  7,  7,  7,  7,  6,  6,  7,  7,  6,  7,  7,  6,  /* 0x20 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  6,  6,  6,  6,  6,  6,  /* 0x30 */
     6, 15, 15, 15, 15, 15, 15,  7,  7,  7,  7,  7,  7,  7,  7,  7,  /* 0x40 */
     7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  6,  6,  7,  7,  /* 0x50 */
     7, 15, 15, 15, 15, 15, 15,  7,  7,  7,  7,  7,  7,  7,  7,  7,  /* 0x60 */
     7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  7,  6,  7,  0,  /* 0x70 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0x80 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0x90 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xa0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xb0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xc0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xd0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xe0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xf0 */
};

#define IS(cls, c) (byte_class[(unsigned char)(c)] & (cls))

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* ASCII lower case; leaves digits and most punctuation out of a..f */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Skips field-value bytes (IS(C_VALUE)) in [p, end): eight at a time while a word holds no
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
    while (p < end && IS(C_VALUE, *p))
        p++;
    return p;
}

/* Case-insensitive compare of s[0..n) with a lower-case ASCII literal. */
static int lower_eq(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return i == n && lit[i] == '\0';
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
        while (i < n && IS(C_TCHAR, v[i]))
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
        while (p < end && IS(C_TCHAR, *p))
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

    struct framing fr = {-1, 0, 0, 0, 0, 0};
    if (parse_fields(p, end, f, &fr) < 0)
        return -1;
    if (fr.te && fr.content_length >= 0)
        FAIL(f, "both Content-Length and Transfer-Encoding");
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
    while (i < len && IS(C_TCHAR, buf[i]))
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
    while (p < end && IS(C_TCHAR, *p))
        p++;
    out->method_len = (size_t)(p - out->method);
    if (out->method_len == 0 || *p != ' ')
        FAIL(f, "bad request method");
    p++;
    out->target = p;
    while (p < end && IS(C_TARGET, *p))
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

    struct framing fr = {-1, 0, 0, 0, 0, 0};
    if (parse_fields(p, end, f, &fr) < 0)
        return -1;
    if (fr.te && fr.content_length >= 0)
        FAIL(f, "both Content-Length and Transfer-Encoding");
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

/* ---- chunked bodies ---------------------------------------------------------------------- */

enum {
    CH_SIZE = 0,      /* hex digits of the chunk size */
    CH_BWS,           /* whitespace after the size: only more of it or ';' may follow */
    CH_EXT,           /* chunk extensions, up to CR */
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER,       /* start of a trailer line, or the final CRLF */
    CH_TRAILER_NAME,
    CH_TRAILER_VALUE,
    CH_TRAILER_LF,
    CH_END_LF,
    CH_DONE
};

void mob_http_chunked_init(mob_http_chunked *d)
{
    memset(d, 0, sizeof *d);
}

/*
 * The decoder proper. Consumes src[0..len); when dst is not NULL, writes the data there
 * (dst <= src, so moving it down is safe). *out is the number of data bytes written.
 * Returns -2, -1, or the index just past the end of the body.
 */
static ssize_t chunked_run(mob_http_chunked *d, const char *src, size_t len, char *dst,
                           size_t *out)
{
    size_t i = 0, o = 0;
    ssize_t rc = -2;
    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        switch (d->state) {
        case CH_SIZE: {
            int v = hex_value(c);
            if (v >= 0) {
                if (d->remaining >> 59)
                    goto bad; /* keeps sizes below 2^63: no overflow anywhere after */
                d->remaining = d->remaining << 4 | (uint64_t)v;
                d->digits = 1;
            } else if (!d->digits) {
                goto bad;
            } else if (c == ';') {
                d->state = CH_EXT;
            } else if (c == ' ' || c == '\t') {
                d->state = CH_BWS;
            } else if (c == '\r') {
                d->state = CH_SIZE_LF;
            } else {
                goto bad;
            }
            break;
        }
        case CH_BWS:
            if (c == ';')
                d->state = CH_EXT;
            else if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (c != ' ' && c != '\t')
                goto bad;
            break;
        case CH_EXT:
            if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (!IS(C_VALUE, c))
                goto bad;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                goto bad;
            d->line = 0;
            d->state = d->remaining ? CH_DATA : CH_TRAILER;
            i++;
            continue;
        case CH_DATA: {
            size_t n = len - i;
            if (n > d->remaining)
                n = (size_t)d->remaining;
            if (dst != NULL && dst + o != src + i)
                memmove(dst + o, src + i, n);
            o += n;
            i += n;
            d->remaining -= n;
            d->total += n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            continue;
        }
        case CH_DATA_CR:
            if (c != '\r')
                goto bad;
            d->state = CH_DATA_LF;
            i++;
            continue;
        case CH_DATA_LF:
            if (c != '\n')
                goto bad;
            d->state = CH_SIZE;
            d->digits = 0;
            d->line = 0;
            i++;
            continue;
        case CH_TRAILER:
            if (c == '\r')
                d->state = CH_END_LF;
            else if (IS(C_TCHAR, c))
                d->state = CH_TRAILER_NAME;
            else
                goto bad; /* obs-fold, empty name, control byte */
            break;
        case CH_TRAILER_NAME:
            if (c == ':')
                d->state = CH_TRAILER_VALUE;
            else if (!IS(C_TCHAR, c))
                goto bad;
            break;
        case CH_TRAILER_VALUE:
            if (c == '\r')
                d->state = CH_TRAILER_LF;
            else if (!IS(C_VALUE, c))
                goto bad;
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                goto bad;
            d->state = CH_TRAILER;
            break;
        case CH_END_LF:
            if (c != '\n')
                goto bad;
            d->state = CH_DONE;
            i++;
            rc = (ssize_t)i;
            goto out;
        case CH_DONE:
            rc = (ssize_t)i;
            goto out;
        default:
            goto bad;
        }
        /* Only the size line and the trailer get here, a byte at a time: bound them. */
        i++;
        d->line++;
        if (d->state >= CH_TRAILER ? d->line > MOB_HTTP_MAX_TRAILER
                                   : d->line > MOB_HTTP_MAX_CHUNK_LINE)
            goto bad;
    }
    if (d->state == CH_DONE)
        rc = (ssize_t)i;
out:
    *out = o;
    return rc;
bad:
    *out = o;
    return -1;
}

ssize_t mob_http_chunked_decode(mob_http_chunked *d, char *buf, size_t *len)
{
    size_t o;
    ssize_t rc = chunked_run(d, buf, *len, buf, &o);
    if (rc >= 0) {
        size_t rest = *len - (size_t)rc;
        if (rest > 0 && o != (size_t)rc)
            memmove(buf + o, buf + rc, rest);
        *len = o;
        return (ssize_t)rest;
    }
    *len = o;
    return rc;
}

ssize_t mob_http_chunked_skip(mob_http_chunked *d, const char *buf, size_t len)
{
    size_t o;
    return chunked_run(d, buf, len, NULL, &o);
}

/* ---- error classes ----------------------------------------------------------------------- */

int mob_err_classify(int rc, int phase)
{
    if (rc >= 0)
        return MOB_ERR_NONE;
    switch (-rc) {
    case ETIMEDOUT:
        return MOB_ERR_TIMEOUT;
    case ECANCELED:
        return MOB_ERR_CANCELED;
    case EPROTO:
    case EBADMSG:
    case EMSGSIZE:
        return MOB_ERR_PROTOCOL;
    default:
        break;
    }
    switch (phase) {
    case MOB_PHASE_CONNECT:
        return MOB_ERR_CONNECT;
    case MOB_PHASE_WRITE:
        return MOB_ERR_WRITE;
    default:
        return MOB_ERR_READ;
    }
}

const char *mob_err_class_name(int cls)
{
    static const char *const names[MOB_ERR_NCLASS] = {
        "none", "connect", "read", "write", "timeout", "status", "protocol", "canceled",
    };
    if (cls < 0 || cls >= MOB_ERR_NCLASS)
        return "unknown";
    return names[cls];
}

/* ---- URLs -------------------------------------------------------------------------------- */

int mob_http_url_parse(const char *url, mob_http_url *out)
{
    if (url == NULL || !lower_eq(url, 7, "http://") || strlen(url) < 7)
        return -EINVAL;
    const char *a = url + 7;
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
            if (!IS(C_HEX, *q) && *q != ':' && *q != '.' && *q != '%')
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
    out->port = 80;
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
        if (!IS(C_TARGET, path[i]))
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
        if (!IS(cls, s[i]))
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
