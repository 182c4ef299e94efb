/* SPDX-License-Identifier: MIT */
/*
 * arena.c: the arena game server, written as mob bots (the protocol is in mob_arena.h).
 *
 * Bots. One accept bot per listener (TCP framed, WebSocket). Per connection, a reader bot
 * that reads frames, applies them to the world and answers, and a writer bot that drains the
 * connection's outgoing queue. Nobody but the writer writes to a connection's socket, so
 * frames never interleave and a broadcaster never waits on a slow client: it appends the
 * frame to each room-mate's queue and moves on. A queue that overflows, or a client that
 * takes no bytes for write_timeout, gets its connection shut down on purpose.
 *
 *   outq:  0 ....... out_start ======= out_end ....... out_cap
 *                    (being written)   (appended by anyone)
 *
 * Lifetimes. A connection is freed by whichever of its two bots returns last (refs). The
 * reader owns the fd; when the reader ends it lets the writer drain for a moment (so an
 * ERROR sent before closing arrives), cancels it, and closes the socket.
 *
 * The world is plain data touched only by bots of one loop on one thread: no locks.
 *
 * Read next: src/run/arena_player.c, tools/arena/main.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "mob_arena.h"

#define WS_BUF (MOB_WS_MAX_HANDSHAKE + 512) /* a browser's head with cookies fits */

struct conn;

struct room {
    struct conn **members;
    int n;
};

struct mob_arena {
    mob_loop *loop;
    mob_arena_options opt;
    int lfd, ws_lfd;
    int port, ws_port;
    mob_bot *acceptor, *ws_acceptor;
    struct room *rooms;
    struct mob__list conns;
    uint32_t next_id;
    int stopping;
    mob_arena_stats st;
};

struct conn {
    mob_arena *a;
    struct mob__list link; /* a->conns */
    int fd;
    int is_ws;
    int refs;              /* the reader and the writer */
    mob_bot *reader, *writer;
    uint32_t id;           /* player id once logged in, else 0 */
    char name[MOB_ARENA_MAX_NAME];
    size_t name_len;
    int room, slot, x, y;  /* room -1 when in none; slot is our index in its members */
    int closing;           /* the reader is done: the writer drains and returns */
    int broken;            /* the writer failed or the queue overflowed */
    int writer_parked;     /* the writer waits in mob__park for data */
    int writing;           /* the writer holds a pointer into outq */
    uint8_t *outq;
    size_t out_start, out_end;
    mob_ws ws;
    uint8_t wsbuf[];       /* WS_BUF bytes when is_ws */
};

mob_arena_options mob_arena_options_default(void)
{
    mob_arena_options o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = 0;
    o.ws_port = -1;
    o.rooms = 64;
    o.room_capacity = 16;
    o.grid_w = o.grid_h = 32;
    o.max_players = 20000;
    o.idle_timeout_ns = 60 * MOB_NS_PER_SEC;
    o.outq_size = 64 * 1024;
    o.write_timeout_ns = 5 * MOB_NS_PER_SEC;
    return o;
}

/* ---- outgoing queue -------------------------------------------------------------------- */

static void writer_unpark(mob_bot *bot)
{
    struct conn *c = bot->wait_obj;
    c->writer_parked = 0;
}

/* Shuts the socket so that the reader's next read ends; the reader does the cleanup. */
static void break_conn(struct conn *c)
{
    if (!c->broken) {
        c->broken = 1;
        shutdown(c->fd, SHUT_RDWR);
    }
}

/* Appends one frame (framing + payload) to c's queue and wakes its writer. A full queue
 * means the client does not keep up: it is dropped rather than let it slow the others. */
static void enqueue(struct conn *c, const uint8_t *payload, size_t len)
{
    mob_arena *a = c->a;
    if (c->broken || c->closing)
        return;
    size_t cap = a->opt.outq_size;
    size_t need = len + (c->is_ws ? MOB_WS_MAX_HEADER : 2);
    if (c->out_end + need > cap && !c->writing && c->out_start > 0) {
        memmove(c->outq, c->outq + c->out_start, c->out_end - c->out_start);
        c->out_end -= c->out_start;
        c->out_start = 0;
    }
    if (c->out_end + need > cap) {
        a->st.dropped_slow++;
        break_conn(c);
        return;
    }
    uint8_t *p = c->outq + c->out_end;
    if (c->is_ws) {
        ssize_t n = mob_ws_frame_build(p, cap - c->out_end, MOB_WS_BINARY, payload, len);
        c->out_end += (size_t)n;
    } else {
        p[0] = (uint8_t)(len >> 8);
        p[1] = (uint8_t)len;
        memcpy(p + 2, payload, len);
        c->out_end += len + 2;
    }
    a->st.frames_out++;
    if (c->writer_parked) {
        c->writer_parked = 0;
        mob__wake(c->writer, 0);
    }
}

