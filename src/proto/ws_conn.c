/* SPDX-License-Identifier: MIT */
/*
 * ws_conn.c: a WebSocket connection run by one bot over mob_io.h: the opening handshake on
 * either side, sending (masked for a client), and receiving whole messages.
 *
 * Memory: one caller buffer holds everything. Incoming bytes sit in buf[start, end); a frame
 * is handled only once it is wholly buffered, unmasked in place, and either returned where it
 * lies (an unfragmented message, the common case: no copy) or moved down to buf[0, mlen)
 * where a fragmented message is gathered:
 *
 *     0          mlen        start              end        cap
 *     | message  | (free)    | unread frames... | (free)   |
 *
 * When a frame does not fit after `end`, the unread bytes are moved down to `mlen`. Size
 * limits (max_message <= cap - 256) guarantee that any frame we accept fits.
 *
 * It does not allocate, does not spawn, and does not write from more than the calling bot:
 * a server whose writes go through a queue sets ws->send_fn for the frames we send on our own.
 *
 * Every byte goes through ws_read and ws_write: straight to the socket, or through TLS when
 * the client opened with a TLS state (mob_ws_dial, wss://). Connecting, with or without TLS, is
 * mob_tls_dial's, shared with the HTTP client (src/proto/dial.c).
 *
 * Read next: src/arena/arena_conn.c (a server built on it), tests/test_ws.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "mob_base.h"
#include "mob_ws.h"

#define DEFAULT_IO_TIMEOUT (5 * MOB_NS_PER_SEC)

static uint32_t next_rand(mob_ws *ws)
{
    /* xorshift32: masks only need to be unpredictable to intermediaries, not secret. */
    uint32_t x = ws->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    ws->rng = x;
    return x;
}

/* Seeds the mask generator from the clock and the fd. */
static void seed(mob_ws *ws, int fd)
{
    ws->rng = (uint32_t)mob_clock_ns() ^ (uint32_t)fd * 2654435761u;
    if (!ws->rng)
        ws->rng = 0x9E3779B9u;
}

void mob_ws_init(mob_ws *ws, int fd, int role, void *buf, size_t cap)
{
    MOB_ASSERT(cap >= 512, "mob_ws_init: buffer of %zu bytes is below 512", cap);
    memset(ws, 0, sizeof *ws);
    ws->fd = fd;
    ws->role = role;
    ws->state = MOB_WS_OPEN;
    ws->buf = buf;
    ws->cap = cap;
    ws->max_message = cap - 256;
    seed(ws, fd);
    ws->io_timeout_ns = DEFAULT_IO_TIMEOUT;
}

/* The socket, or TLS over it: one test per call on the plain path. */
static ssize_t ws_read(mob_bot *self, mob_ws *ws, void *buf, size_t len, int64_t deadline)
{
    return mob_tls_maybe_read(self, ws->tls, ws->fd, buf, len, deadline);
}

/*
 * Writes part of a frame (`started`: an earlier part of it went already). A frame cut short
 * leaves the stream unusable: whatever we sent next, our close frame included, the peer
 * would read as the rest of its payload. So a failed write that may have cut one closes the
 * connection without a goodbye frame. A plain socket says how much went; TLS keeps the rest
 * of a cut record inside the library, so over TLS every failed write counts as a cut.
 */
static ssize_t ws_write_part(mob_bot *self, mob_ws *ws, const void *buf, size_t len,
                             int64_t deadline, int started)
{
    if (mob_cancelled(self))
        return -ECANCELED; /* refused before a byte went: no cut, a goodbye may follow */
    size_t done = 0;
    int tls = ws->tls && ws->tls->ctx;
    ssize_t n = tls ? mob_tls_write_all(self, ws->tls, buf, len, deadline)
                    : mob_write_all2(self, ws->fd, buf, len, deadline, &done);
    if (n < 0 && (started || done > 0 || tls))
        ws->state = MOB_WS_CLOSED;
    return n;
}

static ssize_t ws_write(mob_bot *self, mob_ws *ws, const void *buf, size_t len,
                        int64_t deadline)
{
    return ws_write_part(self, ws, buf, len, deadline, 0);
}

/* The deadline of a frame we send on our own: the caller's, and at most io_timeout_ns. */
static int64_t own_deadline(mob_bot *self, const mob_ws *ws, int64_t deadline)
{
    int64_t dl = mob_now(mob_bot_loop(self)) + ws->io_timeout_ns;
    return deadline >= 0 && deadline < dl ? deadline : dl;
}

