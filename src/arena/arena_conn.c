/* SPDX-License-Identifier: MIT */
/*
 * arena_conn.c: the arena's connections, written as mob bots. One accept bot per listener
 * (TCP framed, WebSocket). Per connection, a reader bot that reads frames, applies them to
 * the world (arena.c) and answers, and a writer bot that drains the connection's outgoing
 * queue. Nobody but the writer writes to a connection's socket, so frames never interleave
 * and a broadcaster never waits on a slow client: it appends the frame to each room-mate's
 * queue and moves on. A queue that overflows, or a client that takes no bytes for
 * write_timeout, gets its connection shut down on purpose.
 *
 *   outq:  0 ....... out_start ======= out_end ....... out_cap
 *                    (being written)   (appended by anyone)
 *
 * The writer waits on its connection's mob_event, which every append sets.
 *
 * Lifetimes. A connection is freed by whichever of its two bots returns last (refs). The
 * reader owns the fd; when the reader ends it lets the writer drain for a moment (so an
 * ERROR sent before closing arrives), cancels it, and closes the socket.
 *
 * Read next: src/arena/arena_player.c, tools/arena/main.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "arena_server.h"

/* ---- outgoing queue -------------------------------------------------------------------- */

/* Shuts the socket so that the reader's next read ends; the reader does the cleanup. */
static void break_conn(struct conn *c)
{
    if (!c->broken) {
        c->broken = 1;
        shutdown(c->fd, SHUT_RDWR);
    }
}

/* A full queue means the client does not keep up: it is dropped rather than let it slow the
 * others. */
void mob__arena_enqueue(struct conn *c, const uint8_t *payload, size_t len)
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
    mob_event_set(c->wake);
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
    mob_event_set(c->wake);
    return 0;
}

static void conn_unref(struct conn *c)
{
    if (--c->refs == 0) {
        mob_event_free(c->wake);
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
            mob_event_clear(c->wake);
            if (mob_event_wait(self, c->wake, MOB_FOREVER) < 0)
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
            mob__arena_send_error(c, MOB_ARENA_E_IDLE); /* then the reader closes */
        if (n < 0)
            return (int)n;
        size_t len = (size_t)(uint8_t)p[0] << 8 | (uint8_t)p[1];
        if (len > MOB_ARENA_MAX_FRAME) {
            /* Skip it so the stream stays in step; the client hears why. */
            mob__arena_send_error(c, MOB_ARENA_E_TOO_BIG);
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
        mob__arena_handle(c, (const uint8_t *)p, len);
        if (c->out_end - c->out_start > c->a->opt.outq_size / 2 &&
            (n = drain_own_queue(self, c)) < 0)
            return (int)n;
        if (c->broken)
            return -EPIPE;
    }
}

static int serve_ws(mob_bot *self, struct conn *c)
{
    int rc = mob_ws_accept(self, &c->ws, c->fd, c->wsbuf, ARENA_WS_BUF, NULL,
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
            mob__arena_send_error(c, MOB_ARENA_E_IDLE);
            ws_send_hook(c, close, sizeof close);
        }
        if (n < 0)
            return (int)n;
        if (op != MOB_WS_BINARY)
            mob__arena_send_error(c, MOB_ARENA_E_MALFORMED);
        else
            mob__arena_handle(c, p, (size_t)n);
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
    mob__arena_leave_room(c);
    if (c->id)
        a->st.players_online--;
    c->closing = 1;
    if (c->writer) {
        mob_event_set(c->wake);
        if (!mob_cancelled(self))
            mob_join(self, c->writer, NULL, mob_now(a->loop) + MOB_NS_PER_SEC);
        mob_cancel(c->writer);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        a->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    mob_close(self, c->fd);
    conn_unref(c);
    return 0;
}

/*
 * One listener's accept loop. arg carries the listening fd and the transport (lfd * 2 +
 * is_ws), so that a bot cancelled before its first turn never touches the arena: a failed
 * mob_arena_start may free it at once.
 */
intptr_t mob__arena_accept_main(mob_bot *self, void *arg)
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
        size_t extra = is_ws ? ARENA_WS_BUF : 0;
        struct conn *c = MOB_CALLOC(1, sizeof *c + extra);
        uint8_t *q = c ? MOB_MALLOC(a->opt.outq_size) : NULL;
        mob_event *wake = q ? mob_event_new(a->loop) : NULL;
        if (!wake) {
            MOB_FREE(q);
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
        c->wake = wake;
        mob_fd_release(self, fd);
        c->reader = mob_spawn(a->loop, reader_main, c);
        if (!c->reader) {
            mob_event_free(wake);
            MOB_FREE(q);
            MOB_FREE(c);
            mob_fd_adopt(self, fd);
            mob_close(self, fd);
            continue;
        }
        c->next = a->conns;
        if (a->conns)
            a->conns->prev = c;
        a->conns = c;
    }
    mob_close(self, lfd);
    return 0;
}