/* The WebSocket layer's own frames (pongs, close replies) go through the queue too. */
static int ws_send_hook(void *ud, const void *bytes, size_t len)
{
    struct conn *c = ud;
    mob_arena *a = c->a;
    if (c->broken || c->closing)
        return -EPIPE;
    if (c->out_end + len > a->opt.outq_size) {
        a->st.dropped_slow++;
        break_conn(c);
        return -ENOBUFS;
    }
    memcpy(c->outq + c->out_end, bytes, len);
    c->out_end += len;
    if (c->writer_parked) {
        c->writer_parked = 0;
        mob__wake(c->writer, 0);
    }
    return 0;
}

static void conn_unref(struct conn *c)
{
    if (--c->refs == 0) {
        MOB_FREE(c->outq);
        MOB_FREE(c);
    }
}

static intptr_t writer_main(mob_bot *self, void *arg)
{
    struct conn *c = arg;
    mob_arena *a = c->a;
    for (;;) {
        if (c->out_start == c->out_end) {
            c->out_start = c->out_end = 0;
            if (c->closing || c->broken)
                break;
            c->writer_parked = 1;
            int rc = mob__park(self, MOB_FOREVER, writer_unpark, c);
            c->writer_parked = 0;
            if (rc < 0)
                break;
            continue;
        }
        size_t end = c->out_end;
        c->writing = 1;
        ssize_t n = mob_write_all(self, c->fd, c->outq + c->out_start, end - c->out_start,
                                  mob_now(a->loop) + a->opt.write_timeout_ns);
        c->writing = 0;
        if (n < 0) {
            if (n == -ETIMEDOUT)
                a->st.dropped_slow++;
            if (n != -ECANCELED)
                break_conn(c);
            break;
        }
        c->out_start = end;
    }
    conn_unref(c);
    return 0;
}

/* ---- the world ------------------------------------------------------------------------- */

static int send_msg(struct conn *c, const mob_arena_msg *m)
{
    uint8_t buf[MOB_ARENA_MAX_FRAME];
    int n = mob_arena_encode(m, buf, sizeof buf);
    MOB_ASSERT(n > 0, "arena: cannot encode %s (%d)", mob_arena_type_name(m->type), n);
    enqueue(c, buf, (size_t)n);
    return 0;
}

static int send_error(struct conn *c, int code)
{
    const char *t = mob_arena_error_name(code);
    mob_arena_msg m = {.type = MOB_ARENA_ERROR, .code = code, .text = t, .text_len = strlen(t)};
    c->a->st.errors_sent++;
    return send_msg(c, &m);
}

/* Sends m to every member of c's room, except c when skip_self. Encodes once. */
static int broadcast(struct conn *c, const mob_arena_msg *m, int skip_self)
{
    uint8_t buf[MOB_ARENA_MAX_FRAME];
    int n = mob_arena_encode(m, buf, sizeof buf);
    MOB_ASSERT(n > 0, "arena: cannot encode %s (%d)", mob_arena_type_name(m->type), n);
    struct room *r = &c->a->rooms[c->room];
    for (int i = 0; i < r->n; i++)
        if (!skip_self || r->members[i] != c)
            enqueue(r->members[i], buf, (size_t)n);
    return 0;
}

static void leave_room(struct conn *c)
{
    if (c->room < 0)
        return;
    struct room *r = &c->a->rooms[c->room];
    r->members[c->slot] = r->members[r->n - 1];
    r->members[c->slot]->slot = c->slot;
    r->n--;
    mob_arena_msg m = {.type = MOB_ARENA_PRESENCE, .id = c->id, .joined = 0, .x = c->x,
                       .y = c->y, .text = c->name, .text_len = c->name_len};
    broadcast(c, &m, 1); /* we are out of the members already */
    c->room = -1;
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > MOB_ARENA_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return 1;
}

