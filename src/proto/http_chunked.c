/* SPDX-License-Identifier: MIT */
/*
 * http_chunked.c: the decoder of chunked bodies (RFC 9112 7.1), in place and resumable: a
 * caller feeds what it has read, gets the data moved down over the framing, and calls again
 * with more. Extensions and trailers are checked and skipped.
 *
 * Read next: src/proto/http_request.c.
 */
#include <errno.h>
#include <string.h>

#include "http_bytes.h"
#include "mob_http.h"

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
            else if (!HTTP_IS(C_VALUE, c))
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
            else if (HTTP_IS(C_TCHAR, c))
                d->state = CH_TRAILER_NAME;
            else
                goto bad; /* obs-fold, empty name, control byte */
            break;
        case CH_TRAILER_NAME:
            if (c == ':')
                d->state = CH_TRAILER_VALUE;
            else if (!HTTP_IS(C_TCHAR, c))
                goto bad;
            break;
        case CH_TRAILER_VALUE:
            if (c == '\r')
                d->state = CH_TRAILER_LF;
            else if (!HTTP_IS(C_VALUE, c))
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
