/* SPDX-License-Identifier: MIT */
/*
 * test_arena.c: the arena protocol, every message and every error, over both transports
 * (TCP length-prefixed frames and WebSocket), with the server and the clients as bots of one
 * loop. A client bot runs a script and checks each answer; the host asserts the totals.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mob.h"
#include "mob_arena.h"

#define SEC MOB_NS_PER_SEC

struct ctx {
    mob_arena *arena;
    int port, use_ws;
    int steps;     /* checks that passed */
    int failures;  /* checks that did not */
    int done;
    int64_t wait_ns;
};

static int64_t soon(mob_bot *self) { return mob_now(mob_bot_loop(self)) + 3 * SEC; }

#define CHECK(ctx, cond, ...)                                                                 \
    do {                                                                                       \
        if (cond)                                                                              \
            (ctx)->steps++;                                                                    \
        else                                                                                   \
            (ctx)->failures++;                                                                 \
        cr_expect(cond, __VA_ARGS__);                                                          \
    } while (0)

static int conn(mob_bot *self, struct ctx *x, mob_arena_client *c)
{
    int rc = mob_arena_connect(self, c, "127.0.0.1", x->port, x->use_ws, soon(self));
    CHECK(x, rc == 0, "connect: %d", rc);
    return rc;
}

/* Receives one message and checks its type. */
static int expect(mob_bot *self, struct ctx *x, mob_arena_client *c, int type, mob_arena_msg *m)
{
    int rc = mob_arena_recv(self, c, m, soon(self));
    CHECK(x, rc == 0 && m->type == type, "wanted %s, got rc %d type %s (code %d)",
          mob_arena_type_name(type), rc, rc ? "-" : mob_arena_type_name(m->type), m->code);
    return rc == 0 && m->type == type ? 0 : -1;
}

static void expect_error(mob_bot *self, struct ctx *x, mob_arena_client *c, int code,
                         const char *what)
{
    mob_arena_msg m;
    if (expect(self, x, c, MOB_ARENA_ERROR, &m) == 0)
        CHECK(x, m.code == code, "%s: wanted error %d (%s), got %d (%s)", what, code,
              mob_arena_error_name(code), m.code, mob_arena_error_name(m.code));
}

static void tx(mob_bot *self, struct ctx *x, mob_arena_client *c, mob_arena_msg m)
{
    int rc = mob_arena_send(self, c, &m, soon(self));
    CHECK(x, rc == 0, "send %s: %d", mob_arena_type_name(m.type), rc);
}

static void send_raw(mob_bot *self, struct ctx *x, mob_arena_client *c, const void *p,
                     size_t n)
{
    int rc = mob_arena_send_raw(self, c, p, n, soon(self));
    CHECK(x, rc == 0, "send raw: %d", rc);
}

static uint32_t login(mob_bot *self, struct ctx *x, mob_arena_client *c, const char *name)
{
    mob_arena_msg m;
    tx(self, x, c, (mob_arena_msg){.type = MOB_ARENA_LOGIN, .text = name,
                                     .text_len = strlen(name)});
    return expect(self, x, c, MOB_ARENA_WELCOME, &m) == 0 ? m.id : 0;
}

/* The connection still works: a PING gets its PONG. */
static void still_alive(mob_bot *self, struct ctx *x, mob_arena_client *c)
{
    mob_arena_msg m;
    tx(self, x, c, (mob_arena_msg){.type = MOB_ARENA_PING, .token = 77});
    if (expect(self, x, c, MOB_ARENA_PONG, &m) == 0)
        CHECK(x, m.token == 77, "pong token %u", m.token);
}

/* ---- every message --------------------------------------------------------------------- */