/* Writes bytes we send on our own (control frames), through the hook when there is one. */
static int raw_send(mob_bot *self, mob_ws *ws, const void *bytes, size_t len, int64_t deadline)
{
    if (ws->send_fn)
        return ws->send_fn(ws->send_ud, bytes, len);
    ssize_t n = ws_write(self, ws, bytes, len, own_deadline(self, ws, deadline));
    return n < 0 ? (int)n : 0;
}

/* Builds a control frame (payload <= 125 bytes, already checked) into out, masking for a
 * client. Returns its length. */
static size_t build_control(mob_ws *ws, int opcode, const void *data, size_t len, uint8_t *out)
{
    uint8_t mask[4];
    const uint8_t *m = NULL;
    if (ws->role == MOB_WS_CLIENT) {
        uint32_t r = next_rand(ws);
        memcpy(mask, &r, 4);
        m = mask;
    }
    size_t hl = mob_ws_frame_encode(out, 1, opcode, m, len);
    if (len)
        memcpy(out + hl, data, len);
    if (m)
        mob_ws_mask(out + hl, len, m, 0);
    return hl + len;
}

static int send_control(mob_bot *self, mob_ws *ws, int opcode, const void *data, size_t len,
                        int64_t deadline)
{
    uint8_t frame[MOB_WS_MAX_HEADER + MOB_WS_MAX_CONTROL];
    return raw_send(self, ws, frame, build_control(ws, opcode, data, len, frame), deadline);
}

/* A close frame's payload: the code, big-endian, or nothing for code 0. Returns its length. */
static size_t close_payload(int code, uint8_t p[2])
{
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    return code ? 2 : 0;
}

static int send_close_code(mob_bot *self, mob_ws *ws, int code, int64_t deadline)
{
    uint8_t p[2];
    return send_control(self, ws, MOB_WS_CLOSE, p, close_payload(code, p), deadline);
}

/* A protocol failure: tell the peer why (best effort) and stop. */
static ssize_t fail(mob_bot *self, mob_ws *ws, int code, int rc, int64_t deadline)
{
    if (ws->state != MOB_WS_CLOSED)
        send_close_code(self, ws, code, deadline);
    ws->state = MOB_WS_CLOSED;
    return rc;
}

/* Makes room for `need` more bytes after end, then reads what the socket has. Returns the
 * byte count, -EPIPE at EOF (the state becomes CLOSED), -EMSGSIZE when the buffer is full
 * of a handshake head, or -errno. */
static ssize_t fill(mob_bot *self, mob_ws *ws, size_t need, int64_t deadline)
{
    if (ws->end + need > ws->cap || ws->end == ws->cap) {
        size_t n = ws->end - ws->start;
        memmove(ws->buf + ws->mlen, ws->buf + ws->start, n);
        ws->start = ws->mlen;
        ws->end = ws->mlen + n;
    }
    if (ws->end == ws->cap) {
        /* Only a handshake head can get here (frame limits leave room): too long for us. */
        ws->state = MOB_WS_CLOSED;
        return -EMSGSIZE;
    }
    ssize_t n = ws_read(self, ws, ws->buf + ws->end, ws->cap - ws->end, deadline);
    if (n == 0) {
        ws->state = MOB_WS_CLOSED;
        ws->close_code = MOB_WS_CLOSE_ABNORMAL;
        return -EPIPE;
    }
    if (n < 0) {
        if (n != -ETIMEDOUT && n != -ECANCELED)
            ws->state = MOB_WS_CLOSED;
        return n;
    }
    ws->end += (size_t)n;
    return n;
}

/* ---- handshake ------------------------------------------------------------------------- */

