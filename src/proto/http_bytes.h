/* SPDX-License-Identifier: MIT */
/*
 * http_bytes.h: the byte classes of HTTP/1.1 (RFC 9110) and the small character helpers that
 * the parser (http_parse.c), the chunked decoder (http_chunked.c) and the request builder
 * (http_request.c) share. Private to src/proto.
 */
#ifndef MOB_HTTP_BYTES_H
#define MOB_HTTP_BYTES_H

#include <stddef.h>

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

#define HTTP_IS(cls, c) (byte_class[(unsigned char)(c)] & (cls))

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* ASCII lower case; leaves digits and most punctuation out of a..f */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Case-insensitive compare of s[0..n) with a lower-case ASCII literal. */
static inline int lower_eq(const char *s, size_t n, const char *lit)
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

#endif /* MOB_HTTP_BYTES_H */