static intptr_t every_message(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client a, b;
    mob_arena_msg m;
    if (conn(self, x, &a) < 0 || conn(self, x, &b) < 0)
        goto out;
    still_alive(self, x, &a); /* PING works before LOGIN */
    uint32_t ida = login(self, x, &a, "alice");
    uint32_t idb = login(self, x, &b, "bob");
    CHECK(x, ida && idb && ida != idb, "ids %u %u", ida, idb);

    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_LIST});
    if (expect(self, x, &a, MOB_ARENA_ROOMS, &m) == 0) {
        CHECK(x, m.n == 4, "rooms %d", m.n);
        mob_arena_room_info ri;
        mob_arena_room_at(&m, 3, &ri);
        CHECK(x, ri.room == 3 && ri.players == 0 && ri.capacity == 3, "room 3: %d %d %d",
              ri.room, ri.players, ri.capacity);
    }

    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 2});
    if (expect(self, x, &a, MOB_ARENA_JOINED, &m) == 0)
        CHECK(x, m.room == 2 && m.n == 1, "joined room %d with %d", m.room, m.n);
    tx(self, x, &b, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 2});
    int bx = 0;
    if (expect(self, x, &b, MOB_ARENA_JOINED, &m) == 0) {
        CHECK(x, m.n == 2, "bob sees %d members", m.n);
        int seen = 0;
        for (int i = 0; i < m.n; i++) {
            mob_arena_member mem;
            mob_arena_member_at(&m, i, &mem);
            seen += mem.id == ida || mem.id == idb;
            if (mem.id == idb)
                bx = mem.x;
        }
        CHECK(x, seen == 2, "both members listed");
    }
    if (expect(self, x, &a, MOB_ARENA_PRESENCE, &m) == 0)
        CHECK(x, m.id == idb && m.joined == 1 && m.text_len == 3 && !memcmp(m.text, "bob", 3),
              "alice sees bob arrive");

    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_LIST});
    if (expect(self, x, &a, MOB_ARENA_ROOMS, &m) == 0) {
        mob_arena_room_info ri;
        mob_arena_room_at(&m, 2, &ri);
        CHECK(x, ri.players == 2, "room 2 has %d players", ri.players);
    }

    int dx = bx == 0 ? 1 : -1;
    tx(self, x, &b, (mob_arena_msg){.type = MOB_ARENA_MOVE, .dx = dx, .dy = 0});
    if (expect(self, x, &b, MOB_ARENA_MOVED, &m) == 0)
        CHECK(x, m.x == bx + dx, "moved to %d", m.x);
    if (expect(self, x, &a, MOB_ARENA_STATE, &m) == 0)
        CHECK(x, m.id == idb && m.x == bx + dx, "alice sees bob at %d", m.x);

    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_CHAT, .text = "h\xc3\xa9llo",
                                      .text_len = 6});
    for (int k = 0; k < 2; k++) {
        mob_arena_client *c = k ? &b : &a;
        if (expect(self, x, c, MOB_ARENA_CHATMSG, &m) == 0)
            CHECK(x, m.id == ida && m.text_len == 6 && !memcmp(m.text, "h\xc3\xa9llo", 6),
                  "chat reaches %s", k ? "bob" : "alice (the sender too)");
    }

    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_LEAVE});
    if (expect(self, x, &a, MOB_ARENA_LEFT, &m) == 0)
        CHECK(x, m.room == 2, "left room %d", m.room);
    if (expect(self, x, &b, MOB_ARENA_PRESENCE, &m) == 0)
        CHECK(x, m.id == ida && m.joined == 0, "bob sees alice leave");
    /* Alice may rejoin after leaving. */
    tx(self, x, &a, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 2});
    expect(self, x, &a, MOB_ARENA_JOINED, &m);
    expect(self, x, &b, MOB_ARENA_PRESENCE, &m);

    /* A disconnect counts as leaving. */
    mob_arena_disconnect(self, &a);
    if (expect(self, x, &b, MOB_ARENA_PRESENCE, &m) == 0)
        CHECK(x, m.id == ida && m.joined == 0, "bob sees alice drop");
    mob_arena_disconnect(self, &b);
out:
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

/* ---- every error ----------------------------------------------------------------------- */