/* The client's opening handshake on ws, already set up on its connected fd (and TLS). */
static int upgrade(mob_bot *self, mob_ws *ws, const char *host, int port, const char *path,
                   const char *extra, int64_t deadline)
{
    uint8_t nonce[16];
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = next_rand(ws);
        memcpy(nonce + i, &r, 4);
    }
    char key[MOB_WS_KEY_LEN + 1];
    mob_base64_encode(nonce, sizeof nonce, key, sizeof key);
    int n = mob_ws_build_request((char *)ws->buf, ws->cap, host, port, path, key, extra);
    if (n < 0)
        return n;
    ssize_t w = ws_write(self, ws, ws->buf, (size_t)n, deadline);
    if (w < 0)
        return (int)w;
    for (;;) {
        int hl = mob_ws_parse_response((const char *)ws->buf, ws->end, key, NULL);
        if (hl > 0) {
            ws->start = (size_t)hl; /* frames sent right after the head stay buffered */
            return 0;
        }
        if (hl != -EAGAIN) {
            ws->state = MOB_WS_CLOSED;
            return hl;
        }
        ssize_t r = fill(self, ws, 1, deadline);
        if (r < 0)
            return (int)r;
    }
}

int mob_ws_handshake(mob_bot *self, mob_ws *ws, int fd, const char *host, int port,
                     const char *path, const char *extra, void *buf, size_t cap,
                     int64_t deadline)
{
    mob_ws_init(ws, fd, MOB_WS_CLIENT, buf, cap);
    return upgrade(self, ws, host, port, path, extra, deadline);
}

int mob_ws_dial(mob_bot *self, mob_ws *ws, const char *host, int port, const char *path,
                const mob_ws_options *opt, void *buf, size_t cap, int64_t deadline)
{
    static const mob_ws_options none;
    if (!opt)
        opt = &none;
    mob_ws_init(ws, -1, MOB_WS_CLIENT, buf, cap);
    ws->phase = MOB_PHASE_CONNECT;
    struct sockaddr_storage ss;
    int len = mob_addr_parse(host, port, &ss);
    if (len < 0)
        return len;
    mob_tls_conn *tls = opt->tls && opt->tls->ctx ? opt->tls : NULL;
    int fd = mob_tls_dial(self, tls, (const struct sockaddr *)&ss, (socklen_t)len,
                          &opt->connect, opt->server_name ? opt->server_name : host, deadline,
                          &ws->phase);
    if (fd < 0)
        return fd;
    ws->fd = fd;
    ws->tls = tls;
    ws->phase = MOB_PHASE_ANY;
    seed(ws, fd);
    int rc = upgrade(self, ws, host, port, path, opt->extra, deadline);
    if (rc < 0) {
        if (tls)
            mob_tls_close(self, tls);
        mob_close(self, fd);
        ws->fd = -1;
        ws->state = MOB_WS_CLOSED;
    }
    return rc;
}

int mob_ws_connect(mob_bot *self, mob_ws *ws, const char *host, int port, const char *path,
                   const char *extra, void *buf, size_t cap, int64_t deadline)
{
    mob_ws_options o = {.extra = extra};
    return mob_ws_dial(self, ws, host, port, path, &o, buf, cap, deadline);
}

int mob_ws_accept(mob_bot *self, mob_ws *ws, int fd, void *buf, size_t cap,
                  mob_ws_request *req, int64_t deadline)
{
    mob_ws_init(ws, fd, MOB_WS_SERVER, buf, cap);
    mob_ws_request r;
    for (;;) {
        size_t lim = ws->end < MOB_WS_MAX_HANDSHAKE ? ws->end : MOB_WS_MAX_HANDSHAKE;
        int hl = mob_ws_parse_request((const char *)ws->buf, lim, &r, NULL);
        if (hl == -EAGAIN && ws->end == ws->cap)
            hl = -EMSGSIZE; /* the head does not fit the caller's buffer */
        if (hl > 0) {
            char resp[256];
            int n = mob_ws_build_response(resp, sizeof resp, r.key, r.key_len);
            ssize_t w = mob_write_all(self, fd, resp, (size_t)n, deadline);
            if (w < 0)
                return (int)w;
            ws->start = (size_t)hl;
            if (req)
                *req = r;
            return 0;
        }
        if (hl != -EAGAIN) {
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
                                      "Sec-WebSocket-Version: 13\r\n"
                                      "Content-Length: 0\r\n"
                                      "Connection: close\r\n\r\n";
            mob_write_all(self, fd, bad, sizeof bad - 1, deadline);
            ws->state = MOB_WS_CLOSED;
            return hl;
        }
        ssize_t n = fill(self, ws, 1, deadline);
        if (n < 0)
            return (int)n;
    }
}

/* ---- sending --------------------------------------------------------------------------- */

/* Sends one frame. A client masks into a stack buffer in chunks, so the caller's data stays
 * untouched and nothing is allocated. */
