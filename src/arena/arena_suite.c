/* SPDX-License-Identifier: MIT */
/*
 * arena_suite.c: the arena player under the load runner (`mob arena://HOST:PORT`,
 * mob_arena_suite in mob_arena.h): each action of a round is a scenario of its own, so the
 * runner times, counts and reports each one.
 *
 * Read next: src/suites/builtin.c (which maps arena:// targets to this suite).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arena_player.h"
#include "mob_base.h"
#include "mob_run.h"

/*
 * Each runner bot is a player. A picker walks it through its round one action per run, so the
 * runner times each action separately and reports it under its own name: login (once per
 * connection), join, move (x moves), chat (meet the room-mates, chat, see all their chats,
 * meet again), leave, then join again. Rooms fill in order of the players' indexes among the
 * players of their process (mob_worker_kind_index: as one kind of several, the other kinds'
 * bots are not players), process p of machine m (--index m/N) using rooms from
 * (m * processes + p) * ceil(bots / room_size) (bots: mob_options_max_bots), so the arena
 * needs N * processes * ceil(bots / room_size) rooms. A failed action drops the connection
 * and starts again at login; its room-mates then time out in their next meeting, which is the
 * honest outcome. At the end of the run it is not: a bot that leaves (cancelled between runs,
 * or done with its last one) before it has chatted the round its mates are chatting cuts their
 * chats, which would otherwise wait out their --timeout for lines that never come.
 */
static struct {
    char host[256];
    int port, use_ws;
    mob_arena_player_options o;
    int *reg; /* this process's players: index -> bot id */
    struct suite_bot **bots; /* index -> the bot's state, NULL when it is not running */
    int nreg; /* the players this process can have, made by the first player's setup */
    int embedded;     /* run the arena in-process, in the runner's own loop */
    mob_arena *arena; /* the embedded arena, started by player 0's setup */
    int live;         /* bots set up and not torn down: the last one stops the arena */
} su;

enum { PH_LOGIN = 0, PH_JOIN, PH_MOVE, PH_CHAT, PH_LEAVE };

struct suite_bot {
    struct player p;
    mob_arena_player_totals tot; /* per bot: the runner does the reporting */
    mob_arena_client c;
    int phase, moves_done, dir;
    int chatting;       /* inside the chat action, which needs every room-mate's lines */
    int64_t chats_done; /* chat rounds finished: mates up to this one need nothing more */
};

static int local_index(const mob_worker *w) { return mob_worker_kind_index(w, NULL); }

/* This process's table of players, sized for the players it can have: the kinds layer knows
 * how many of its slots are players only once the run has begun, after the global setup. */
static int make_tables(const mob_worker *w)
{
    int n;
    mob_worker_kind_index(w, &n);
    su.reg = MOB_MALLOC((size_t)n * sizeof *su.reg);
    su.bots = MOB_MALLOC((size_t)n * sizeof *su.bots);
    if (!su.reg || !su.bots) {
        MOB_FREE(su.reg);
        MOB_FREE(su.bots);
        su.reg = NULL;
        su.bots = NULL;
        return -ENOMEM;
    }
    su.nreg = n;
    for (int i = 0; i < n; i++) {
        su.reg[i] = -1;
        su.bots[i] = NULL;
    }
    return 0;
}

static int su_global_teardown(const mob_options *o, void *ud)
{
    (void)o;
    (void)ud;
    MOB_FREE(su.reg);
    su.reg = NULL;
    MOB_FREE(su.bots);
    su.bots = NULL;
    su.nreg = 0;
    /* With one process the embedded arena lived here; its loop is done by now. */
    mob_arena_free(su.arena);
    su.arena = NULL;
    return 0;
}

/* Starts the in-process arena in the runner's loop, sized for this process's bots. */
static int start_embedded(mob_worker *w)
{
    mob_arena_options ao = mob_arena_options_default();
    ao.port = su.use_ws ? -1 : 0;
    ao.ws_port = su.use_ws ? 0 : -1;
    ao.room_capacity = su.o.room_size;
    ao.rooms = (su.nreg + su.o.room_size - 1) / su.o.room_size;
    if (ao.rooms > MOB_ARENA_MAX_ROOMS)
        return -EINVAL;
    int rc = mob_arena_start(mob_bot_loop(w->bot), &ao, &su.arena);
    if (rc < 0)
        return rc;
    su.port = su.use_ws ? mob_arena_ws_port(su.arena) : mob_arena_port(su.arena);
    return 0;
}