static intptr_t every_error(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client c, d, e;
    mob_arena_msg m;
    if (conn(self, x, &c) < 0)
        goto out;
    send_raw(self, x, &c, "\x02", 1); /* LIST before LOGIN */
    expect_error(self, x, &c, MOB_ARENA_E_NOT_LOGGED_IN, "list before login");
    send_raw(self, x, &c, "", 0);
    expect_error(self, x, &c, MOB_ARENA_E_MALFORMED, "empty frame");
    send_raw(self, x, &c, "\x42", 1);
    expect_error(self, x, &c, MOB_ARENA_E_UNKNOWN, "unknown type");
    send_raw(self, x, &c, "\x81\0\0\0\1", 5);
    expect_error(self, x, &c, MOB_ARENA_E_UNKNOWN, "a server-to-client type");
    send_raw(self, x, &c, "\x01\x05" "ab", 4);
    expect_error(self, x, &c, MOB_ARENA_E_MALFORMED, "truncated LOGIN");
    send_raw(self, x, &c, "\x01\x00", 2);
    expect_error(self, x, &c, MOB_ARENA_E_BAD_NAME, "empty name");
    send_raw(self, x, &c, "\x01\x03" "a b", 5);
    expect_error(self, x, &c, MOB_ARENA_E_BAD_NAME, "name with a space");
    char longname[40];
    memset(longname, 'n', sizeof longname);
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_LOGIN, .text = longname,
                                      .text_len = MOB_ARENA_MAX_NAME + 1});
    expect_error(self, x, &c, MOB_ARENA_E_BAD_NAME, "name too long");
    login(self, x, &c, "carol");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_LOGIN, .text = "x", .text_len = 1});
    expect_error(self, x, &c, MOB_ARENA_E_ALREADY_LOGGED_IN, "second login");
    send_raw(self, x, &c, "\x02\x00", 2);
    expect_error(self, x, &c, MOB_ARENA_E_MALFORMED, "LIST with a trailing byte");
    send_raw(self, x, &c, "\x03\x00", 2);
    expect_error(self, x, &c, MOB_ARENA_E_MALFORMED, "JOIN cut short");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_MOVE, .dx = 1});
    expect_error(self, x, &c, MOB_ARENA_E_NOT_IN_ROOM, "move outside a room");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_CHAT, .text = "hi", .text_len = 2});
    expect_error(self, x, &c, MOB_ARENA_E_NOT_IN_ROOM, "chat outside a room");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_LEAVE});
    expect_error(self, x, &c, MOB_ARENA_E_NOT_IN_ROOM, "leave outside a room");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 4});
    expect_error(self, x, &c, MOB_ARENA_E_NO_SUCH_ROOM, "room 4 of 4");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 0});
    expect(self, x, &c, MOB_ARENA_JOINED, &m);
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 1});
    expect_error(self, x, &c, MOB_ARENA_E_ALREADY_IN_ROOM, "join twice");
    /* The grid is 1 x 1 here: standing still is the only legal move. */
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_MOVE, .dx = 1, .dy = 0});
    expect_error(self, x, &c, MOB_ARENA_E_BAD_MOVE, "off the grid");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_MOVE, .dx = 0, .dy = -2});
    expect_error(self, x, &c, MOB_ARENA_E_BAD_MOVE, "a step of 2");
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_MOVE, .dx = 0, .dy = 0});
    expect(self, x, &c, MOB_ARENA_MOVED, &m);
    send_raw(self, x, &c, "\x05\x00", 2);
    expect_error(self, x, &c, MOB_ARENA_E_BAD_TEXT, "empty chat");
    send_raw(self, x, &c, "\x05\x02\xc0\xaf", 4);
    expect_error(self, x, &c, MOB_ARENA_E_BAD_TEXT, "chat not UTF-8");
    char longtext[MOB_ARENA_MAX_TEXT + 1];
    memset(longtext, 't', sizeof longtext);
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_CHAT, .text = longtext,
                                      .text_len = sizeof longtext});
    expect_error(self, x, &c, MOB_ARENA_E_BAD_TEXT, "chat too long");

    /* Room 1 holds 3: two more fill it, the third is turned away. */
    if (conn(self, x, &d) < 0 || conn(self, x, &e) < 0)
        goto out;
    static mob_arena_client f;
    if (conn(self, x, &f) < 0)
        goto out;
    mob_arena_client *fill[3] = {&d, &e, &f};
    for (int i = 0; i < 3; i++) {
        char nm[8] = {'p', (char)('0' + i), 0};
        login(self, x, fill[i], nm);
    }
    for (int i = 0; i < 3; i++) /* capacity is 3: all three fit */
        tx(self, x, fill[i], (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 1});
    expect(self, x, &d, MOB_ARENA_JOINED, &m);
    expect(self, x, &e, MOB_ARENA_JOINED, &m);
    expect(self, x, &f, MOB_ARENA_JOINED, &m);
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_LEAVE});
    expect(self, x, &c, MOB_ARENA_LEFT, &m);
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 1});
    expect_error(self, x, &c, MOB_ARENA_E_ROOM_FULL, "room full");

    /* Too big: over TCP the frame is skipped and the connection lives on; over WebSocket
     * the message layer refuses it with close 1009. */
    static uint8_t big[MOB_ARENA_MAX_FRAME + 100];
    memset(big, 0x05, sizeof big);
    if (!x->use_ws) {
        static const mob_framing fr = {2, MOB_BIG_ENDIAN, 65535};
        ssize_t w = mob_write_frame(self, c.fd, &fr, big, sizeof big, soon(self));
        CHECK(x, w == (ssize_t)sizeof big, "big write %zd", w);
        expect_error(self, x, &c, MOB_ARENA_E_TOO_BIG, "frame over the limit");
        still_alive(self, x, &c);
    } else {
        ssize_t w = mob_ws_send(self, &c.ws, MOB_WS_TEXT, "hi", 2, soon(self));
        CHECK(x, w == 2, "text write %zd", w);
        expect_error(self, x, &c, MOB_ARENA_E_MALFORMED, "a text message");
        still_alive(self, x, &c);
        w = mob_ws_send(self, &c.ws, MOB_WS_BINARY, big, sizeof big, soon(self));
        CHECK(x, w == (ssize_t)sizeof big, "big write %zd", w);
        int rc = mob_arena_recv(self, &c, &m, soon(self));
        CHECK(x, rc == -ENODATA && c.ws.close_code == MOB_WS_CLOSE_TOO_BIG,
              "closed with 1009: rc %d code %d", rc, c.ws.close_code);
    }
    mob_arena_disconnect(self, &c);
    mob_arena_disconnect(self, &d);
    mob_arena_disconnect(self, &e);
    mob_arena_disconnect(self, &f);
