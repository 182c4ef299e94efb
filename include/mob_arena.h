/* SPDX-License-Identifier: MIT */
/*
 * mob_arena.h: arena, a small multiplayer game server written on mob itself, its wire
 * protocol, and the player bot that plays it.
 *
 * Players log in with a name, list and join rooms, move on a grid, chat, and receive their
 * room's state and chat as broadcasts. The server runs as bots in a mob loop: one accept bot
 * per listener, and per connection one reader bot and one writer bot that drains the
 * connection's outgoing queue, so a slow client never blocks the others (its queue fills and
 * it is disconnected on purpose). build/arena runs it stand-alone; a test or the mob CLI runs
 * it in-process next to the bots that hit it.
 *
 * Transport. Every message is one frame. Over TCP a frame is a 2-byte big-endian length then
 * the payload (mob_read_frame with prefix 2); over WebSocket it is one binary message. The
 * payload is a type byte then fields, integers big-endian, strings as a 1-byte length then
 * bytes:
 *
 *   client -> server                      server -> client
 *   LOGIN  0x01 name:str                  WELCOME  0x81 id:u32
 *   LIST   0x02                           ROOMS    0x82 n:u16 {room:u16 players:u16 cap:u16}*n
 *   JOIN   0x03 room:u16                  JOINED   0x83 room:u16 n:u16 {id:u32 x:i16 y:i16}*n
 *   MOVE   0x04 dx:i8 dy:i8               MOVED    0x84 x:i16 y:i16          (ack, to mover)
 *   CHAT   0x05 text:str                  STATE    0x85 id:u32 x:i16 y:i16   (room broadcast)
 *   LEAVE  0x06                           CHATMSG  0x86 id:u32 text:str      (room, incl. sender)
 *   PING   0x07 token:u32                 LEFT     0x87 room:u16
 *                                         PRESENCE 0x88 id:u32 joined:u8 x:i16 y:i16 name:str
 *                                         PONG     0x89 token:u32
 *                                         ERROR    0xFF code:u8 text:str
 *
 * ROOMS lists at most the first MOB_ARENA_LIST_ROOMS rooms (one frame); JOIN reaches any room.
 *
 * A bad message gets an ERROR frame and the connection lives on, except where the stream
 * itself is lost or the client abuses it: an oversize frame (ERROR TOO_BIG, the frame is
 * skipped over TCP; over WebSocket the message layer closes with 1009), idle past the timeout
 * (ERROR IDLE, then close), or an outgoing queue overflow (closed). The server never dies of
 * a client.
 *
 * Read next: src/arena/arena.c (server), src/arena/arena_proto.c (codec),
 * src/arena/arena_player.c (the player), src/arena/arena_suite.c (the player as a
 * load-runner suite).
 */
#ifndef MOB_ARENA_H
#define MOB_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "mob.h"
#include "mob_fail.h"
#include "mob_ws.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Protocol                                                                                 */
/* ---------------------------------------------------------------------------------------- */

enum mob_arena_type {
    MOB_ARENA_LOGIN = 0x01,
    MOB_ARENA_LIST = 0x02,
    MOB_ARENA_JOIN = 0x03,
    MOB_ARENA_MOVE = 0x04,
    MOB_ARENA_CHAT = 0x05,
    MOB_ARENA_LEAVE = 0x06,
    MOB_ARENA_PING = 0x07,
    MOB_ARENA_WELCOME = 0x81,
    MOB_ARENA_ROOMS = 0x82,
    MOB_ARENA_JOINED = 0x83,
    MOB_ARENA_MOVED = 0x84,
    MOB_ARENA_STATE = 0x85,
    MOB_ARENA_CHATMSG = 0x86,
    MOB_ARENA_LEFT = 0x87,
    MOB_ARENA_PRESENCE = 0x88,
    MOB_ARENA_PONG = 0x89,
    MOB_ARENA_ERROR = 0xFF
};