static ssize_t send_frame(mob_bot *self, mob_ws *ws, int fin, int opcode, const uint8_t *p,
                          size_t len, int64_t deadline)
{
    uint8_t out[2048];
    if (ws->role == MOB_WS_SERVER) {
        size_t hl = mob_ws_frame_encode(out, fin, opcode, NULL, len);
        if (hl + len <= sizeof out) {
            memcpy(out + hl, p, len);
            ssize_t w = ws_write(self, ws, out, hl + len, deadline);
            return w < 0 ? w : (ssize_t)len;
        }
        ssize_t w = ws_write(self, ws, out, hl, deadline);
        if (w >= 0)
            w = ws_write_part(self, ws, p, len, deadline, 1);
        return w < 0 ? w : (ssize_t)len;
    }
    uint8_t mask[4];
    uint32_t r = next_rand(ws);
    memcpy(mask, &r, 4);
    size_t hl = mob_ws_frame_encode(out, fin, opcode, mask, len);
    size_t off = 0, used = hl;
    do {
        size_t k = len - off < sizeof out - used ? len - off : sizeof out - used;
        memcpy(out + used, p + off, k);
        mob_ws_mask(out + used, k, mask, off);
        ssize_t w = ws_write_part(self, ws, out, used + k, deadline, off > 0);
        if (w < 0)
            return w;
        off += k;
        used = 0;
    } while (off < len);
    return (ssize_t)len;
}

ssize_t mob_ws_send_fragmented(mob_bot *self, mob_ws *ws, int opcode, const void *data,
                               size_t len, size_t frag, int64_t deadline)
{
    if (ws->state != MOB_WS_OPEN)
        return -EPIPE;
    int control = opcode == MOB_WS_PING || opcode == MOB_WS_PONG;
    if ((!control && opcode != MOB_WS_TEXT && opcode != MOB_WS_BINARY) ||
        (control && len > MOB_WS_MAX_CONTROL))
        return -EINVAL;
    if (control || frag == 0 || frag >= len)
        return send_frame(self, ws, 1, opcode, data, len, deadline);
    const uint8_t *p = data;
    for (size_t off = 0; off < len; off += frag) {
        size_t k = len - off < frag ? len - off : frag;
        ssize_t w = send_frame(self, ws, off + k == len, off ? MOB_WS_CONT : opcode, p + off,
                               k, deadline);
        if (w < 0)
            return w;
    }
    return (ssize_t)len;
}

ssize_t mob_ws_send(mob_bot *self, mob_ws *ws, int opcode, const void *data, size_t len,
                    int64_t deadline)
{
    return mob_ws_send_fragmented(self, ws, opcode, data, len, 0, deadline);
}

/* ---- receiving ------------------------------------------------------------------------- */

