/* SPDX-License-Identifier: MIT */
/*
 * list.h: an intrusive, circular, doubly-linked list. The node lives inside the object, so
 * linking never allocates; container_of gets the object back. An empty list is a head that
 * points to itself.
 */
#ifndef MOB_LIST_H
#define MOB_LIST_H

#include <stddef.h>

#define mob__container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct mob__list {
    struct mob__list *prev, *next;
};

static inline void mob__list_init(struct mob__list *l) { l->prev = l->next = l; }
static inline int mob__list_empty(const struct mob__list *l) { return l->next == l; }
/* A node that is not on any list points to itself (after init or remove). */
static inline int mob__list_linked(const struct mob__list *n) { return n->next != n; }

static inline void mob__list_insert_before(struct mob__list *pos, struct mob__list *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}

static inline void mob__list_push_back(struct mob__list *l, struct mob__list *n)
{
    mob__list_insert_before(l, n);
}

static inline void mob__list_push_front(struct mob__list *l, struct mob__list *n)
{
    mob__list_insert_before(l->next, n);
}

static inline void mob__list_remove(struct mob__list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* Removes and returns the first node, or NULL. */
static inline struct mob__list *mob__list_pop_front(struct mob__list *l)
{
    if (mob__list_empty(l))
        return NULL;
    struct mob__list *n = l->next;
    mob__list_remove(n);
    return n;
}

/* Moves every node of `from` to the back of `to`, leaving `from` empty. O(1). */
static inline void mob__list_splice_back(struct mob__list *to, struct mob__list *from)
{
    if (mob__list_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    mob__list_init(from);
}

#define mob__list_foreach(it, head) for ((it) = (head)->next; (it) != (head); (it) = (it)->next)
/* Safe against removal of `it` inside the body. */
#define mob__list_foreach_safe(it, tmp, head)                                                  \
    for ((it) = (head)->next, (tmp) = (it)->next; (it) != (head); (it) = (tmp), (tmp) = (it)->next)

#endif /* MOB_LIST_H */
