/* SPDX-License-Identifier: MIT */
/*
 * arena_server.h: what the arena's world (arena.c) and its connections (arena_conn.c) share,
 * and nobody else sees. Like any program built on mob, the arena uses only the public
 * headers: it is the demo and test target, not part of the runtime.
 */
#ifndef MOB_ARENA_SERVER_H
#define MOB_ARENA_SERVER_H

#include "mob_arena.h"
#include "mob_base.h"

#define ARENA_WS_BUF (MOB_WS_MAX_HANDSHAKE + 512) /* a browser's head with cookies fits */

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
    struct conn *conns;   /* every connection, for mob_arena_stop */
    uint32_t next_id;
    int stopping;
    mob_arena_stats st;
};

struct conn {
    mob_arena *a;
    struct conn *prev, *next; /* a->conns */
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
    mob_event *wake;       /* set when there is something to write (or to notice) */
    int writing;           /* the writer holds a pointer into outq */
    uint8_t *outq;
    size_t out_start, out_end;
    mob_ws ws;
    uint8_t wsbuf[];       /* ARENA_WS_BUF bytes when is_ws */
};

/* arena.c: applies one client frame to the world; every bad message gets exactly one ERROR. */
int mob__arena_handle(struct conn *c, const uint8_t *p, size_t len);
/* arena.c: takes c out of its room (telling the others), if it is in one. */
void mob__arena_leave_room(struct conn *c);
/* arena.c: sends an ERROR frame with `code` to c. */
int mob__arena_send_error(struct conn *c, int code);

/* arena_conn.c: appends one frame (framing + payload) to c's queue and wakes its writer. */
void mob__arena_enqueue(struct conn *c, const uint8_t *payload, size_t len);
/* arena_conn.c: one listener's accept loop (arg: lfd * 2 + is_ws). */
intptr_t mob__arena_accept_main(mob_bot *self, void *arg);

#endif /* MOB_ARENA_SERVER_H */
