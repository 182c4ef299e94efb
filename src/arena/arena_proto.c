/* SPDX-License-Identifier: MIT */
/*
 * arena_proto.c: the arena wire format (encode and decode every message of the table in
 * include/mob_arena.h) and the client side of a connection, over TCP length-prefixed frames
 * or WebSocket binary messages. Pure byte work plus thin calls into mob_io.h and mob_ws.h;
 * no allocation.
 *
 * Read next: src/arena/arena.c, the server that speaks it.
 */
#include <errno.h>
#include <string.h>

#include "mob_arena.h"

/* ---- byte cursor ----------------------------------------------------------------------- */

struct wr {
    uint8_t *p;
    size_t len, cap;
    int bad;
};

static void put8(struct wr *w, unsigned v)
{
    if (w->len + 1 > w->cap) {
        w->bad = 1;
        return;
    }
    w->p[w->len++] = (uint8_t)v;
}

static void put16(struct wr *w, unsigned v)
{
    put8(w, v >> 8 & 0xFF);
    put8(w, v & 0xFF);
}

static void put32(struct wr *w, uint32_t v)
{
    put16(w, v >> 16);
    put16(w, v & 0xFFFF);
}

static void putbytes(struct wr *w, const void *d, size_t n)
{
    if (w->len + n > w->cap) {
        w->bad = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->len, d, n);
    w->len += n;
}

static void putstr(struct wr *w, const char *s, size_t n)
{
    put8(w, (unsigned)n);
    putbytes(w, s, n);
}

struct rd {
    const uint8_t *p;
    size_t len, pos;
    int bad;
};

static unsigned get8(struct rd *r)
{
    if (r->pos + 1 > r->len) {
        r->bad = 1;
        return 0;
    }
    return r->p[r->pos++];
}

static unsigned get16(struct rd *r)
{
    unsigned hi = get8(r);
    return hi << 8 | get8(r);
}

static uint32_t get32(struct rd *r)
{
    uint32_t hi = get16(r);
    return hi << 16 | get16(r);
}

static int gets16(struct rd *r) { return (int16_t)get16(r); }