out:
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

static void run(intptr_t (*fn)(mob_bot *, void *), struct ctx *x, mob_arena_options o,
                int use_ws)
{
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert(loop);
    o.port = use_ws ? -1 : 0;
    o.ws_port = use_ws ? 0 : -1;
    cr_assert_eq(mob_arena_start(loop, &o, &x->arena), 0);
    x->port = use_ws ? mob_arena_ws_port(x->arena) : mob_arena_port(x->arena);
    x->use_ws = use_ws;
    cr_assert_gt(x->port, 0);
    mob_spawn(loop, fn, x);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    mob_arena_free(x->arena);
    cr_assert(x->done);
    cr_assert_eq(x->failures, 0, "%d checks failed", x->failures);
}

static mob_arena_options small(void)
{
    mob_arena_options o = mob_arena_options_default();
    o.rooms = 4;
    o.room_capacity = 3;
    return o;
}

Test(arena, every_message_gets_its_answer_over_tcp, .timeout = 10)
{
    struct ctx x = {0};
    run(every_message, &x, small(), 0);
    cr_assert_geq(x.steps, 40);
}

Test(arena, every_message_gets_its_answer_over_websocket, .timeout = 10)
{
    struct ctx x = {0};
    run(every_message, &x, small(), 1);
    cr_assert_geq(x.steps, 40);
}

Test(arena, every_error_is_a_clear_error_frame_over_tcp, .timeout = 10)
{
    struct ctx x = {0};
    mob_arena_options o = small();
    o.grid_w = o.grid_h = 1;
    run(every_error, &x, o, 0);
    cr_assert_geq(x.steps, 60);
}

Test(arena, every_error_is_a_clear_error_frame_over_websocket, .timeout = 10)
{
    struct ctx x = {0};
    mob_arena_options o = small();
    o.grid_w = o.grid_h = 1;
    run(every_error, &x, o, 1);
    cr_assert_geq(x.steps, 60);
}

/* ---- limits: idle, full server, slow client -------------------------------------------- */