ssize_t mob_ws_recv(mob_bot *self, mob_ws *ws, const void **data, int *opcode,
                    int64_t deadline)
{
    if (ws->state == MOB_WS_CLOSED)
        return -EPIPE;
    for (;;) {
        mob_ws_frame f;
        int hl = mob_ws_frame_decode(ws->buf + ws->start, ws->end - ws->start, &f);
        if (hl == -EAGAIN) {
            ssize_t r = fill(self, ws, MOB_WS_MAX_HEADER, deadline);
            if (r < 0)
                return r;
            continue;
        }
        if (hl < 0)
            return fail(self, ws, MOB_WS_CLOSE_PROTOCOL, -EPROTO, deadline);
        /* A client must mask every frame, a server must never mask (RFC 6455 5.1). */
        if (f.masked != (ws->role == MOB_WS_SERVER))
            return fail(self, ws, MOB_WS_CLOSE_PROTOCOL, -EPROTO, deadline);
        int is_data = f.opcode < MOB_WS_CLOSE;
        if (is_data && f.len > ws->max_message - ws->mlen)
            return fail(self, ws, MOB_WS_CLOSE_TOO_BIG, -EMSGSIZE, deadline);
        size_t total = (size_t)hl + (size_t)f.len;
        if (ws->end - ws->start < total) {
            ssize_t r = fill(self, ws, total - (ws->end - ws->start), deadline);
            if (r < 0)
                return r;
            continue;
        }
        uint8_t *payload = ws->buf + ws->start + hl;
        size_t n = (size_t)f.len;
        if (f.masked)
            mob_ws_mask(payload, n, f.mask, 0);
        ws->start += total;
        switch (f.opcode) {
        case MOB_WS_PING:
            if (ws->state == MOB_WS_OPEN) {
                int rc = send_control(self, ws, MOB_WS_PONG, payload, n, deadline);
                if (rc < 0) {
                    ws->state = MOB_WS_CLOSED;
                    return rc;
                }
                ws->pings_answered++;
            }
            continue;
        case MOB_WS_PONG:
            continue;
        case MOB_WS_CLOSE: {
            int code = mob_ws_close_parse(payload, n);
            if (code < 0)
                return fail(self, ws, MOB_WS_CLOSE_PROTOCOL, -EPROTO, deadline);
            ws->close_code = code;
            if (ws->state == MOB_WS_OPEN)
                send_close_code(self, ws, code == MOB_WS_CLOSE_NO_STATUS ? 0 : code, deadline);
            ws->state = MOB_WS_CLOSED;
            return -ENODATA;
        }
        case MOB_WS_CONT:
            if (!ws->frag_opcode)
                return fail(self, ws, MOB_WS_CLOSE_PROTOCOL, -EPROTO, deadline);
            memmove(ws->buf + ws->mlen, payload, n);
            ws->mlen += n;
            if (!f.fin)
                continue;
            payload = ws->buf;
            n = ws->mlen;
            f.opcode = ws->frag_opcode;
            ws->frag_opcode = 0;
            ws->mlen = 0; /* the message stays at buf[0, n) until the next call */
            break;
        default: /* TEXT or BINARY */
            if (ws->frag_opcode)
                return fail(self, ws, MOB_WS_CLOSE_PROTOCOL, -EPROTO, deadline);
            if (!f.fin) {
                memmove(ws->buf, payload, n);
                ws->mlen = n;
                ws->frag_opcode = f.opcode;
                continue;
            }
            break;
        }
        if (f.opcode == MOB_WS_TEXT && !mob_ws_utf8_valid(payload, n))
            return fail(self, ws, MOB_WS_CLOSE_BAD_DATA, -EPROTO, deadline);
        *data = payload;
        if (opcode)
            *opcode = f.opcode;
        return (ssize_t)n;
    }
}

int mob_ws_close(mob_bot *self, mob_ws *ws, int code, int64_t deadline)
{
    int leaving = mob_cancelled(self), rc = 0;
    if (ws->state == MOB_WS_OPEN && (ws->send_fn || (!leaving && deadline != MOB_NOW))) {
        rc = send_close_code(self, ws, code, deadline);
        /* Cancelled before a byte of it went (the end of the run came while it waited for its
         * turn): the goodbye below still fits. */
        leaving = rc == -ECANCELED && ws->state == MOB_WS_OPEN && !ws->send_fn;
        if (!leaving)
            ws->state = rc < 0 ? MOB_WS_CLOSED : MOB_WS_CLOSING;
    }
    if (ws->state == MOB_WS_OPEN && ws->fd >= 0) {
        /* A goodbye that must not wait (the end of a run, a cancelled bot, whose other calls
         * all return -ECANCELED): the peer should still hear a close rather than a bare end
         * of stream, so the frame goes in one try, whatever the socket takes now. A bot cut
         * short says it is going away, whatever its caller meant to say. */
        if (leaving && code == MOB_WS_CLOSE_NORMAL)
            code = MOB_WS_CLOSE_GOING_AWAY;
        uint8_t frame[MOB_WS_MAX_HEADER + 2], p[2];
        size_t n = build_control(ws, MOB_WS_CLOSE, p, close_payload(code, p), frame);
        ssize_t w = mob_tls_maybe_write_now(ws->tls, ws->fd, frame, n);
        rc = w < 0 ? (int)w : 0;
        ws->state = MOB_WS_CLOSED;
    }
    while (ws->state == MOB_WS_CLOSING) {
        const void *d;
        ssize_t n = mob_ws_recv(self, ws, &d, NULL, deadline);
        if (n == -ENODATA) {
            rc = 0;
            break;
        }
        if (n < 0) {
            rc = (int)n;
            break;
        }
    }
    ws->state = MOB_WS_CLOSED;
    if (mob_cancelled(self))
        rc = -ECANCELED;
    if (ws->tls)
        mob_tls_close(self, ws->tls); /* close_notify, in one try as well */
    if (ws->fd >= 0)
        mob_close(self, ws->fd);
    ws->fd = -1;
    return rc;
}
