/* SPDX-License-Identifier: MIT */
/*
 * rbuf.c: buffered reading over one fd, for line protocols and length-prefixed frames. The
 * caller owns the buffer, so nothing is allocated per message; what a call returns points
 * into it and stays valid until the next call on the same buffer.
 *
 * Nothing is consumed until a whole line or frame is there: a call that times out can simply
 * be made again. Bytes move to the front of the buffer only when the space behind them runs
 * out. The reads themselves go through mob_read (io.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "io_fd.h"

void mob_rbuf_init(mob_rbuf *rb, int fd, void *storage, size_t cap)
{
    rb->fd = fd;
    rb->buf = storage;
    rb->cap = cap;
    rb->start = rb->end = 0;
}

/* Reads more into the buffer, moving the unconsumed bytes to the front if the tail is full.
 * Returns the bytes read, -ENODATA at EOF with nothing buffered, -EPIPE at EOF otherwise,
 * -EMSGSIZE when the buffer is full of unconsumed bytes, or -errno. */
static ssize_t rbuf_fill(mob_bot *self, mob_rbuf *rb, int64_t deadline)
{
    if (rb->end == rb->cap) {
        if (rb->start == 0)
            return -EMSGSIZE;
        memmove(rb->buf, rb->buf + rb->start, rb->end - rb->start);
        rb->end -= rb->start;
        rb->start = 0;
    }
    ssize_t n = mob_read(self, rb->fd, rb->buf + rb->end, rb->cap - rb->end, deadline);
    if (n == 0)
        return rb->end == rb->start ? -ENODATA : -EPIPE;
    if (n > 0)
        rb->end += (size_t)n;
    return n;
}

/* Makes `need` unconsumed bytes available contiguously from rb->start. */
static ssize_t rbuf_need(mob_bot *self, mob_rbuf *rb, size_t need, int64_t deadline)
{
    if (need > rb->cap)
        return -EMSGSIZE;
    if (rb->cap - rb->start < need) {
        memmove(rb->buf, rb->buf + rb->start, rb->end - rb->start);
        rb->end -= rb->start;
        rb->start = 0;
    }
    while (rb->end - rb->start < need) {
        ssize_t n = rbuf_fill(self, rb, deadline);
        if (n < 0)
            return n;
    }
    return 0;
}

ssize_t mob_read_line(mob_bot *self, mob_rbuf *rb, char **line, int64_t deadline)
{
    size_t scanned = rb->start; /* bytes before this are known to hold no newline */
    for (;;) {
        char *nl = memchr(rb->buf + scanned, '\n', rb->end - scanned);
        if (nl) {
            char *s = rb->buf + rb->start;
            size_t len = (size_t)(nl - s);
            if (len > 0 && s[len - 1] == '\r')
                len--;
            s[len] = '\0'; /* over the '\r' or the '\n', both consumed */
            rb->start = (size_t)(nl - rb->buf) + 1;
            if (rb->start == rb->end)
                rb->start = rb->end = 0;
            *line = s;
            return (ssize_t)len;
        }
        size_t shift = rb->end == rb->cap ? rb->start : 0;
        scanned = rb->end - shift;
        ssize_t n = rbuf_fill(self, rb, deadline);
        if (n < 0)
            return n;
    }
}

ssize_t mob_rbuf_read_exact(mob_bot *self, mob_rbuf *rb, size_t n, char **out, int64_t deadline)
{
    ssize_t rc = rbuf_need(self, rb, n, deadline);
    if (rc < 0)
        return rc;
    *out = rb->buf + rb->start;
    rb->start += n;
    return (ssize_t)n;
}

static int framing_ok(const mob_framing *f)
{
    return f && (f->prefix_size == 1 || f->prefix_size == 2 || f->prefix_size == 4) &&
           (f->endian == MOB_BIG_ENDIAN || f->endian == MOB_LITTLE_ENDIAN);
}

ssize_t mob_read_frame(mob_bot *self, mob_rbuf *rb, const mob_framing *f, char **payload,
                       int64_t deadline)
{
    if (!framing_ok(f))
        return -EINVAL;
    size_t ps = (size_t)f->prefix_size;
    ssize_t rc = rbuf_need(self, rb, ps, deadline);
    if (rc < 0)
        return rc;
    const unsigned char *p = (const unsigned char *)rb->buf + rb->start;
    uint32_t len = 0;
    for (size_t i = 0; i < ps; i++)
        len |= (uint32_t)p[f->endian == MOB_BIG_ENDIAN ? ps - 1 - i : i] << (8 * i);
    if (len > f->max || ps + len > rb->cap)
        return -EMSGSIZE;
    rc = rbuf_need(self, rb, ps + len, deadline);
    if (rc == -ENODATA)
        rc = -EPIPE; /* the prefix was there: EOF is mid-frame */
    if (rc < 0)
        return rc;
    *payload = rb->buf + rb->start + ps;
    rb->start += ps + len;
    return (ssize_t)len;
}

ssize_t mob_write_frame(mob_bot *self, int fd, const mob_framing *f, const void *payload,
                        size_t len, int64_t deadline)
{
    if (!framing_ok(f))
        return -EINVAL;
    size_t ps = (size_t)f->prefix_size;
    if (len > f->max || (ps < 4 && len >> (8 * ps)) || (uint64_t)len > UINT32_MAX)
        return -EMSGSIZE;
    unsigned char buf[256];
    for (size_t i = 0; i < ps; i++)
        buf[f->endian == MOB_BIG_ENDIAN ? ps - 1 - i : i] = (unsigned char)(len >> (8 * i));
    /* Small frames go out in one write; bigger ones in two, the prefix first (with
     * TCP_NODELAY that may be two segments; a protocol with big frames does not mind). */
    if (ps + len <= sizeof buf) {
        memcpy(buf + ps, payload, len);
        ssize_t rc = mob_write_all(self, fd, buf, ps + len, deadline);
        return rc < 0 ? rc : (ssize_t)len;
    }
    ssize_t rc = mob_write_all(self, fd, buf, ps, deadline);
    if (rc < 0)
        return rc;
    rc = mob_write_all(self, fd, payload, len, deadline);
    return rc < 0 ? rc : (ssize_t)len;
}
