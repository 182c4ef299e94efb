/* SPDX-License-Identifier: MIT */
/*
 * arena_player.h: what the player bot (arena_player.c) and the same player under the load
 * runner (arena_suite.c) share, and nobody else sees: a player's state and the steps of a
 * round.
 */
#ifndef MOB_ARENA_PLAYER_H
#define MOB_ARENA_PLAYER_H

#include "mob_arena.h"

enum { KIND_IN_ROOM = 0x4152, KIND_SEEN_ALL = 0x4153 }; /* mailbox message kinds */

struct player {
    mob_bot *self;
    mob_loop *loop;
    const mob_arena_player_options *opt;
    mob_arena_player_totals *tot;
    mob_arena_client *c;
    int idx;
    uint32_t id;
    int mates[MOB_ARENA_MAX_MEMBERS]; /* room-mates' player indexes */
    int nmates;
    int64_t chats_seen;
    const int *reg;   /* player index -> bot id, -1 until that bot starts; NULL: consecutive */
    int64_t fixed_dl; /* > 0: every wait ends here (the load runner's deadline) */
};

/* The steps of a round (arena_player.c says more above each): */
void mob__arena_note(struct player *p, const mob_arena_msg *m);
int mob__arena_await(struct player *p, int type, mob_arena_msg *m);
int mob__arena_act(struct player *p, int action, const mob_arena_msg *req, int answer,
                   mob_arena_msg *m);
int mob__arena_rendezvous(struct player *p, int kind, int vote);

#endif /* MOB_ARENA_PLAYER_H */