enum mob_arena_error {
    MOB_ARENA_E_MALFORMED = 1,   /* truncated, trailing bytes, or empty frame */
    MOB_ARENA_E_UNKNOWN = 2,     /* unknown message type (or a server-to-client type) */
    MOB_ARENA_E_NOT_LOGGED_IN = 3,
    MOB_ARENA_E_ALREADY_LOGGED_IN = 4,
    MOB_ARENA_E_BAD_NAME = 5,    /* empty, too long, or not printable ASCII */
    MOB_ARENA_E_NO_SUCH_ROOM = 6,
    MOB_ARENA_E_ROOM_FULL = 7,
    MOB_ARENA_E_NOT_IN_ROOM = 8,
    MOB_ARENA_E_ALREADY_IN_ROOM = 9,
    MOB_ARENA_E_BAD_MOVE = 10,   /* step larger than 1 in x or y, or off the grid */
    MOB_ARENA_E_BAD_TEXT = 11,   /* empty, too long, or not UTF-8 */
    MOB_ARENA_E_TOO_BIG = 12,    /* frame over MOB_ARENA_MAX_FRAME */
    MOB_ARENA_E_IDLE = 13,       /* nothing received within the idle timeout; closing */
    MOB_ARENA_E_SERVER_FULL = 14 /* too many players; closing */
};

#define MOB_ARENA_MAX_FRAME 1024 /* largest payload either side sends or accepts */
#define MOB_ARENA_MAX_NAME 32
#define MOB_ARENA_MAX_TEXT 200
#define MOB_ARENA_MAX_MEMBERS 64 /* room capacity ceiling, so JOINED fits one frame */
#define MOB_ARENA_MAX_ROOMS 4096
#define MOB_ARENA_LIST_ROOMS 170 /* ROOMS lists at most the first 170 rooms (one frame) */

/*
 * One decoded message. Which fields mean something depends on `type` (see the table at the
 * top). `text` points into the decoded frame (not NUL-terminated), valid as long as it is.
 * For ROOMS and JOINED, `n` entries follow in `list`; read them with mob_arena_room_at and
 * mob_arena_member_at.
 */
typedef struct mob_arena_msg {
    int type;
    uint32_t id;      /* WELCOME, STATE, CHATMSG, PRESENCE */
    int room;         /* JOIN, JOINED, LEFT */
    int dx, dy;       /* MOVE */
    int x, y;         /* MOVED, STATE, PRESENCE */
    int code;         /* ERROR */
    int joined;       /* PRESENCE: 1 joined, 0 left */
    uint32_t token;   /* PING, PONG */
    const char *text; /* LOGIN name, CHAT/CHATMSG text, ERROR text, PRESENCE name */
    size_t text_len;
    int n;            /* ROOMS, JOINED: entry count */
    const uint8_t *list;
} mob_arena_msg;

typedef struct mob_arena_room_info {
    int room, players, capacity;
} mob_arena_room_info;

typedef struct mob_arena_member {
    uint32_t id;
    int x, y;
} mob_arena_member;

/*
 * Encodes m into out[0..cap). For ROOMS and JOINED, `list` must hold m->n entries already
 * in wire form (the server builds them). Returns the payload length, -EINVAL for an unknown
 * type or a field out of range (text over 255 bytes), -ENOBUFS when it does not fit.
 */
int mob_arena_encode(const mob_arena_msg *m, void *out, size_t cap);

/*
 * Decodes a payload. Returns 0, -EPROTO when truncated, with trailing bytes, or with an
 * inconsistent count, or -ENOTSUP for an unknown type (m->type is set).
 */
int mob_arena_decode(const void *payload, size_t len, mob_arena_msg *m);

/* Entry i of a decoded ROOMS or JOINED message (i < m->n). */
void mob_arena_room_at(const mob_arena_msg *m, int i, mob_arena_room_info *out);
void mob_arena_member_at(const mob_arena_msg *m, int i, mob_arena_member *out);

/* "LOGIN", "WELCOME", ... or "?" */
const char *mob_arena_type_name(int type);
/* "malformed", "not logged in", ... or "?" */
const char *mob_arena_error_name(int code);

/* ---------------------------------------------------------------------------------------- */
/* Client side: one connection over TCP framing or WebSocket                                */
/* ---------------------------------------------------------------------------------------- */

