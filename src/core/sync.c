/* SPDX-License-Identifier: MIT */
/*
 * sync.c: events and barriers, the two ways for bots to wait for each other without messages
 * (aiotesttoolkit's asyncio.Event hand-offs; "all logged in, then go").
 *
 * Both are a wait list of parked bots, threaded through bot->link, which the park/wake protocol
 * of src/internal.h leaves to whoever the bot waits on. Waking takes a bot off the list first,
 * because mob__wake reuses the same link for the ready queue; the unpark functions, called on
 * timeout or cancellation, take it off too, so the list only ever holds parked bots.
 *
 * They do not count as loop objects: free them once no bot waits on them (after mob_loop_run
 * returned, typically). Read next: src/core/msg.c.
 */
#include <errno.h>

#include "internal.h"

/* ---- events ---------------------------------------------------------------------------------- */

struct mob_event {
    mob_loop *loop;
    int set;
    struct mob__list waiters; /* parked bots, in arrival order */
};

/* Returns a cleared event, or NULL (errno ENOMEM). */
mob_event *mob_event_new(mob_loop *loop)
{
    mob_event *ev = MOB_MALLOC(sizeof *ev);
    if (!ev) {
        errno = ENOMEM;
        return NULL;
    }
    ev->loop = loop;
    ev->set = 0;
    mob__list_init(&ev->waiters);
    return ev;
}

/* Freeing an event that bots still wait on would leave them parked on freed memory: a broken
 * contract, so it aborts. NULL is a no-op. */
void mob_event_free(mob_event *ev)
{
    if (!ev)
        return;
    MOB_ASSERT(mob__list_empty(&ev->waiters), "mob_event_free: bots still wait on the event");
    MOB_FREE(ev);
}

/* Wakes the waiters in arrival order. O(waiters). */
void mob_event_set(mob_event *ev)
{
    mob__turn_active(ev->loop);
    ev->set = 1;
    struct mob__list *it;
    while ((it = mob__list_pop_front(&ev->waiters)) != NULL)
        mob__wake(mob__container_of(it, mob_bot, link), 0);
}

void mob_event_clear(mob_event *ev)
{
    ev->set = 0;
}

int mob_event_is_set(const mob_event *ev)
{
    return ev->set;
}

static void waiter_unpark(mob_bot *bot)
{
    if (mob__list_linked(&bot->link))
        mob__list_remove(&bot->link);
}

/*
 * A set event returns at once, even to a cancelled bot: nothing would block. A bot woken by
 * mob_event_set returns 0 even if the event was cleared again before it ran: it was set when
 * the bot was released, which is what a waiter asks about.
 */
int mob_event_wait(mob_bot *self, mob_event *ev, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (ev->set)
        return 0;
    if (self->cancelled)
        return -ECANCELED;
    if (deadline != MOB_FOREVER && deadline <= mob_now(self->loop))
        return -ETIMEDOUT;
    mob__list_push_back(&ev->waiters, &self->link);
    int rc = mob__park(self, deadline, waiter_unpark, ev);
    if (rc < 0)
        waiter_unpark(self); /* refused before parking (no memory for the timer) */
    return rc;
}

/* ---- barriers -------------------------------------------------------------------------------- */

struct mob_barrier {
    mob_loop *loop;
    int n;                    /* parties per generation */
    int arrived;              /* parked in the current generation */
    struct mob__list waiters; /* those `arrived` bots */
};

/* Returns a barrier for n >= 1 parties, or NULL (errno EINVAL or ENOMEM). */
mob_barrier *mob_barrier_new(mob_loop *loop, int n)
{
    if (n < 1) {
        errno = EINVAL;
        return NULL;
    }
    mob_barrier *b = MOB_MALLOC(sizeof *b);
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    b->loop = loop;
    b->n = n;
    b->arrived = 0;
    mob__list_init(&b->waiters);
    return b;
}

/* Aborts when bots still wait on it, as mob_event_free does. NULL is a no-op. */
void mob_barrier_free(mob_barrier *b)
{
    if (!b)
        return;
    MOB_ASSERT(mob__list_empty(&b->waiters), "mob_barrier_free: bots still wait on the barrier");
    MOB_FREE(b);
}

static void barrier_leave(mob_bot *bot, mob_barrier *b)
{
    if (mob__list_linked(&bot->link)) {
        mob__list_remove(&bot->link);
        b->arrived--; /* a bot that gives up no longer counts towards the generation */
    }
}

static void barrier_unpark(mob_bot *bot)
{
    barrier_leave(bot, bot->wait_obj);
}

/*
 * The n-th arrival releases the n-1 parked bots of its generation (in arrival order) and
 * returns 1 without parking; the barrier is then empty and ready for the next generation.
 * O(n) for the last arrival, O(1) for the others.
 */
int mob_barrier_wait(mob_bot *self, mob_barrier *b, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (self->cancelled)
        return -ECANCELED;
    if (b->arrived + 1 == b->n) {
        struct mob__list *it;
        b->arrived = 0;
        while ((it = mob__list_pop_front(&b->waiters)) != NULL)
            mob__wake(mob__container_of(it, mob_bot, link), 0);
        return 1;
    }
    if (deadline != MOB_FOREVER && deadline <= mob_now(self->loop))
        return -ETIMEDOUT;
    b->arrived++;
    mob__list_push_back(&b->waiters, &self->link);
    int rc = mob__park(self, deadline, barrier_unpark, b);
    if (rc < 0)
        barrier_leave(self, b); /* refused before parking (no memory for the timer) */
    return rc;
}
