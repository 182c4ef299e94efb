/* SPDX-License-Identifier: MIT */
/*
 * ws.c: the pure WebSocket codec behind mob_ws.h: SHA-1 and base64 (only what the handshake
 * needs), the opening handshake for both sides, frame headers, masking, close payloads and
 * UTF-8 checks. No I/O and no allocation: every function works on caller buffers, so it can
 * be fuzzed alone. The parsers never read past the length they are given.
 *
 * It deliberately does not do HTTP in general: the handshake parser accepts exactly what an
 * upgrade needs (a request line, header lines, a blank line) and rejects the rest.
 *
 * Read next: src/proto/ws_conn.c, which runs this codec over a socket in a bot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mob_ws.h"

/* ---- SHA-1 (FIPS 180-4), written from the specification -------------------------------- */

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void mob_sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    for (; left >= 64; left -= 64, p += 64)
        sha1_block(h, p);
    /* The tail, the 0x80 marker and the 64-bit bit length fill one or two last blocks. */
    uint8_t last[128] = {0};
    memcpy(last, p, left);
    last[left] = 0x80;
    size_t n = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, last);
    if (n == 128)
        sha1_block(h, last + 64);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

/* ---- base64 ---------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mob_base64_encode(const void *data, size_t len, char *out, size_t cap)
{
    const uint8_t *p = data;
    size_t need = (len + 2) / 3 * 4;
    if (cap < need + 1)
        return -ENOBUFS;
    char *o = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *o = 0;
    return (int)need;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int mob_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4)
        return -EINVAL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int pad = 0;
        uint32_t v = 0;
        for (int j = 0; j < 4; j++) {
            char c = in[i + j];
            int d;
            /* Padding only in the last two places of the last quantum. */
            if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
                pad++;
                d = 0;
            } else if (pad || (d = b64_value(c)) < 0) {
                return -EINVAL;
            }
            v = v << 6 | (uint32_t)d;
        }
        size_t k = 3 - (size_t)pad;
        if (n + k > cap)
            return -ENOBUFS;
        for (size_t j = 0; j < k; j++)
            out[n++] = (uint8_t)(v >> (16 - 8 * j));
    }
    return (int)n;
}

void mob_ws_accept_key(const char *key, size_t key_len, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char cat[128 + sizeof guid];
    if (key_len > 128)
        key_len = 128; /* callers pass 24; a longer key cannot be valid anyway */
    memcpy(cat, key, key_len);
    memcpy(cat + key_len, guid, sizeof guid - 1);
    uint8_t digest[20];
    mob_sha1(cat, key_len + sizeof guid - 1, digest);
    mob_base64_encode(digest, 20, out, 29);
}

/* ---- handshake ------------------------------------------------------------------------- */

int mob_ws_build_request(char *out, size_t cap, const char *host, int port, const char *path,
                         const char *key, const char *extra)
{
    if (!path || !*path)
        path = "/";
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "%s\r\n",
                     path, host, port, key, extra ? extra : "");
    if (n < 0 || (size_t)n >= cap)
        return -ENOBUFS;
    return n;
}

int mob_ws_build_response(char *out, size_t cap, const char *key, size_t key_len)
{
    char accept[29];
    mob_ws_accept_key(key, key_len, accept);
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    if (n < 0 || (size_t)n >= cap)
        return -ENOBUFS;
    return n;
}

/* Finds the end of the head ("\r\n\r\n"). Returns the head length, -EAGAIN or -EMSGSIZE. */
static int head_end(const char *buf, size_t len)
{
    size_t lim = len < MOB_WS_MAX_HANDSHAKE ? len : MOB_WS_MAX_HANDSHAKE;
    for (size_t i = 3; i < lim; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return (int)(i + 1);
    return len >= MOB_WS_MAX_HANDSHAKE ? -EMSGSIZE : -EAGAIN;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* Nonzero when the comma-separated list v[0..n) holds `token` (case-insensitive). */
static int has_token(const char *v, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s && ieq(v + s, e - s, token))
            return 1;
    }
    return 0;
}

/*
 * Walks the header lines of a head (after its first line). Calls back with each trimmed
 * name and value. Returns 0, or -EPROTO on a line without a colon.
 */