static int do_join(struct conn *c, int room)
{
    mob_arena *a = c->a;
    if (room < 0 || room >= a->opt.rooms)
        return send_error(c, MOB_ARENA_E_NO_SUCH_ROOM);
    if (c->room >= 0)
        return send_error(c, MOB_ARENA_E_ALREADY_IN_ROOM);
    struct room *r = &a->rooms[room];
    if (r->n >= a->opt.room_capacity)
        return send_error(c, MOB_ARENA_E_ROOM_FULL);
    c->room = room;
    c->slot = r->n;
    r->members[r->n++] = c;
    /* Spread newcomers over the grid so that moves have somewhere to go. */
    c->x = (int)(c->id * 7u % (unsigned)a->opt.grid_w);
    c->y = (int)(c->id * 13u % (unsigned)a->opt.grid_h);
    a->st.joins++;
    uint8_t list[MOB_ARENA_MAX_MEMBERS * 8];
    for (int i = 0; i < r->n; i++) {
        struct conn *m = r->members[i];
        uint8_t *p = list + 8 * i;
        p[0] = (uint8_t)(m->id >> 24);
        p[1] = (uint8_t)(m->id >> 16);
        p[2] = (uint8_t)(m->id >> 8);
        p[3] = (uint8_t)m->id;
        p[4] = (uint8_t)((unsigned)m->x >> 8);
        p[5] = (uint8_t)m->x;
        p[6] = (uint8_t)((unsigned)m->y >> 8);
        p[7] = (uint8_t)m->y;
    }
    mob_arena_msg j = {.type = MOB_ARENA_JOINED, .room = room, .n = r->n, .list = list};
    send_msg(c, &j);
    mob_arena_msg p = {.type = MOB_ARENA_PRESENCE, .id = c->id, .joined = 1, .x = c->x,
                       .y = c->y, .text = c->name, .text_len = c->name_len};
    return broadcast(c, &p, 1);
}

/* Applies one client frame to the world. Every bad message gets exactly one ERROR. */
static int handle(struct conn *c, const uint8_t *p, size_t len)
{
    mob_arena *a = c->a;
    mob_arena_msg m;
    a->st.frames_in++;
    int rc = mob_arena_decode(p, len, &m);
    if (rc == -ENOTSUP || (rc == 0 && m.type >= 0x80))
        return send_error(c, MOB_ARENA_E_UNKNOWN);
    if (rc < 0)
        return send_error(c, MOB_ARENA_E_MALFORMED);
    if (m.type == MOB_ARENA_PING) {
        mob_arena_msg r = {.type = MOB_ARENA_PONG, .token = m.token};
        return send_msg(c, &r);
    }
    if (m.type == MOB_ARENA_LOGIN) {
        if (c->id)
            return send_error(c, MOB_ARENA_E_ALREADY_LOGGED_IN);
        if (!valid_name(m.text, m.text_len))
            return send_error(c, MOB_ARENA_E_BAD_NAME);
        if (a->st.players_online >= a->opt.max_players)
            return send_error(c, MOB_ARENA_E_SERVER_FULL);
        c->id = ++a->next_id;
        memcpy(c->name, m.text, m.text_len);
        c->name_len = m.text_len;
        a->st.players_online++;
        mob_arena_msg r = {.type = MOB_ARENA_WELCOME, .id = c->id};
        return send_msg(c, &r);
    }
    if (!c->id)
        return send_error(c, MOB_ARENA_E_NOT_LOGGED_IN);
    switch (m.type) {
    case MOB_ARENA_LIST: {
        /* One frame holds 170 rooms: LIST shows the first ones. */
        uint8_t list[6 * MOB_ARENA_LIST_ROOMS];
        int nr = a->opt.rooms < MOB_ARENA_LIST_ROOMS ? a->opt.rooms : MOB_ARENA_LIST_ROOMS;
        for (int i = 0; i < nr; i++) {
            uint8_t *q = list + 6 * i;
            int v[3] = {i, a->rooms[i].n, a->opt.room_capacity};
            for (int k = 0; k < 3; k++) {
                q[2 * k] = (uint8_t)(v[k] >> 8);
                q[2 * k + 1] = (uint8_t)v[k];
            }
        }
        mob_arena_msg r = {.type = MOB_ARENA_ROOMS, .n = nr, .list = list};
        return send_msg(c, &r);
    }
    case MOB_ARENA_JOIN:
        return do_join(c, m.room);
    case MOB_ARENA_MOVE: {
        if (c->room < 0)
            return send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        int nx = c->x + m.dx, ny = c->y + m.dy;
        if (m.dx < -1 || m.dx > 1 || m.dy < -1 || m.dy > 1 || nx < 0 || ny < 0 ||
            nx >= a->opt.grid_w || ny >= a->opt.grid_h)
            return send_error(c, MOB_ARENA_E_BAD_MOVE);
        c->x = nx;
        c->y = ny;
        a->st.moves++;
        mob_arena_msg r = {.type = MOB_ARENA_MOVED, .x = nx, .y = ny};
        send_msg(c, &r);
        mob_arena_msg s = {.type = MOB_ARENA_STATE, .id = c->id, .x = nx, .y = ny};
        return broadcast(c, &s, 1);
    }
    case MOB_ARENA_CHAT: {
        if (c->room < 0)
            return send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        if (m.text_len == 0 || m.text_len > MOB_ARENA_MAX_TEXT ||
            !mob_ws_utf8_valid(m.text, m.text_len))
            return send_error(c, MOB_ARENA_E_BAD_TEXT);
        a->st.chats++;
        mob_arena_msg r = {.type = MOB_ARENA_CHATMSG, .id = c->id, .text = m.text,
                           .text_len = m.text_len};
        return broadcast(c, &r, 0);
    }
    case MOB_ARENA_LEAVE: {
        if (c->room < 0)
            return send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        int room = c->room;
        leave_room(c);
        mob_arena_msg r = {.type = MOB_ARENA_LEFT, .room = room};
        return send_msg(c, &r);
    }
    default:
        return send_error(c, MOB_ARENA_E_UNKNOWN);
    }
}

