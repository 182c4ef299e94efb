/* SPDX-License-Identifier: MIT */
/*
 * heap.h: an intrusive binary min-heap of timer nodes, ordered by (deadline, seq). The seq
 * tie-break makes equal deadlines fire in insertion order, which keeps wake-ups deterministic.
 *
 * Invariants: heap->nodes[0..len) is a min-heap; node->index is the node's position in it, or
 * -1 when the node is not in the heap. The array grows by doubling and never shrinks.
 * Push, remove and pop are O(log n) in the number of pending timers; peek is O(1).
 */
#ifndef MOB_HEAP_H
#define MOB_HEAP_H

#include <stdint.h>

/* Include through src/internal.h, which defines MOB_REALLOC and MOB_FREE. */

struct mob__timer {
    int64_t deadline;
    uint64_t seq;
    int index;
};

struct mob__heap {
    struct mob__timer **nodes;
    int len, cap;
    uint64_t next_seq;
};

static inline int mob__timer_less(const struct mob__timer *a, const struct mob__timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static inline void mob__heap_place(struct mob__heap *h, int i, struct mob__timer *t)
{
    h->nodes[i] = t;
    t->index = i;
}

static inline void mob__heap_up(struct mob__heap *h, int i)
{
    struct mob__timer *t = h->nodes[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!mob__timer_less(t, h->nodes[parent]))
            break;
        mob__heap_place(h, i, h->nodes[parent]);
        i = parent;
    }
    mob__heap_place(h, i, t);
}

static inline void mob__heap_down(struct mob__heap *h, int i)
{
    struct mob__timer *t = h->nodes[i];
    for (;;) {
        int child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && mob__timer_less(h->nodes[child + 1], h->nodes[child]))
            child++;
        if (!mob__timer_less(h->nodes[child], t))
            break;
        mob__heap_place(h, i, h->nodes[child]);
        i = child;
    }
    mob__heap_place(h, i, t);
}

/* Returns 0, or -1 when the array cannot grow. */
static inline int mob__heap_push(struct mob__heap *h, struct mob__timer *t)
{
    if (mob_grow(&h->nodes, &h->cap, h->len + 1, sizeof *h->nodes, 64))
        return -1;
    t->seq = h->next_seq++;
    h->nodes[h->len] = t;
    mob__heap_up(h, h->len++);
    return 0;
}

static inline struct mob__timer *mob__heap_peek(const struct mob__heap *h)
{
    return h->len ? h->nodes[0] : NULL;
}

static inline void mob__heap_remove(struct mob__heap *h, struct mob__timer *t)
{
    int i = t->index;
    if (i < 0)
        return;
    t->index = -1;
    struct mob__timer *last = h->nodes[--h->len];
    if (i == h->len)
        return;
    mob__heap_place(h, i, last);
    mob__heap_down(h, i);
    mob__heap_up(h, last->index);
}

static inline void mob__heap_free(struct mob__heap *h)
{
    MOB_FREE(h->nodes);
    h->nodes = NULL;
    h->len = h->cap = 0;
}

#endif /* MOB_HEAP_H */