typedef void (*header_fn)(void *ud, const char *name, size_t nlen, const char *val,
                          size_t vlen);

static int each_header(const char *p, const char *end, header_fn fn, void *ud)
{
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return -EPROTO;
        const char *le = eol;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p)
            break; /* the blank line */
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (!colon || colon == p)
            return -EPROTO;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = le;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        fn(ud, p, (size_t)(colon - p), v, (size_t)(ve - v));
        p = eol + 1;
    }
    return 0;
}

struct req_seen {
    int host, upgrade, connection, version;
    mob_ws_request *req;
};

static void req_header(void *ud, const char *n, size_t nl, const char *v, size_t vl)
{
    struct req_seen *s = ud;
    if (ieq(n, nl, "host"))
        s->host = vl > 0;
    else if (ieq(n, nl, "upgrade"))
        s->upgrade = has_token(v, vl, "websocket");
    else if (ieq(n, nl, "connection"))
        s->connection = has_token(v, vl, "upgrade");
    else if (ieq(n, nl, "sec-websocket-version"))
        s->version = vl == 2 && v[0] == '1' && v[1] == '3';
    else if (ieq(n, nl, "sec-websocket-key")) {
        s->req->key = v;
        s->req->key_len = vl;
    } else if (ieq(n, nl, "sec-websocket-protocol")) {
        s->req->protocol = v;
        s->req->protocol_len = vl;
    }
}

#define FAIL(msg)                                                                              \
    do {                                                                                       \
        if (why)                                                                               \
            *why = (msg);                                                                      \
        return -EPROTO;                                                                        \
    } while (0)

int mob_ws_parse_request(const char *buf, size_t len, mob_ws_request *req, const char **why)
{
    int hl = head_end(buf, len);
    if (hl < 0)
        return hl;
    memset(req, 0, sizeof *req);
    const char *end = buf + hl;
    const char *eol = memchr(buf, '\n', (size_t)hl);
    const char *le = eol > buf && eol[-1] == '\r' ? eol - 1 : eol;
    if ((size_t)(le - buf) < 4 || memcmp(buf, "GET ", 4) != 0)
        FAIL("method is not GET");
    const char *path = buf + 4;
    const char *sp = memchr(path, ' ', (size_t)(le - path));
    if (!sp || sp == path || *path != '/')
        FAIL("bad request target");
    if (le - (sp + 1) != 8 || memcmp(sp + 1, "HTTP/1.1", 8) != 0)
        FAIL("not HTTP/1.1");
    req->path = path;
    req->path_len = (size_t)(sp - path);
    struct req_seen s = {0, 0, 0, 0, req};
    if (each_header(eol + 1, end, req_header, &s) < 0)
        FAIL("malformed header line");
    if (!s.host)
        FAIL("missing Host");
    if (!s.upgrade)
        FAIL("missing Upgrade: websocket");
    if (!s.connection)
        FAIL("missing Connection: Upgrade");
    if (!s.version)
        FAIL("Sec-WebSocket-Version is not 13");
    uint8_t raw[20];
    if (!req->key || req->key_len != MOB_WS_KEY_LEN ||
        mob_base64_decode(req->key, req->key_len, raw, sizeof raw) != 16)
        FAIL("bad Sec-WebSocket-Key");
    return hl;
}

struct resp_seen {
    int upgrade, connection, accept_ok;
    const char *expect;
};

static void resp_header(void *ud, const char *n, size_t nl, const char *v, size_t vl)
{
    struct resp_seen *s = ud;
    if (ieq(n, nl, "upgrade"))
        s->upgrade = has_token(v, vl, "websocket");
    else if (ieq(n, nl, "connection"))
        s->connection = has_token(v, vl, "upgrade");
    else if (ieq(n, nl, "sec-websocket-accept"))
        s->accept_ok = vl == 28 && memcmp(v, s->expect, 28) == 0;
}

