/* SPDX-License-Identifier: MIT */
/*
 * msg.h: what the mailboxes (msg.c) and the groups (msg_group.c) share, and nobody else sees:
 * the per-loop state of both and the group lookups a group send needs.
 */
#ifndef MOB_MSG_H
#define MOB_MSG_H

#include "internal.h"

/* A group: its id, its member records and whether they are in ascending id order. */
struct mob__group {
    int id;
    int n;
    int sorted;
    struct mob__list members; /* struct mob__member.link */
};

struct mob__member {
    struct mob__list link; /* in group->members */
    struct mob__group *group;
    mob_bot *bot;
};

struct mob__msgs {
    struct mob__list pending; /* lockstep: sent during this tick, in send order */
    struct mob__list pool;    /* free pooled nodes (cap == MOB__MSG_INLINE) */
    size_t pool_free;         /* nodes on `pool` */
    void **slabs;
    int nslabs, slabs_cap;
    struct mob__group **table; /* open addressing, linear probing; NULL = empty */
    size_t table_cap;          /* a power of two, or 0 */
    size_t ngroups;
};

/* The group with this id, or NULL. O(1) expected. */
struct mob__group *mob__group_find(const struct mob__msgs *ms, int id);

/* Puts the member list in ascending id order. O(1) when it is already; O(n log n) otherwise. */
void mob__group_sort(struct mob__group *g);

/* Removes membership record i of `bot`; frees the group when it becomes empty. */
void mob__group_member_remove(struct mob__msgs *ms, mob_bot *bot, int i);

#endif /* MOB_MSG_H */