static int su_bot_setup(mob_worker *w)
{
    struct suite_bot *b = w->state;
    struct player *p = &b->p;
    int i = local_index(w);
    if (!su.reg && make_tables(w) < 0)
        return -ENOMEM;
    if (su.embedded && i == 0 && !su.arena && start_embedded(w) < 0)
        return -1;
    su.live++;
    su.reg[i] = mob_bot_id(w->bot);
    su.bots[i] = b;
    p->self = w->bot;
    p->loop = mob_bot_loop(w->bot);
    p->opt = &su.o;
    p->tot = &b->tot;
    p->c = &b->c;
    p->idx = i;
    p->reg = su.reg;
    int rs = su.o.room_size;
    int first = i / rs * rs, last = first + rs < su.nreg ? first + rs : su.nreg;
    for (int j = first; j < last; j++)
        if (j != i)
            p->mates[p->nmates++] = j;
    b->c.fd = -1;
    b->phase = PH_LOGIN;
    b->dir = 1;
    return 0;
}

/* At the end of the run, cuts the chats of room-mates that still wait for this bot's lines. */
static void cut_waiting_mates(const struct suite_bot *b)
{
    for (int k = 0; k < b->p.nmates; k++) {
        struct suite_bot *m = su.bots[b->p.mates[k]];
        if (m && m->chatting && m->chats_done >= b->chats_done)
            mob_cancel(m->p.self);
    }
}

static int su_bot_teardown(mob_worker *w)
{
    struct suite_bot *b = w->state;
    if (b->c.fd >= 0)
        mob_arena_disconnect(w->bot, &b->c);
    su.reg[local_index(w)] = -1;
    su.bots[local_index(w)] = NULL;
    if (mob_worker_ending(w))
        cut_waiting_mates(b);
    if (--su.live == 0 && su.arena)
        mob_arena_stop(su.arena); /* so the runner's loop can end */
    return 0;
}

/* Ends an action: on failure the connection goes and the bot starts over at login. */
static int su_done(mob_worker *w, int rc, int next)
{
    struct suite_bot *b = w->state;
    if (rc == 0) {
        b->phase = next;
        return 0;
    }
    if (b->c.fd >= 0)
        mob_arena_disconnect(w->bot, &b->c);
    b->phase = PH_LOGIN;
    if (rc == -ENODATA || rc == -EPIPE || rc == -ECONNRESET)
        return MOB_FAIL_READ;
    return rc;
}

static void su_begin(mob_worker *w)
{
    struct suite_bot *b = w->state;
    b->p.fixed_dl = w->deadline > 0 ? w->deadline : mob_now(b->p.loop) + su.o.timeout_ns;
}

static int su_login(mob_worker *w)
{
    struct suite_bot *b = w->state;
    su_begin(w);
    /* An embedded arena opens its port in bot 0's setup: a bot that starts first waits. */
    while (su.port <= 0) {
        if (mob_now(b->p.loop) >= b->p.fixed_dl)
            return -ETIMEDOUT;
        int rc = mob_sleep(w->bot, MOB_NS_PER_MS);
        if (rc < 0)
            return rc;
    }
    if (b->c.fd < 0) {
        int rc = mob_arena_connect(w->bot, &b->c, su.host, su.port, su.use_ws, b->p.fixed_dl);
        if (rc < 0) {
            b->c.fd = -1;
            return rc == -ETIMEDOUT || rc == -ECANCELED || rc == -EPROTO ? rc
                                                                         : MOB_FAIL_CONNECT;
        }
    }
    char name[24];
    snprintf(name, sizeof name, "bot%d", w->id);
    mob_arena_msg m, login = {.type = MOB_ARENA_LOGIN, .text = name, .text_len = strlen(name)};
    int rc = mob__arena_act(&b->p, MOB_ARENA_ACT_LOGIN, &login, MOB_ARENA_WELCOME, &m);
    if (rc == 0)
        b->p.id = m.id;
    return su_done(w, rc, PH_JOIN);
}

static int su_join(mob_worker *w)
{
    struct suite_bot *b = w->state;
    su_begin(w);
    /* Processes share a remote arena, those of every --index machine too: each takes its own
     * block of rooms. An embedded arena is the process's own. */
    const mob_options *o = w->opt;
    int rs = su.o.room_size, rooms_per_process = (mob_options_max_bots(o) + rs - 1) / rs;
    int gp = (o->nindex > 0 ? o->index * o->processes : 0) + w->process;
    int base = su.embedded ? 0 : gp * rooms_per_process;
    mob_arena_msg m, join = {.type = MOB_ARENA_JOIN, .room = base + b->p.idx / su.o.room_size};
    b->p.chats_seen = 0;
    int rc = mob__arena_act(&b->p, MOB_ARENA_ACT_JOIN, &join, MOB_ARENA_JOINED, &m);
    for (int i = 0; rc == 0 && i < m.n; i++) {
        mob_arena_member mem;
        mob_arena_member_at(&m, i, &mem);
        if (mem.id == b->p.id)
            b->dir = mem.x == 0 ? 1 : -1;
    }
    b->moves_done = 0;
    return su_done(w, rc, su.o.moves > 0 ? PH_MOVE : PH_CHAT);
}

