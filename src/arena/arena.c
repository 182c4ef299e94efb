/* SPDX-License-Identifier: MIT */
/*
 * arena.c: the arena game server's world (the protocol is in mob_arena.h): logins, rooms,
 * moves and chat, applied frame by frame, and starting and stopping the server. The
 * connections that carry the frames are in arena_conn.c.
 *
 * The world is plain data touched only by bots of one loop on one thread: no locks.
 *
 * Read next: src/arena/arena_conn.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arena_server.h"

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

/* ---- the world ------------------------------------------------------------------------- */

static int send_msg(struct conn *c, const mob_arena_msg *m)
{
    uint8_t buf[MOB_ARENA_MAX_FRAME];
    int n = mob_arena_encode(m, buf, sizeof buf);
    MOB_ASSERT(n > 0, "arena: cannot encode %s (%d)", mob_arena_type_name(m->type), n);
    mob__arena_enqueue(c, buf, (size_t)n);
    return 0;
}

int mob__arena_send_error(struct conn *c, int code)
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
            mob__arena_enqueue(r->members[i], buf, (size_t)n);
    return 0;
}

void mob__arena_leave_room(struct conn *c)
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
        return mob__arena_send_error(c, MOB_ARENA_E_NO_SUCH_ROOM);
    if (c->room >= 0)
        return mob__arena_send_error(c, MOB_ARENA_E_ALREADY_IN_ROOM);
    struct room *r = &a->rooms[room];
    if (r->n >= a->opt.room_capacity)
        return mob__arena_send_error(c, MOB_ARENA_E_ROOM_FULL);
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

int mob__arena_handle(struct conn *c, const uint8_t *p, size_t len)
{
    mob_arena *a = c->a;
    mob_arena_msg m;
    a->st.frames_in++;
    int rc = mob_arena_decode(p, len, &m);
    if (rc == -ENOTSUP || (rc == 0 && m.type >= 0x80))
        return mob__arena_send_error(c, MOB_ARENA_E_UNKNOWN);
    if (rc < 0)
        return mob__arena_send_error(c, MOB_ARENA_E_MALFORMED);
    if (m.type == MOB_ARENA_PING) {
        mob_arena_msg r = {.type = MOB_ARENA_PONG, .token = m.token};
        return send_msg(c, &r);
    }
    if (m.type == MOB_ARENA_LOGIN) {
        if (c->id)
            return mob__arena_send_error(c, MOB_ARENA_E_ALREADY_LOGGED_IN);
        if (!valid_name(m.text, m.text_len))
            return mob__arena_send_error(c, MOB_ARENA_E_BAD_NAME);
        if (a->st.players_online >= a->opt.max_players)
            return mob__arena_send_error(c, MOB_ARENA_E_SERVER_FULL);
        c->id = ++a->next_id;
        memcpy(c->name, m.text, m.text_len);
        c->name_len = m.text_len;
        a->st.players_online++;
        mob_arena_msg r = {.type = MOB_ARENA_WELCOME, .id = c->id};
        return send_msg(c, &r);
    }
    if (!c->id)
        return mob__arena_send_error(c, MOB_ARENA_E_NOT_LOGGED_IN);
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
            return mob__arena_send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        int nx = c->x + m.dx, ny = c->y + m.dy;
        if (m.dx < -1 || m.dx > 1 || m.dy < -1 || m.dy > 1 || nx < 0 || ny < 0 ||
            nx >= a->opt.grid_w || ny >= a->opt.grid_h)
            return mob__arena_send_error(c, MOB_ARENA_E_BAD_MOVE);
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
            return mob__arena_send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        if (m.text_len == 0 || m.text_len > MOB_ARENA_MAX_TEXT ||
            !mob_ws_utf8_valid(m.text, m.text_len))
            return mob__arena_send_error(c, MOB_ARENA_E_BAD_TEXT);
        a->st.chats++;
        mob_arena_msg r = {.type = MOB_ARENA_CHATMSG, .id = c->id, .text = m.text,
                           .text_len = m.text_len};
        return broadcast(c, &r, 0);
    }
    case MOB_ARENA_LEAVE: {
        if (c->room < 0)
            return mob__arena_send_error(c, MOB_ARENA_E_NOT_IN_ROOM);
        int room = c->room;
        mob__arena_leave_room(c);
        mob_arena_msg r = {.type = MOB_ARENA_LEFT, .room = room};
        return send_msg(c, &r);
    }
    default:
        return mob__arena_send_error(c, MOB_ARENA_E_UNKNOWN);
    }
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
    if (a->lfd >= 0 && !(a->acceptor = mob_spawn_ex(loop, mob__arena_accept_main,
                                                     (void *)((intptr_t)a->lfd * 2), &so)))
        goto fail;
    if (a->ws_lfd >= 0 && !(a->ws_acceptor = mob_spawn_ex(loop, mob__arena_accept_main,
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
    for (struct conn *c = a->conns; c; c = c->next)
        mob_cancel(c->reader);
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