/* ---- connections ----------------------------------------------------------------------- */

/*
 * Back-pressure on a pipelining client: its answers go to its own queue, and a client that
 * sends a burst of requests must not overflow it just because the writer has not had a turn
 * yet. So the reader stops reading while the queue is over half full, and lets the writer
 * drain it. A client that truly does not read is dropped by the writer's timeout instead.
 */
static int drain_own_queue(mob_bot *self, struct conn *c)
{
    int rc = mob_yield(self);
    while (rc == 0 && !c->broken && c->out_end - c->out_start > c->a->opt.outq_size / 2)
        rc = mob_sleep(self, MOB_NS_PER_MS);
    return rc;
}

static int64_t idle_deadline(mob_arena *a)
{
    return a->opt.idle_timeout_ns > 0 ? mob_now(a->loop) + a->opt.idle_timeout_ns
                                      : MOB_FOREVER;
}

/* Reads TCP frames until the stream ends, the client idles (it hears why) or breaks the
 * rules. Returns the reason. */
static int serve_tcp(mob_bot *self, struct conn *c)
{
    char storage[MOB_ARENA_MAX_FRAME + 2];
    mob_rbuf rb;
    mob_rbuf_init(&rb, c->fd, storage, sizeof storage);
    for (;;) {
        char *p;
        int64_t dl = idle_deadline(c->a);
        ssize_t n = mob_rbuf_read_exact(self, &rb, 2, &p, dl);
        if (n == -ETIMEDOUT)
            send_error(c, MOB_ARENA_E_IDLE); /* then the reader closes */
        if (n < 0)
            return (int)n;
        size_t len = (size_t)(uint8_t)p[0] << 8 | (uint8_t)p[1];
        if (len > MOB_ARENA_MAX_FRAME) {
            /* Skip it so the stream stays in step; the client hears why. */
            send_error(c, MOB_ARENA_E_TOO_BIG);
            while (len > 0) {
                size_t k = len < MOB_ARENA_MAX_FRAME ? len : MOB_ARENA_MAX_FRAME;
                n = mob_rbuf_read_exact(self, &rb, k, &p, dl);
                if (n < 0)
                    return (int)n;
                len -= k;
            }
            continue;
        }
        n = mob_rbuf_read_exact(self, &rb, len, &p, dl);
        if (n < 0)
            return (int)n;
        handle(c, (const uint8_t *)p, len);
        if (c->out_end - c->out_start > c->a->opt.outq_size / 2 &&
            (n = drain_own_queue(self, c)) < 0)
            return (int)n;
        if (c->broken)
            return -EPIPE;
    }
}