static const uint8_t *getbytes(struct rd *r, size_t n)
{
    if (r->pos + n > r->len) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static void getstr(struct rd *r, mob_arena_msg *m)
{
    size_t n = get8(r);
    m->text = (const char *)getbytes(r, n);
    m->text_len = r->bad ? 0 : n;
}

/* ---- messages -------------------------------------------------------------------------- */

#define ROOM_ENTRY 6   /* room:u16 players:u16 cap:u16 */
#define MEMBER_ENTRY 8 /* id:u32 x:i16 y:i16 */

int mob_arena_encode(const mob_arena_msg *m, void *out, size_t cap)
{
    struct wr w = {out, 0, cap, 0};
    if ((m->text || m->text_len) && m->text_len > 255)
        return -EINVAL;
    put8(&w, (unsigned)m->type);
    switch (m->type) {
    case MOB_ARENA_LOGIN:
    case MOB_ARENA_CHAT:
        putstr(&w, m->text, m->text_len);
        break;
    case MOB_ARENA_LIST:
    case MOB_ARENA_LEAVE:
        break;
    case MOB_ARENA_JOIN:
    case MOB_ARENA_LEFT:
        put16(&w, (unsigned)m->room);
        break;
    case MOB_ARENA_MOVE:
        put8(&w, (unsigned)(m->dx & 0xFF));
        put8(&w, (unsigned)(m->dy & 0xFF));
        break;
    case MOB_ARENA_PING:
    case MOB_ARENA_PONG:
        put32(&w, m->token);
        break;
    case MOB_ARENA_WELCOME:
        put32(&w, m->id);
        break;
    case MOB_ARENA_ROOMS:
        put16(&w, (unsigned)m->n);
        putbytes(&w, m->list, (size_t)m->n * ROOM_ENTRY);
        break;
    case MOB_ARENA_JOINED:
        put16(&w, (unsigned)m->room);
        put16(&w, (unsigned)m->n);
        putbytes(&w, m->list, (size_t)m->n * MEMBER_ENTRY);
        break;
    case MOB_ARENA_MOVED:
        put16(&w, (unsigned)(m->x & 0xFFFF));
        put16(&w, (unsigned)(m->y & 0xFFFF));
        break;
    case MOB_ARENA_STATE:
        put32(&w, m->id);
        put16(&w, (unsigned)(m->x & 0xFFFF));
        put16(&w, (unsigned)(m->y & 0xFFFF));
        break;
    case MOB_ARENA_CHATMSG:
        put32(&w, m->id);
        putstr(&w, m->text, m->text_len);
        break;
    case MOB_ARENA_PRESENCE:
        put32(&w, m->id);
        put8(&w, m->joined ? 1 : 0);
        put16(&w, (unsigned)(m->x & 0xFFFF));
        put16(&w, (unsigned)(m->y & 0xFFFF));
        putstr(&w, m->text, m->text_len);
        break;
    case MOB_ARENA_ERROR:
        put8(&w, (unsigned)m->code);
        putstr(&w, m->text, m->text_len);
        break;
    default:
        return -EINVAL;
    }
    return w.bad ? -ENOBUFS : (int)w.len;
}

int mob_arena_decode(const void *payload, size_t len, mob_arena_msg *m)
{
    memset(m, 0, sizeof *m);
    struct rd r = {payload, len, 0, 0};
    if (len == 0)
        return -EPROTO;
    m->type = (int)get8(&r);
    switch (m->type) {
    case MOB_ARENA_LOGIN:
    case MOB_ARENA_CHAT:
        getstr(&r, m);
        break;
    case MOB_ARENA_LIST:
    case MOB_ARENA_LEAVE:
        break;
    case MOB_ARENA_JOIN:
    case MOB_ARENA_LEFT:
        m->room = (int)get16(&r);
        break;
    case MOB_ARENA_MOVE:
        m->dx = (int8_t)get8(&r);
        m->dy = (int8_t)get8(&r);
        break;
    case MOB_ARENA_PING:
    case MOB_ARENA_PONG:
        m->token = get32(&r);
        break;
    case MOB_ARENA_WELCOME:
        m->id = get32(&r);
        break;
    case MOB_ARENA_ROOMS:
        m->n = (int)get16(&r);
        m->list = getbytes(&r, (size_t)m->n * ROOM_ENTRY);
        break;
    case MOB_ARENA_JOINED:
        m->room = (int)get16(&r);
        m->n = (int)get16(&r);
        m->list = getbytes(&r, (size_t)m->n * MEMBER_ENTRY);
        break;
    case MOB_ARENA_MOVED:
        m->x = gets16(&r);
        m->y = gets16(&r);
        break;
    case MOB_ARENA_STATE:
        m->id = get32(&r);
        m->x = gets16(&r);
        m->y = gets16(&r);
        break;
    case MOB_ARENA_CHATMSG:
        m->id = get32(&r);
        getstr(&r, m);
        break;
    case MOB_ARENA_PRESENCE:
        m->id = get32(&r);
        m->joined = (int)get8(&r);
        m->x = gets16(&r);
        m->y = gets16(&r);
        getstr(&r, m);
        break;
    case MOB_ARENA_ERROR:
        m->code = (int)get8(&r);
        getstr(&r, m);
        break;
    default:
        return -ENOTSUP;
    }
    if (r.bad || r.pos != len)
        return -EPROTO;
    return 0;
}

void mob_arena_room_at(const mob_arena_msg *m, int i, mob_arena_room_info *out)
{
    struct rd r = {m->list + (size_t)i * ROOM_ENTRY, ROOM_ENTRY, 0, 0};
    out->room = (int)get16(&r);
    out->players = (int)get16(&r);
    out->capacity = (int)get16(&r);
}

void mob_arena_member_at(const mob_arena_msg *m, int i, mob_arena_member *out)
{
    struct rd r = {m->list + (size_t)i * MEMBER_ENTRY, MEMBER_ENTRY, 0, 0};
    out->id = get32(&r);
    out->x = gets16(&r);
    out->y = gets16(&r);
}

const char *mob_arena_type_name(int type)
{
    switch (type) {
    case MOB_ARENA_LOGIN: return "LOGIN";
    case MOB_ARENA_LIST: return "LIST";
    case MOB_ARENA_JOIN: return "JOIN";
    case MOB_ARENA_MOVE: return "MOVE";
    case MOB_ARENA_CHAT: return "CHAT";
    case MOB_ARENA_LEAVE: return "LEAVE";
    case MOB_ARENA_PING: return "PING";
    case MOB_ARENA_WELCOME: return "WELCOME";
    case MOB_ARENA_ROOMS: return "ROOMS";
    case MOB_ARENA_JOINED: return "JOINED";
    case MOB_ARENA_MOVED: return "MOVED";
    case MOB_ARENA_STATE: return "STATE";
    case MOB_ARENA_CHATMSG: return "CHATMSG";
    case MOB_ARENA_LEFT: return "LEFT";
    case MOB_ARENA_PRESENCE: return "PRESENCE";
    case MOB_ARENA_PONG: return "PONG";
    case MOB_ARENA_ERROR: return "ERROR";
    default: return "?";
    }
}

const char *mob_arena_error_name(int code)
{
    static const char *names[] = {
        "?", "malformed message", "unknown message type", "not logged in",
        "already logged in", "bad name", "no such room", "room full", "not in a room",
        "already in a room", "bad move", "bad text", "frame too big", "idle timeout",
        "server full"};
    return code > 0 && code < (int)(sizeof names / sizeof names[0]) ? names[code] : "?";
}

/* ---- client ---------------------------------------------------------------------------- */

static const mob_framing arena_framing = {2, MOB_BIG_ENDIAN, MOB_ARENA_MAX_FRAME};

int mob_arena_connect(mob_bot *self, mob_arena_client *c, const char *host, int port,
                      int use_ws, int64_t deadline)
{
    c->use_ws = use_ws;
    if (use_ws) {
        int rc = mob_ws_connect(self, &c->ws, host, port, "/", NULL, c->buf, sizeof c->buf,
                                deadline);
        c->fd = rc < 0 ? -1 : c->ws.fd;
        return rc;
    }
    int fd = mob_tcp_connect(self, host, port, NULL, deadline);
    if (fd < 0) {
        c->fd = -1;
        return fd;
    }
    c->fd = fd;
    mob_rbuf_init(&c->rb, fd, c->buf, sizeof c->buf);
    return 0;
}

int mob_arena_send_raw(mob_bot *self, mob_arena_client *c, const void *p, size_t len,
                       int64_t deadline)
{
    ssize_t n;
    if (c->use_ws)
        n = mob_ws_send(self, &c->ws, MOB_WS_BINARY, p, len, deadline);
    else
        n = mob_write_frame(self, c->fd, &arena_framing, p, len, deadline);
    return n < 0 ? (int)n : 0;
}

int mob_arena_send(mob_bot *self, mob_arena_client *c, const mob_arena_msg *m,
                   int64_t deadline)
{
    int n = mob_arena_encode(m, c->frame, sizeof c->frame);
    if (n < 0)
        return n;
    return mob_arena_send_raw(self, c, c->frame, (size_t)n, deadline);
}

int mob_arena_recv(mob_bot *self, mob_arena_client *c, mob_arena_msg *m, int64_t deadline)
{
    const void *p;
    ssize_t n;
    if (c->use_ws) {
        int op;
        n = mob_ws_recv(self, &c->ws, &p, &op, deadline);
        if (n == -EPIPE)
            n = -ENODATA; /* the stream ended: for a player, the server is gone either way */
        if (n >= 0 && op != MOB_WS_BINARY)
            return -EPROTO;
    } else {
        char *fp;
        n = mob_read_frame(self, &c->rb, &arena_framing, &fp, deadline);
        p = fp;
    }
    if (n < 0)
        return (int)n;
    int rc = mob_arena_decode(p, (size_t)n, m);
    return rc == -ENOTSUP ? -EPROTO : rc;
}

void mob_arena_disconnect(mob_bot *self, mob_arena_client *c)
{
    if (c->fd < 0)
        return;
    if (c->use_ws)
        mob_ws_close(self, &c->ws, MOB_WS_CLOSE_NORMAL,
                     mob_now(mob_bot_loop(self)) + MOB_NS_PER_SEC);
    else
        mob_close(self, c->fd);
    c->fd = -1;
}