typedef struct mob_arena_client {
    int fd;
    int use_ws;
    mob_ws ws;
    mob_rbuf rb;
    uint8_t buf[4096];
    uint8_t frame[MOB_ARENA_MAX_FRAME];
} mob_arena_client;

/* Connects to an arena at host:port, over WebSocket (path "/") when use_ws. Returns 0 or
 * -errno (connect errors, -EPROTO for a bad WebSocket handshake). The fd belongs to self. */
int mob_arena_connect(mob_bot *self, mob_arena_client *c, const char *host, int port,
                      int use_ws, int64_t deadline);
/* Sends one message. Returns 0 or -errno. */
int mob_arena_send(mob_bot *self, mob_arena_client *c, const mob_arena_msg *m,
                   int64_t deadline);
/* Sends raw payload bytes as one frame (tests use it to send malformed messages). */
int mob_arena_send_raw(mob_bot *self, mob_arena_client *c, const void *p, size_t len,
                       int64_t deadline);
/* Receives and decodes one message; text and lists point into c, valid until the next call.
 * Returns 0, -ENODATA when the server closed, -EPROTO for an undecodable message, or -errno. */
int mob_arena_recv(mob_bot *self, mob_arena_client *c, mob_arena_msg *m, int64_t deadline);
/* Closes the connection (WebSocket close handshake with a short deadline). */
void mob_arena_disconnect(mob_bot *self, mob_arena_client *c);

/* ---------------------------------------------------------------------------------------- */
/* Server                                                                                   */
/* ---------------------------------------------------------------------------------------- */

typedef struct mob_arena_options {
    const char *host;        /* default "127.0.0.1" */
    int port;                /* TCP framed listener; 0: any free port; -1: none */
    int ws_port;             /* WebSocket listener; 0: any free port; -1: none (default) */
    int rooms;               /* default 64, at most MOB_ARENA_MAX_ROOMS */
    int room_capacity;       /* default 16, at most MOB_ARENA_MAX_MEMBERS */
    int grid_w, grid_h;      /* default 32 x 32 */
    int max_players;         /* default 20000 */
    int64_t idle_timeout_ns; /* default 60 s; 0: never */
    size_t outq_size;        /* per-connection outgoing queue; default 64 KiB */
    int64_t write_timeout_ns; /* a client that takes no bytes this long is dropped; 5 s */
} mob_arena_options;

/* Defaults as documented above (TCP on any free port, no WebSocket). */
mob_arena_options mob_arena_options_default(void);

typedef struct mob_arena mob_arena;

typedef struct mob_arena_stats {
    int64_t connections;      /* accepted so far */
    int64_t players_online;   /* logged in now */
    int64_t frames_in, frames_out;
    int64_t errors_sent;      /* ERROR frames */
    int64_t dropped_slow;     /* connections closed because their queue overflowed */
    int64_t chats, moves, joins;
} mob_arena_stats;

/*
 * Starts an arena in `loop`: opens the listeners and spawns their accept bots (from the host
 * or from a bot). Returns 0 with *out set, or -errno (-EADDRINUSE, -ENOMEM, -EINVAL for bad
 * options). The arena runs until mob_arena_stop.
 */
int mob_arena_start(mob_loop *loop, const mob_arena_options *opt, mob_arena **out);

/* The actual ports (useful with port 0), or -1 when that listener is off. */
int mob_arena_port(const mob_arena *a);
int mob_arena_ws_port(const mob_arena *a);

/* Stops accepting and cancels every server bot; they close their sockets as they return.
 * Callable from a bot or the host. Idempotent. */
void mob_arena_stop(mob_arena *a);

void mob_arena_get_stats(const mob_arena *a, mob_arena_stats *out);

/* Frees the arena after its loop has run its bots to the end (or after mob_loop_free). */
void mob_arena_free(mob_arena *a);

