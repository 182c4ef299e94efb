/* SPDX-License-Identifier: MIT */
/*
 * msg_group.c: groups of bots (testtoolkit's join, leave and get_group_processes), the
 * addresses of mob_send_group.
 *
 * Groups are keyed by id in an open-addressing hash table. A group holds an intrusive list of
 * membership records and each bot a small array of pointers to its own records, so join and
 * leave are O(1) in the group's size and O(groups of the bot) on the bot's side; an empty group
 * is freed. The member list is kept in join order and re-sorted by id (a list merge sort, no
 * allocation) only when something needs ascending order after an out-of-order join.
 *
 * Read next: src/core/sync.c.
 */
#include <errno.h>

#include "msg.h"

static size_t group_hash(int id, size_t cap)
{
    /* Fibonacci hashing: consecutive ids (the usual case) spread over the whole table. */
    return (size_t)(((uint64_t)(uint32_t)id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

/* The slot holding group `id`, or the empty slot where it would go. Requires table_cap > 0. */
static size_t group_slot(const struct mob__msgs *ms, int id)
{
    size_t i = group_hash(id, ms->table_cap);
    while (ms->table[i] && ms->table[i]->id != id)
        i = (i + 1) & (ms->table_cap - 1);
    return i;
}

struct mob__group *mob__group_find(const struct mob__msgs *ms, int id)
{
    return ms->table_cap ? ms->table[group_slot(ms, id)] : NULL;
}

/* Keeps the load factor at or under 1/2. */
static int group_table_grow(struct mob__msgs *ms)
{
    if ((ms->ngroups + 1) * 2 <= ms->table_cap)
        return 0;
    size_t cap = ms->table_cap ? ms->table_cap * 2 : 16;
    struct mob__group **old = ms->table;
    size_t old_cap = ms->table_cap;
    ms->table = MOB_CALLOC(cap, sizeof *ms->table);
    if (!ms->table) {
        ms->table = old;
        return -ENOMEM;
    }
    ms->table_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            ms->table[group_slot(ms, old[i]->id)] = old[i];
    MOB_FREE(old);
    return 0;
}

/* Removes a group from the table, shifting later entries of its probe run back (no tombstones). */
static void group_table_remove(struct mob__msgs *ms, struct mob__group *g)
{
    size_t mask = ms->table_cap - 1;
    size_t i = group_slot(ms, g->id);
    ms->table[i] = NULL;
    ms->ngroups--;
    for (size_t j = (i + 1) & mask; ms->table[j]; j = (j + 1) & mask) {
        size_t home = group_hash(ms->table[j]->id, ms->table_cap);
        /* Move j into the hole i when its home is not in the cyclic range (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            ms->table[i] = ms->table[j];
            ms->table[j] = NULL;
            i = j;
        }
    }
}

/* The bot's membership record for `group`, as an index into bot->groups, or -1. */
static int member_index(const mob_bot *bot, int group)
{
    for (int i = 0; i < bot->ngroups; i++)
        if (bot->groups[i]->group->id == group)
            return i;
    return -1;
}

/* Merge sort of a NULL-terminated singly linked run (threaded through link.next) by bot id. */
static struct mob__list *sort_run(struct mob__list *head, size_t n)
{
    if (n <= 1) {
        if (head)
            head->next = NULL;
        return head;
    }
    struct mob__list *mid = head;
    for (size_t i = 1; i < n / 2; i++)
        mid = mid->next;
    struct mob__list *right = mid->next;
    mid->next = NULL;
    struct mob__list *a = sort_run(head, n / 2), *b = sort_run(right, n - n / 2);
    struct mob__list out, *tail = &out;
    while (a && b) {
        int ida = mob__container_of(a, struct mob__member, link)->bot->id;
        int idb = mob__container_of(b, struct mob__member, link)->bot->id;
        if (ida <= idb) {
            tail->next = a;
            a = a->next;
        } else {
            tail->next = b;
            b = b->next;
        }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return out.next;
}

/* Puts the member list in ascending id order. O(1) when it is already; O(n log n) otherwise. */
void mob__group_sort(struct mob__group *g)
{
    if (g->sorted)
        return;
    struct mob__list *head = g->members.next;
    g->members.prev->next = NULL;
    head = sort_run(head, (size_t)g->n);
    mob__list_init(&g->members);
    while (head) {
        struct mob__list *next = head->next;
        mob__list_push_back(&g->members, head);
        head = next;
    }
    g->sorted = 1;
}

/*
 * Adds a bot (any live bot, not only the caller) to a group, creating the group on first join.
 * Returns 0, -EEXIST when it is already a member, -ESRCH when the bot has returned, -ENOMEM.
 * O(groups of the bot), amortised.
 */
int mob_group_join(mob_bot *bot, int group)
{
    struct mob__msgs *ms = bot->loop->msgs;
    if (bot->state == MOB__DONE)
        return -ESRCH;
    if (member_index(bot, group) >= 0)
        return -EEXIST;
    mob__turn_active(bot->loop);
    if (mob_grow(&bot->groups, &bot->groups_cap, bot->ngroups + 1, sizeof *bot->groups, 4))
        return -ENOMEM;
    struct mob__member *mb = MOB_MALLOC(sizeof *mb);
    if (!mb)
        return -ENOMEM;
    struct mob__group *g = mob__group_find(ms, group);
    if (!g) {
        if (group_table_grow(ms) < 0 || !(g = MOB_MALLOC(sizeof *g))) {
            MOB_FREE(mb);
            return -ENOMEM;
        }
        g->id = group;
        g->n = 0;
        g->sorted = 1;
        mob__list_init(&g->members);
        ms->table[group_slot(ms, group)] = g;
        ms->ngroups++;
    }
    if (g->n > 0 && mob__container_of(g->members.prev, struct mob__member, link)->bot->id > bot->id)
        g->sorted = 0;
    mb->group = g;
    mb->bot = bot;
    mob__list_push_back(&g->members, &mb->link);
    g->n++;
    bot->groups[bot->ngroups++] = mb;
    return 0;
}

/* Removes membership record i of `bot`; frees the group when it becomes empty. */
void mob__group_member_remove(struct mob__msgs *ms, mob_bot *bot, int i)
{
    struct mob__member *mb = bot->groups[i];
    struct mob__group *g = mb->group;
    bot->groups[i] = bot->groups[--bot->ngroups];
    mob__list_remove(&mb->link);
    MOB_FREE(mb);
    if (--g->n == 0) {
        group_table_remove(ms, g);
        MOB_FREE(g);
    }
}

/* Returns 0, or -ENOENT when the bot is not in the group. O(groups of the bot). */
int mob_group_leave(mob_bot *bot, int group)
{
    int i = member_index(bot, group);
    if (i < 0)
        return -ENOENT;
    mob__turn_active(bot->loop);
    mob__group_member_remove(bot->loop->msgs, bot, i);
    return 0;
}

int mob_group_has(const mob_bot *bot, int group)
{
    return member_index(bot, group) >= 0;
}

/* O(group size), plus a sort after out-of-order joins. */
int mob_group_members(mob_loop *loop, int group, int *ids, size_t cap)
{
    struct mob__group *g = mob__group_find(loop->msgs, group);
    if (!g)
        return 0;
    mob__group_sort(g);
    size_t k = 0;
    struct mob__list *it;
    mob__list_foreach(it, &g->members) {
        if (k == cap)
            break;
        ids[k++] = mob__container_of(it, struct mob__member, link)->bot->id;
    }
    return g->n;
}
