/* SPDX-License-Identifier: MIT */
/*
 * arena_player.c: the player scenario, one bot per player (see mob_arena_player in
 * mob_arena.h). It shows the two ways bots talk: through the server they test (chat comes
 * back as CHATMSG broadcasts) and directly through mob mailboxes (room-mates tell each other
 * "I am in the room" and "I have seen your chats", so nobody chats into a half-filled room or
 * leaves before the others have seen its words).
 *
 * Timing. Each action is timed from the moment its request is written to the moment its
 * answer is read; "chat seen" is timed from the sender's send time, carried in the chat text
 * (one process, one monotonic clock), to the moment this bot reads it.
 *
 * Read next: src/arena/arena_suite.c (the same player under the load runner),
 * tests/test_player.c, tools/run.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_player.h"
#include "mob_base.h"

static void record(struct player *p, int action, int64_t lat, int err)
{
    if (!err)
        p->tot->actions[action]++;
    if (p->opt->record)
        p->opt->record(p->opt->record_ud, action, lat, err);
}

/* The failure class of a failed action. A cancelled one counts as the phase it was in, as
 * every other error does: the player records every action it started. */
static int fail_class(int rc, int reading)
{
    int phase = reading ? MOB_PHASE_READ : MOB_PHASE_WRITE;
    int cls = mob_fail_classify(rc, phase);
    return cls == MOB_FAIL_CANCELED ? mob_fail_classify(-EIO, phase) : cls;
}

static int64_t deadline(struct player *p)
{
    return p->fixed_dl > 0 ? p->fixed_dl : mob_now(p->loop) + p->opt->timeout_ns;
}

/* Notes a message that is not the one awaited: counts room-mates' chats as they pass. */
void mob__arena_note(struct player *p, const mob_arena_msg *m)
{
    if (m->type != MOB_ARENA_CHATMSG || m->id == p->id)
        return;
    p->chats_seen++;
    p->tot->chats_seen++;
    if (!p->opt->record) { /* nobody wants the latency: skip the parsing */
        p->tot->actions[MOB_ARENA_ACT_CHAT_SEEN]++;
        return;
    }
    /* Text is "c:<player>:<n>:<sent_ns>". */
    char text[MOB_ARENA_MAX_TEXT + 1];
    memcpy(text, m->text, m->text_len);
    text[m->text_len] = 0;
    const char *last = strrchr(text, ':');
    if (text[0] == 'c' && last) {
        int64_t sent = strtoll(last + 1, NULL, 10);
        record(p, MOB_ARENA_ACT_CHAT_SEEN, mob_now(p->loop) - sent, 0);
    }
}

/* Reads until a message of `type` arrives. An ERROR instead is -EPROTO. */
int mob__arena_await(struct player *p, int type, mob_arena_msg *m)
{
    int64_t dl = deadline(p);
    for (;;) {
        int rc = mob_arena_recv(p->self, p->c, m, dl);
        if (rc < 0)
            return rc;
        if (m->type == type)
            return 0;
        if (m->type == MOB_ARENA_ERROR)
            return -EPROTO;
        mob__arena_note(p, m);
    }
}

/* One request/answer action, timed and recorded. */
int mob__arena_act(struct player *p, int action, const mob_arena_msg *req, int answer,
                   mob_arena_msg *m)
{
    int64_t t0 = mob_now(p->loop);
    int rc = mob_arena_send(p->self, p->c, req, deadline(p));
    if (rc < 0) {
        record(p, action, 0, fail_class(rc, 0));
        return rc;
    }
    rc = mob__arena_await(p, answer, m);
    record(p, action, mob_now(p->loop) - t0, rc < 0 ? fail_class(rc, 1) : 0);
    return rc;
}

static int kind_is(const mob_msg *msg, void *ud)
{
    return msg->kind == *(const int *)ud;
}

/*
 * Tells every room-mate `kind` with a vote, then waits for the same word from each of them.
 * Returns the AND of all votes (everyone computes the same), or -errno.
 */
int mob__arena_rendezvous(struct player *p, int kind, int vote)
{
    if (p->nmates == 0)
        return vote;
    int64_t dl = deadline(p);
    int ids[MOB_ARENA_MAX_MEMBERS];
    for (int k = 0; k < p->nmates; k++) {
        if (!p->reg) {
            ids[k] = p->opt->first_bot_id + p->mates[k];
            continue;
        }
        /* Under the load runner a mate may not have started yet (ramp-up): wait for it. */
        while ((ids[k] = p->reg[p->mates[k]]) < 0) {
            if (mob_now(p->loop) >= dl)
                return -ETIMEDOUT;
            int rc = mob_sleep(p->self, MOB_NS_PER_MS);
            if (rc < 0)
                return rc;
        }
    }
    int rc = mob_send_list(p->self, ids, (size_t)p->nmates, kind, &vote, sizeof vote);
    if (rc < 0)
        return rc;
    mob_filter f = {NULL, 0, kind_is, &kind};
    int all = vote;
    for (int got = 0; got < p->nmates; got++) {
        mob_msg msg;
        rc = mob_recv(p->self, &msg, &f, dl);
        if (rc < 0)
            return rc;
        int v = 0;
        if (msg.len == sizeof v)
            memcpy(&v, msg.data, sizeof v);
        all = all && v;
    }
    return all;
}

/* One round: join, meet, move, chat, see every mate's chats, meet again, leave. Returns 1
 * when the room agreed on another round, 0 when not, or -errno. */