static intptr_t idle_client(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client c;
    mob_arena_msg m;
    if (conn(self, x, &c) == 0) {
        int64_t t0 = mob_now(mob_bot_loop(self));
        expect_error(self, x, &c, MOB_ARENA_E_IDLE, "idle");
        x->wait_ns = mob_now(mob_bot_loop(self)) - t0;
        int rc = mob_arena_recv(self, &c, &m, soon(self));
        CHECK(x, rc == -ENODATA, "closed after the idle error: %d", rc);
        mob_arena_disconnect(self, &c);
    }
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

Test(arena, an_idle_client_gets_an_error_then_is_closed, .timeout = 10)
{
    for (int ws = 0; ws < 2; ws++) {
        struct ctx x = {0};
        mob_arena_options o = small();
        o.idle_timeout_ns = SEC / 5;
        run(idle_client, &x, o, ws);
        cr_assert_geq(x.wait_ns, SEC / 5 - MOB_NS_PER_MS);
    }
}

static intptr_t full_server(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client a, b;
    if (conn(self, x, &a) == 0 && conn(self, x, &b) == 0) {
        login(self, x, &a, "first");
        tx(self, x, &b, (mob_arena_msg){.type = MOB_ARENA_LOGIN, .text = "second",
                                          .text_len = 6});
        expect_error(self, x, &b, MOB_ARENA_E_SERVER_FULL, "second player of one");
        mob_arena_disconnect(self, &a);
        mob_sleep(self, SEC / 50); /* let the server see the first one go */
        login(self, x, &b, "second");
        mob_arena_disconnect(self, &b);
    }
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

Test(arena, a_full_server_refuses_logins_until_someone_leaves, .timeout = 10)
{
    struct ctx x = {0};
    mob_arena_options o = small();
    o.max_players = 1;
    run(full_server, &x, o, 0);
}

/* A flooder chats while a deaf player in its room never reads: the deaf one must be dropped
 * and the flooder must keep getting its own echoes promptly. */
static intptr_t slow_client(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client deaf, loud;
    mob_arena_msg m;
    if (conn(self, x, &deaf) < 0 || conn(self, x, &loud) < 0)
        goto out;
    login(self, x, &deaf, "deaf");
    login(self, x, &loud, "loud");
    tx(self, x, &deaf, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 0});
    expect(self, x, &deaf, MOB_ARENA_JOINED, &m);
    tx(self, x, &loud, (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 0});
    expect(self, x, &loud, MOB_ARENA_JOINED, &m);
    char text[MOB_ARENA_MAX_TEXT];
    memset(text, 'z', sizeof text);
    mob_arena_stats st;
    int sent = 0;
    for (; sent < 100000; sent++) {
        mob_arena_get_stats(x->arena, &st);
        if (st.dropped_slow)
            break;
        mob_arena_msg ch = {.type = MOB_ARENA_CHAT, .text = text, .text_len = sizeof text};
        if (mob_arena_send(self, &loud, &ch, soon(self)) < 0)
            break;
        /* Skip the deaf one's PRESENCE; wait for our own echo. */
        int rc;
        while ((rc = mob_arena_recv(self, &loud, &m, soon(self))) == 0 &&
               m.type != MOB_ARENA_CHATMSG)
            ;
        if (rc < 0)
            break;
    }
    CHECK(x, st.dropped_slow == 1, "dropped %lld after %d chats", (long long)st.dropped_slow,
          sent);
    /* The flooder hears the deaf one leave, and its connection still answers. */
    int rc;
    while ((rc = mob_arena_recv(self, &loud, &m, soon(self))) == 0 &&
           m.type == MOB_ARENA_CHATMSG)
        ;
    CHECK(x, rc == 0 && m.type == MOB_ARENA_PRESENCE && !m.joined, "the deaf one left");
    still_alive(self, x, &loud);
    mob_arena_disconnect(self, &deaf);
    mob_arena_disconnect(self, &loud);
out:
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

Test(arena, a_client_that_does_not_read_is_dropped_and_the_others_go_on, .timeout = 30)
{
    struct ctx x = {0};
    mob_arena_options o = small();
    o.outq_size = 8 * 1024;
    o.write_timeout_ns = SEC / 2;
    run(slow_client, &x, o, 0);
}

/* ---- hostile input --------------------------------------------------------------------- */

/* Thousands of random frames (random types, lengths and bytes, some valid by chance), then a
 * PING must still get its PONG, and a fresh client must still be served. */
static intptr_t random_frames(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client c, d;
    mob_arena_msg m;
    if (conn(self, x, &c) < 0)
        goto out;
    uint32_t s = 12345;
    uint8_t frame[64];
    for (int i = 0; i < 3000; i++) {
        size_t n = 0;
        s = s * 1103515245u + 12345u;
        n = (s >> 16) % sizeof frame;
        for (size_t k = 0; k < n; k++) {
            s = s * 1103515245u + 12345u;
            frame[k] = (uint8_t)(s >> 16);
        }
        if (n && i % 3 == 0)
            frame[0] = (uint8_t)(1 + i % 7); /* a real type with random fields */
        if (mob_arena_send_raw(self, &c, frame, n, soon(self)) < 0)
            break;
        /* Drain what came back so our own socket never fills. */
        while (mob_arena_recv(self, &c, &m, MOB_NOW) == 0)
            ;
    }
    tx(self, x, &c, (mob_arena_msg){.type = MOB_ARENA_PING, .token = 9});
    int rc;
    /* Random PINGs got PONGs too: wait for ours. */
    while ((rc = mob_arena_recv(self, &c, &m, soon(self))) == 0 &&
           !(m.type == MOB_ARENA_PONG && m.token == 9))
        ;
    CHECK(x, rc == 0, "pong after the noise: rc %d", rc);
    mob_arena_stats st;
    mob_arena_get_stats(x->arena, &st);
    CHECK(x, st.frames_in >= 3000 && st.errors_sent > 1000 && st.dropped_slow == 0,
          "frames in %lld, errors %lld, dropped %lld", (long long)st.frames_in,
          (long long)st.errors_sent, (long long)st.dropped_slow);
    mob_arena_disconnect(self, &c);
    if (conn(self, x, &d) == 0) {
        login(self, x, &d, "after");
        mob_arena_disconnect(self, &d);
    }
out:
    x->done = 1;
    mob_arena_stop(x->arena);
    return 0;
}

Test(arena, random_frames_get_errors_and_the_server_lives_on, .timeout = 20)
{
    for (int ws = 0; ws < 2; ws++) {
        struct ctx x = {0};
        run(random_frames, &x, small(), ws);
    }
}

/* Stopping the arena with players connected ends their sessions cleanly: they read EOF, and
 * the loop ends with no bot, fd or timer left. */
static intptr_t stopped_under_me(mob_bot *self, void *arg)
{
    struct ctx *x = arg;
    static mob_arena_client c[2];
    mob_arena_msg m;
    for (int i = 0; i < 2; i++) { /* one of each transport */
        x->use_ws = i;
        x->port = i ? mob_arena_ws_port(x->arena) : mob_arena_port(x->arena);
        if (conn(self, x, &c[i]) < 0)
            goto out;
    }
    login(self, x, &c[0], "one");
    tx(self, x, &c[0], (mob_arena_msg){.type = MOB_ARENA_JOIN, .room = 1});
    expect(self, x, &c[0], MOB_ARENA_JOINED, &m);
    mob_arena_stop(x->arena);
    for (int i = 0; i < 2; i++) {
        int rc = mob_arena_recv(self, &c[i], &m, soon(self));
        CHECK(x, rc == -ENODATA || rc == -ECONNRESET, "client %d after stop: %d", i, rc);
        mob_arena_disconnect(self, &c[i]);
    }
out:
    x->done = 1;
    return 0;
}

Test(arena, stopping_with_players_connected_closes_them_and_leaks_nothing, .timeout = 10)
{
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert(loop);
    mob_arena_options o = small();
    o.port = 0;
    o.ws_port = 0;
    struct ctx x = {0};
    cr_assert_eq(mob_arena_start(loop, &o, &x.arena), 0);
    mob_spawn(loop, stopped_under_me, &x);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    mob_arena_free(x.arena);
    cr_assert(x.done);
    cr_assert_eq(x.failures, 0);
}