/* ---------------------------------------------------------------------------------------- */
/* The player scenario                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* Actions timed per player, for the recorder. */
enum mob_arena_action {
    MOB_ARENA_ACT_LOGIN = 0,     /* LOGIN sent -> WELCOME */
    MOB_ARENA_ACT_JOIN = 1,      /* JOIN sent -> JOINED */
    MOB_ARENA_ACT_MOVE = 2,      /* MOVE sent -> MOVED */
    MOB_ARENA_ACT_CHAT_SEEN = 3, /* a room-mate's CHAT sent -> its CHATMSG seen by this bot */
    MOB_ARENA_ACT_COUNT = 4
};

/* Called once per timed action, with its failure class (enum mob_fail, mob_fail.h: 0 when it
 * succeeded, then latency_ns is meaningful). */
typedef void (*mob_arena_record_fn)(void *ud, int action, int64_t latency_ns, int fail);

typedef struct mob_arena_player_options {
    const char *host;
    int port;
    int use_ws;
    int players;          /* how many player bots in this run (rooms fill in order) */
    int first_bot_id;     /* mob_bot_id of player 0; players have consecutive ids */
    int room_size;        /* players per room; default 8 (<= the server's room capacity) */
    int first_room;       /* room of player 0; default 0 */
    int moves;            /* MOVEs per player; default 3 */
    int chats;            /* CHATs per player; default 2 */
    int64_t timeout_ns;   /* per wait; default 10 s */
    int rounds;           /* rounds per player (join .. leave); default 1 */
    int64_t until;        /* 0, or an absolute mob_now time after which no round starts */
    mob_arena_record_fn record; /* may be NULL */
    void *record_ud;
} mob_arena_player_options;

/* Per-run results the player bots fill in (shared by all of them; one loop, one thread). */
typedef struct mob_arena_player_totals {
    int64_t done;             /* players that finished every step */
    int64_t rounds;           /* rounds completed, summed over players */
    int64_t failed;           /* players that gave up (an error or a timeout) */
    int64_t chats_expected;   /* chats each player should have seen, summed */
    int64_t chats_seen;       /* room-mates' chats actually seen, summed */
    int64_t actions[MOB_ARENA_ACT_COUNT];
} mob_arena_player_totals;

typedef struct mob_arena_player_arg {
    const mob_arena_player_options *opt;
    mob_arena_player_totals *totals;
} mob_arena_player_arg;

/*
 * The player scenario, as a bot function; arg is a mob_arena_player_arg. Player i (bot id
 * first_bot_id + i) connects and logs in as "bot<i>", then plays rounds: joins room
 * first_room + i / room_size, tells its room-mates through mob mailboxes that it is in, waits
 * until they all are, moves, chats, waits to see every room-mate's chats come back through
 * the server, tells them it is done and whether it wants another round, waits for theirs
 * (so nobody leaves before the others have seen its chats), and leaves. Room-mates play
 * another round only if all of them want one (rounds left and `until` not passed), so they
 * always agree. Then it disconnects. Returns 0 when every step succeeded, or -errno of the
 * first failure.
 */
intptr_t mob_arena_player(mob_bot *self, void *arg);

/*
 * The same player as a load-runner suite (mob_run.h), for `mob arena://HOST:PORT`: one
 * scenario per action (login, join, move, chat, leave) walked in order by a picker, so the
 * runner reports each action's count, failures and percentiles. "chat" covers meeting the
 * room-mates, chatting and seeing all their chats. The arena needs machines (--index) *
 * processes * ceil(bots / room_size) rooms of room_size: each process takes its own block. A
 * NULL host runs the arena in-process instead (`mob arena://in-process`): player 0's setup
 * starts it in the runner's own loop, one arena per process, sized for its players, and the
 * last player's teardown stops it. `opt` may be NULL (rooms
 * of 8, 3 moves, 2 chats); its host, port, players and recorder are ignored. The players
 * number themselves among their kind (mob_worker_kind_index), so the suite can be one kind
 * of bot among several (`mob arena://... http://...`): its rooms fill as they would with the
 * players alone. Returns the suite (static storage: one per process, a second call takes the
 * first one's place), or NULL for a bad host or port.
 */
struct mob_suite;
const struct mob_suite *mob_arena_suite(const char *host, int port, int use_ws,
                                        const mob_arena_player_options *opt);

#ifdef __cplusplus
}
#endif

#endif /* MOB_ARENA_H */