static int play_round(struct player *p, int round)
{
    const mob_arena_player_options *o = p->opt;
    mob_arena_msg m;
    int room = o->first_room + p->idx / o->room_size;
    mob_arena_msg join = {.type = MOB_ARENA_JOIN, .room = room};
    /* Reset now, not at the chat phase: faster mates' chats of this round may pass by while
     * we still wait for our own answers, and mob__arena_note() counts them then. Chats of the next
     * round cannot come early: mates chat only once everyone has joined it. */
    p->chats_seen = 0;
    int rc = mob__arena_act(p, MOB_ARENA_ACT_JOIN, &join, MOB_ARENA_JOINED, &m);
    if (rc < 0)
        return rc;
    int x = 0;
    for (int i = 0; i < m.n; i++) {
        mob_arena_member mem;
        mob_arena_member_at(&m, i, &mem);
        if (mem.id == p->id)
            x = mem.x;
    }
    if ((rc = mob__arena_rendezvous(p, KIND_IN_ROOM, 1)) < 0)
        return rc;

    /* Step back and forth from where we stand, so no move leaves the grid. */
    int dir = x == 0 ? 1 : -1;
    for (int k = 0; k < o->moves; k++, dir = -dir) {
        mob_arena_msg mv = {.type = MOB_ARENA_MOVE, .dx = dir, .dy = 0};
        if ((rc = mob__arena_act(p, MOB_ARENA_ACT_MOVE, &mv, MOB_ARENA_MOVED, &m)) < 0)
            return rc;
    }

    p->tot->chats_expected += (int64_t)p->nmates * o->chats;
    for (int k = 0; k < o->chats; k++) {
        char text[64];
        int n = snprintf(text, sizeof text, "c:%d:%d:%lld", p->idx, k,
                         (long long)mob_now(p->loop));
        mob_arena_msg ch = {.type = MOB_ARENA_CHAT, .text = text, .text_len = (size_t)n};
        rc = mob_arena_send(p->self, p->c, &ch, deadline(p));
        if (rc < 0) {
            record(p, MOB_ARENA_ACT_CHAT_SEEN, 0, fail_class(rc, 0));
            return rc;
        }
    }
    int64_t want = (int64_t)p->nmates * o->chats;
    int64_t dl = deadline(p);
    while (p->chats_seen < want) {
        rc = mob_arena_recv(p->self, p->c, &m, dl);
        if (rc == 0 && m.type == MOB_ARENA_ERROR)
            rc = -EPROTO;
        if (rc < 0) {
            record(p, MOB_ARENA_ACT_CHAT_SEEN, 0, fail_class(rc, 1));
            return rc;
        }
        mob__arena_note(p, &m);
    }
    int again = round + 1 < o->rounds && (o->until == 0 || mob_now(p->loop) < o->until);
    if ((again = mob__arena_rendezvous(p, KIND_SEEN_ALL, again)) < 0)
        return again;
    mob_arena_msg leave = {.type = MOB_ARENA_LEAVE};
    if ((rc = mob_arena_send(p->self, p->c, &leave, deadline(p))) < 0)
        return rc;
    if ((rc = mob__arena_await(p, MOB_ARENA_LEFT, &m)) < 0)
        return rc;
    p->tot->rounds++;
    return again;
}

static int play(struct player *p)
{
    mob_arena_msg m;
    char name[24];
    snprintf(name, sizeof name, "bot%d", p->idx);
    mob_arena_msg login = {.type = MOB_ARENA_LOGIN, .text = name, .text_len = strlen(name)};
    int rc = mob__arena_act(p, MOB_ARENA_ACT_LOGIN, &login, MOB_ARENA_WELCOME, &m);
    if (rc < 0)
        return rc;
    p->id = m.id;
    for (int round = 0;; round++) {
        rc = play_round(p, round);
        if (rc <= 0)
            return rc;
    }
}

intptr_t mob_arena_player(mob_bot *self, void *arg)
{
    mob_arena_player_arg *pa = arg;
    mob_arena_player_options o = *pa->opt;
    if (o.room_size <= 0)
        o.room_size = 8;
    if (o.room_size > MOB_ARENA_MAX_MEMBERS)
        o.room_size = MOB_ARENA_MAX_MEMBERS;
    if (o.timeout_ns <= 0)
        o.timeout_ns = 10 * MOB_NS_PER_SEC;
    if (o.moves < 0)
        o.moves = 0;
    if (o.chats < 0)
        o.chats = 0;
    if (o.rounds <= 0)
        o.rounds = 1;
    mob_arena_client *c = MOB_MALLOC(sizeof *c);
    if (!c) {
        pa->totals->failed++;
        return -ENOMEM;
    }
    struct player p = {.self = self, .loop = mob_bot_loop(self), .opt = &o, .tot = pa->totals,
                       .c = c};
    p.idx = mob_bot_id(self) - o.first_bot_id;
    int first = p.idx / o.room_size * o.room_size;
    int last = first + o.room_size < o.players ? first + o.room_size : o.players;
    for (int j = first; j < last; j++)
        if (j != p.idx)
            p.mates[p.nmates++] = j;

    int rc = mob_arena_connect(self, c, o.host, o.port, o.use_ws, deadline(&p));
    if (rc < 0) {
        record(&p, MOB_ARENA_ACT_LOGIN, 0,
               rc == -ETIMEDOUT ? MOB_FAIL_TIMEOUT : MOB_FAIL_CONNECT);
    } else {
        rc = play(&p);
        mob_arena_disconnect(self, c);
    }
    if (rc < 0)
        p.tot->failed++;
    else
        p.tot->done++;
    MOB_FREE(c);
    return rc;
}