int mob_ws_parse_response(const char *buf, size_t len, const char *key, const char **why)
{
    int hl = head_end(buf, len);
    if (hl < 0)
        return hl;
    const char *eol = memchr(buf, '\n', (size_t)hl);
    if (eol - buf < 12 || memcmp(buf, "HTTP/1.1 ", 9) != 0)
        FAIL("not an HTTP/1.1 response");
    if (memcmp(buf + 9, "101", 3) != 0)
        FAIL("status is not 101");
    char expect[29];
    mob_ws_accept_key(key, strlen(key), expect);
    struct resp_seen s = {0, 0, 0, expect};
    if (each_header(eol + 1, buf + hl, resp_header, &s) < 0)
        FAIL("malformed header line");
    if (!s.upgrade)
        FAIL("missing Upgrade: websocket");
    if (!s.connection)
        FAIL("missing Connection: Upgrade");
    if (!s.accept_ok)
        FAIL("wrong Sec-WebSocket-Accept");
    return hl;
}

/* ---- frames ---------------------------------------------------------------------------- */

int mob_ws_frame_decode(const void *buf, size_t len, mob_ws_frame *f)
{
    const uint8_t *p = buf;
    if (len < 2)
        return -EAGAIN;
    f->fin = p[0] >> 7;
    f->rsv = p[0] >> 4 & 7;
    f->opcode = p[0] & 15;
    f->masked = p[1] >> 7;
    uint64_t n = p[1] & 127;
    size_t hl = 2;
    if (n == 126) {
        if (len < 4)
            return -EAGAIN;
        n = (uint64_t)p[2] << 8 | p[3];
        hl = 4;
    } else if (n == 127) {
        if (len < 10)
            return -EAGAIN;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | p[2 + i];
        hl = 10;
    }
    if (f->masked) {
        if (len < hl + 4)
            return -EAGAIN;
        memcpy(f->mask, p + hl, 4);
        hl += 4;
    } else {
        memset(f->mask, 0, 4);
    }
    f->len = n;
    if (f->rsv)
        return -EPROTO;
    switch (f->opcode) {
    case MOB_WS_CONT:
    case MOB_WS_TEXT:
    case MOB_WS_BINARY:
        break;
    case MOB_WS_CLOSE:
    case MOB_WS_PING:
    case MOB_WS_PONG:
        if (!f->fin || n > MOB_WS_MAX_CONTROL)
            return -EPROTO;
        break;
    default:
        return -EPROTO;
    }
    if (n >> 63)
        return -EPROTO;
    return (int)hl;
}

size_t mob_ws_frame_encode(uint8_t *out, int fin, int opcode, const uint8_t *mask,
                           uint64_t len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 15));
    uint8_t m = mask ? 0x80 : 0;
    size_t hl;
    if (len < 126) {
        out[1] = (uint8_t)(m | len);
        hl = 2;
    } else if (len <= 0xFFFF) {
        out[1] = m | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        hl = 4;
    } else {
        out[1] = m | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        hl = 10;
    }
    if (mask) {
        memcpy(out + hl, mask, 4);
        hl += 4;
    }
    return hl;
}

void mob_ws_mask(void *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
    uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        p[i] ^= mask[(offset + i) & 3];
}

int mob_ws_utf8_valid(const void *s, size_t len)
{
    const uint8_t *p = s;
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0; /* continuation byte, overlong 2-byte lead, or beyond U+10FFFF */
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

int mob_ws_close_parse(const void *payload, size_t len)
{
    const uint8_t *p = payload;
    if (len == 0)
        return MOB_WS_CLOSE_NO_STATUS;
    if (len == 1)
        return -EPROTO;
    int code = p[0] << 8 | p[1];
    /* Codes a peer may send: 1000-1003, 1007-1011, and the registered/private 3000-4999. */
    int ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
             (code >= 3000 && code <= 4999);
    if (!ok || !mob_ws_utf8_valid(p + 2, len - 2))
        return -EPROTO;
    return code;
}

ssize_t mob_ws_frame_build(void *out, size_t cap, int opcode, const void *data, size_t len)
{
    if (cap < MOB_WS_MAX_HEADER || len > cap - MOB_WS_MAX_HEADER)
        return -ENOBUFS;
    size_t hl = mob_ws_frame_encode(out, 1, opcode, NULL, len);
    if (len)
        memcpy((uint8_t *)out + hl, data, len);
    return (ssize_t)(hl + len);
}