static int serve_ws(mob_bot *self, struct conn *c)
{
    int rc = mob_ws_accept(self, &c->ws, c->fd, c->wsbuf, WS_BUF, NULL,
                           mob_now(c->a->loop) + 10 * MOB_NS_PER_SEC);
    if (rc < 0)
        return rc;
    c->ws.max_message = MOB_ARENA_MAX_FRAME;
    c->ws.send_fn = ws_send_hook;
    c->ws.send_ud = c;
    for (;;) {
        const void *p;
        int op;
        ssize_t n = mob_ws_recv(self, &c->ws, &p, &op, idle_deadline(c->a));
        if (n == -ETIMEDOUT) {
            /* The ERROR says why, the close frame ends the session properly. */
            static const uint8_t close[4] = {0x88, 0x02, 0x03, 0xe8};
            send_error(c, MOB_ARENA_E_IDLE);
            ws_send_hook(c, close, sizeof close);
        }
        if (n < 0)
            return (int)n;
        if (op != MOB_WS_BINARY)
            send_error(c, MOB_ARENA_E_MALFORMED);
        else
            handle(c, p, (size_t)n);
        if (c->out_end - c->out_start > c->a->opt.outq_size / 2 &&
            (n = drain_own_queue(self, c)) < 0)
            return (int)n;
        if (c->broken)
            return -EPIPE;
    }
}

static intptr_t reader_main(mob_bot *self, void *arg)
{
    struct conn *c = arg;
    mob_arena *a = c->a;
    mob_fd_adopt(self, c->fd);
    c->writer = mob_spawn(a->loop, writer_main, c);
    if (!c->writer) {
        c->refs--;
        goto out;
    }
    if (c->is_ws)
        serve_ws(self, c);
    else
        serve_tcp(self, c);
out:
    leave_room(c);
    if (c->id)
        a->st.players_online--;
    c->closing = 1;
    if (c->writer) {
        if (c->writer_parked) {
            c->writer_parked = 0;
            mob__wake(c->writer, 0);
        }
        if (!mob_cancelled(self))
            mob_join(self, c->writer, NULL, mob_now(a->loop) + MOB_NS_PER_SEC);
        mob_cancel(c->writer);
    }
    mob__list_remove(&c->link);
    mob_close(self, c->fd);
    conn_unref(c);
    return 0;
}

/*
 * One listener's accept loop. arg carries the listening fd and the transport (lfd * 2 +
 * is_ws), so that a bot cancelled before its first turn never touches the arena: a failed
 * mob_arena_start may free it at once.
 */
static intptr_t accept_main(mob_bot *self, void *arg)
{
    int lfd = (int)((intptr_t)arg >> 1);
    int is_ws = (int)((intptr_t)arg & 1);
    for (;;) {
        int fd = mob_accept(self, lfd, MOB_FOREVER);
        if (fd == -ECANCELED)
            break;
        mob_arena *a = mob_bot_user(self);
        if (a->stopping) {
            if (fd >= 0)
                mob_close(self, fd);
            break;
        }
        if (fd < 0) {
            /* Out of fds or a connection reset before accept: breathe and go on. */
            if (mob_sleep(self, 10 * MOB_NS_PER_MS) < 0)
                break;
            continue;
        }
        a->st.connections++;
        size_t extra = is_ws ? WS_BUF : 0;
        struct conn *c = MOB_CALLOC(1, sizeof *c + extra);
        uint8_t *q = c ? MOB_MALLOC(a->opt.outq_size) : NULL;
        if (!q) {
            MOB_FREE(c);
            mob_close(self, fd);
            continue;
        }
        c->a = a;
        c->fd = fd;
        c->is_ws = is_ws;
        c->refs = 2;
        c->room = -1;
        c->outq = q;
        mob__list_init(&c->link);
        mob_fd_release(self, fd);
        c->reader = mob_spawn(a->loop, reader_main, c);
        if (!c->reader) {
            MOB_FREE(q);
            MOB_FREE(c);
            mob_fd_adopt(self, fd);
            mob_close(self, fd);
            continue;
        }
        mob__list_push_back(&a->conns, &c->link);
    }
    mob_close(self, lfd);
    return 0;
}