static int su_move(mob_worker *w)
{
    struct suite_bot *b = w->state;
    su_begin(w);
    mob_arena_msg m, mv = {.type = MOB_ARENA_MOVE, .dx = b->dir, .dy = 0};
    int rc = mob__arena_act(&b->p, MOB_ARENA_ACT_MOVE, &mv, MOB_ARENA_MOVED, &m);
    b->dir = -b->dir;
    return su_done(w, rc, ++b->moves_done < su.o.moves ? PH_MOVE : PH_CHAT);
}

static int su_chat(mob_worker *w)
{
    struct suite_bot *b = w->state;
    struct player *p = &b->p;
    su_begin(w);
    b->chatting = 1;
    int rc = mob__arena_rendezvous(p, KIND_IN_ROOM, 1);
    for (int k = 0; rc >= 0 && k < su.o.chats; k++) {
        char text[64];
        int n = snprintf(text, sizeof text, "c:%d:%d:%lld", p->idx, k,
                         (long long)mob_now(p->loop));
        mob_arena_msg ch = {.type = MOB_ARENA_CHAT, .text = text, .text_len = (size_t)n};
        rc = mob_arena_send(w->bot, p->c, &ch, p->fixed_dl);
    }
    int64_t want = (int64_t)p->nmates * su.o.chats;
    while (rc >= 0 && p->chats_seen < want) {
        mob_arena_msg m;
        rc = mob_arena_recv(w->bot, p->c, &m, p->fixed_dl);
        if (rc == 0 && m.type == MOB_ARENA_ERROR)
            rc = -EPROTO;
        if (rc == 0)
            mob__arena_note(p, &m);
    }
    if (rc >= 0)
        rc = mob__arena_rendezvous(p, KIND_SEEN_ALL, 1);
    b->chatting = 0;
    if (rc >= 0)
        b->chats_done++;
    return su_done(w, rc < 0 ? rc : 0, PH_LEAVE);
}

static int su_leave(mob_worker *w)
{
    struct suite_bot *b = w->state;
    su_begin(w);
    mob_arena_msg m, leave = {.type = MOB_ARENA_LEAVE};
    int rc = mob_arena_send(w->bot, &b->c, &leave, b->p.fixed_dl);
    if (rc == 0)
        rc = mob__arena_await(&b->p, MOB_ARENA_LEFT, &m);
    return su_done(w, rc, PH_JOIN);
}

static const char *su_pick(mob_worker *w)
{
    static const char *names[] = {"login", "join", "move", "chat", "leave"};
    return names[((struct suite_bot *)w->state)->phase];
}

static const mob_scenario su_scenarios[] = {
    {"login", su_login, 1, 0}, {"join", su_join, 1, 0},   {"move", su_move, 1, 0},
    {"chat", su_chat, 1, 0},   {"leave", su_leave, 1, 0}, {NULL, NULL, 0, 0},
};

static const mob_suite su_suite = {
    .name = "arena-player",
    .scenarios = su_scenarios,
    .global_teardown = su_global_teardown,
    .bot_setup = su_bot_setup,
    .bot_teardown = su_bot_teardown,
    .picker = su_pick,
    .state_size = sizeof(struct suite_bot),
};

const mob_suite *mob_arena_suite(const char *host, int port, int use_ws,
                                 const mob_arena_player_options *opt)
{
    su.embedded = host == NULL;
    if (su.embedded) {
        host = "127.0.0.1";
        port = 0;
    } else if (strlen(host) >= sizeof su.host || port <= 0 || port > 65535) {
        return NULL;
    }
    strcpy(su.host, host);
    su.port = port;
    su.arena = NULL;
    su.live = 0;
    su.use_ws = use_ws;
    memset(&su.o, 0, sizeof su.o);
    if (opt)
        su.o = *opt;
    if (su.o.room_size <= 0)
        su.o.room_size = 8;
    if (su.o.room_size > MOB_ARENA_MAX_MEMBERS)
        su.o.room_size = MOB_ARENA_MAX_MEMBERS;
    if (!opt) {
        su.o.moves = 3;
        su.o.chats = 2;
    }
    if (su.o.timeout_ns <= 0)
        su.o.timeout_ns = 10 * MOB_NS_PER_SEC;
    su.o.record = NULL;
    return &su_suite;
}