/* ---- start and stop -------------------------------------------------------------------- */

static int open_listener(mob_arena *a, int port, int *lfd, int *bound)
{
    *lfd = -1;
    *bound = -1;
    if (port < 0)
        return 0;
    int fd = mob_tcp_listen(NULL, a->opt.host, port, 4096);
    if (fd < 0)
        return fd;
    *lfd = fd;
    *bound = mob_local_port(fd);
    return 0;
}

int mob_arena_start(mob_loop *loop, const mob_arena_options *opt, mob_arena **out)
{
    mob_arena_options o = opt ? *opt : mob_arena_options_default();
    if (!o.host)
        o.host = "127.0.0.1";
    if (o.rooms <= 0 || o.rooms > MOB_ARENA_MAX_ROOMS || o.room_capacity <= 0 ||
        o.room_capacity > MOB_ARENA_MAX_MEMBERS || o.grid_w <= 0 || o.grid_h <= 0 ||
        o.grid_w > 32767 || o.grid_h > 32767 || o.outq_size < 4 * MOB_ARENA_MAX_FRAME ||
        (o.port < 0 && o.ws_port < 0))
        return -EINVAL;
    if (o.write_timeout_ns <= 0)
        o.write_timeout_ns = 5 * MOB_NS_PER_SEC;
    mob_arena *a = MOB_CALLOC(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    a->loop = loop;
    a->opt = o;
    a->lfd = a->ws_lfd = -1;
    mob__list_init(&a->conns);
    int rc = -ENOMEM;
    a->rooms = MOB_CALLOC((size_t)o.rooms, sizeof *a->rooms);
    if (!a->rooms)
        goto fail;
    for (int i = 0; i < o.rooms; i++) {
        a->rooms[i].members = MOB_CALLOC((size_t)o.room_capacity, sizeof(struct conn *));
        if (!a->rooms[i].members)
            goto fail;
    }
    rc = open_listener(a, o.port, &a->lfd, &a->port);
    if (rc == 0)
        rc = open_listener(a, o.ws_port, &a->ws_lfd, &a->ws_port);
    if (rc < 0)
        goto fail;
    /* Detached: the server outlives a bot that starts it (a test's setup bot). */
    mob_spawn_options so = {.user = a, .detached = 1};
    rc = -ENOMEM;
    if (a->lfd >= 0 && !(a->acceptor = mob_spawn_ex(loop, accept_main,
                                                     (void *)((intptr_t)a->lfd * 2), &so)))
        goto fail;
    if (a->ws_lfd >= 0 && !(a->ws_acceptor = mob_spawn_ex(loop, accept_main,
                                                           (void *)((intptr_t)a->ws_lfd * 2 + 1),
                                                           &so)))
        goto fail;
    /* From here on the accept bots close their listeners when they end. */
    *out = a;
    return 0;
fail:
    /* A cancelled acceptor closes its own listener and never looks at the arena. */
    if (a->acceptor)
        mob_cancel(a->acceptor);
    else if (a->lfd >= 0)
        mob_close(NULL, a->lfd);
    if (a->ws_lfd >= 0)
        mob_close(NULL, a->ws_lfd);
    mob_arena_free(a);
    return rc;
}

int mob_arena_port(const mob_arena *a) { return a->port; }
int mob_arena_ws_port(const mob_arena *a) { return a->ws_port; }

void mob_arena_stop(mob_arena *a)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    if (a->acceptor)
        mob_cancel(a->acceptor);
    if (a->ws_acceptor)
        mob_cancel(a->ws_acceptor);
    struct mob__list *it;
    mob__list_foreach(it, &a->conns)
    {
        struct conn *c = mob__container_of(it, struct conn, link);
        mob_cancel(c->reader);
    }
}

void mob_arena_get_stats(const mob_arena *a, mob_arena_stats *out) { *out = a->st; }

void mob_arena_free(mob_arena *a)
{
    if (!a)
        return;
    if (a->rooms)
        for (int i = 0; i < a->opt.rooms; i++)
            MOB_FREE(a->rooms[i].members);
    MOB_FREE(a->rooms);
    MOB_FREE(a);
}
