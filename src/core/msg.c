/* SPDX-License-Identifier: MIT */
/*
 * msg.c: mailboxes, the "bots together" part of mob (testtoolkit's send, recv and
 * has_message).
 *
 * A message is copied once at send time. Each receiver gets its own node (struct mob__msg) on
 * its inbox list; a small payload is copied into every node, a large one sent to several bots
 * is shared and reference-counted. Nodes of the common size come from a free list refilled
 * in slabs, so a send to 100,000 bots costs no malloc per receiver after warm-up, and visits
 * each receiver once. Limit: the pool keeps its peak size until the loop is freed.
 *
 * When a message becomes visible depends on the loop's mode:
 *
 *   free      delivered at once; a receiver parked in mob_recv whose filter matches is woken.
 *   lockstep  a message sent by a running bot goes on the loop's pending list and is moved to
 *             its receiver's inbox by mob__msg_tick_end(), so it is visible in the next tick
 *             whatever the order of sender and receiver. A message sent from outside any bot
 *             (the host, a hook) is delivered at once: there is no running tick to order it
 *             against.
 *
 * Reading removes a message from the inbox (testtoolkit marks it read and drops it at the end
 * of the tick; nothing can tell the two apart). Unread messages stay.
 *
 * Groups (join, leave, members, which send_group addresses) are in msg_group.c; events and
 * barriers in sync.c.
 *
 * Read next: src/core/msg_group.c.
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "msg.h"

/* ---- messages -------------------------------------------------------------------------------- */

/* A large payload shared by several receivers of one send. */
struct mob__payload {
    size_t refs;
    alignas(max_align_t) unsigned char data[];
};

/*
 * One message for one receiver. The payload follows the node (inline, max-aligned) unless
 * `shared` is set.
 *
 *   +---------------------------+---------------------------+
 *   | struct mob__msg (padded)  | data[len] (inline case)   |
 *   +---------------------------+---------------------------+
 */
struct mob__msg {
    struct mob__list link; /* the receiver's inbox, the pending list, or a free list */
    mob_bot *to;
    struct mob__payload *shared; /* NULL: data is inline */
    size_t cap;                  /* inline bytes available after the node */
    mob_msg m;
};

#define MOB__MSG_HDR ((sizeof(struct mob__msg) + alignof(max_align_t) - 1) &                    \
                      ~(alignof(max_align_t) - 1))
/* Payloads up to this size are copied into each receiver's node; the node then comes from the
 * pool. 64 bytes covers a game command, a position, a chat line. */
#define MOB__MSG_INLINE ((size_t)64)
#define MOB__MSG_SLAB 256 /* nodes per pool refill */

/* Inboxes of bots whose struct was zero-filled are empty lists that were never initialised. */
static void inbox_init(mob_bot *bot)
{
    if (MOB_UNLIKELY(bot->inbox.next == NULL))
        mob__list_init(&bot->inbox);
}

static int pool_refill(struct mob__msgs *ms)
{
    if (mob_grow(&ms->slabs, &ms->slabs_cap, ms->nslabs + 1, sizeof *ms->slabs, 16))
        return -ENOMEM;
    size_t size = MOB__MSG_HDR + MOB__MSG_INLINE;
    unsigned char *slab = MOB_MALLOC(size * MOB__MSG_SLAB);
    if (!slab)
        return -ENOMEM;
    ms->slabs[ms->nslabs++] = slab;
    for (int i = 0; i < MOB__MSG_SLAB; i++) {
        struct mob__msg *m = (struct mob__msg *)(void *)(slab + (size_t)i * size);
        m->cap = MOB__MSG_INLINE;
        mob__list_push_back(&ms->pool, &m->link);
    }
    ms->pool_free += MOB__MSG_SLAB;
    return 0;
}

/* Makes sure the pool holds at least n free nodes, so that a send cannot fail half-way. */
static int pool_reserve(struct mob__msgs *ms, size_t n)
{
    while (ms->pool_free < n)
        if (pool_refill(ms) < 0)
            return -ENOMEM;
    return 0;
}

static void msg_free(struct mob__msgs *ms, struct mob__msg *m)
{
    if (m->shared && --m->shared->refs == 0)
        MOB_FREE(m->shared);
    if (m->cap == MOB__MSG_INLINE) {
        mob__list_push_front(&ms->pool, &m->link); /* front: the warmest node is reused first */
        ms->pool_free++;
    } else {
        MOB_FREE(m);
    }
}

static int filter_match(const mob_filter *f, const mob_msg *msg)
{
    if (!f)
        return 1;
    if (f->from) {
        size_t i = 0;
        while (i < f->nfrom && f->from[i] != msg->from)
            i++;
        if (i == f->nfrom)
            return 0;
    }
    return !f->pred || f->pred(msg, f->ud);
}

/* Appends to the receiver's inbox, waking it if it waits in mob_recv for such a message. */
static void deliver(struct mob__msg *m)
{
    mob_bot *to = m->to;
    inbox_init(to);
    mob__list_push_back(&to->inbox, &m->link);
    to->inbox_len++;
    if (to->recv_waiting && filter_match(to->recv_filter, &m->m)) {
        to->recv_waiting = 0;
        mob__wake(to, 0);
    }
}

/*
 * One send, in three calls: send_begin() gets every byte of memory the send can need for at
 * most `bound` receivers (so the send either reaches every receiver or, -ENOMEM, none),
 * send_one() hands a copy to one receiver, send_end() gives back what was not used.
 * Receivers are visited once, which matters when they are 100,000 cold bot structs.
 */
struct send_op {
    struct mob__msgs *ms;
    int from, kind;
    const void *data;
    size_t len;
    int hold;                    /* lockstep, inside a tick: to the pending list */
    struct mob__payload *shared; /* a large payload for several receivers */
    struct mob__msg *big;        /* a large payload for one receiver, node and all */
    size_t count;
};

static int send_begin(struct send_op *op, mob_loop *loop, const mob_bot *from, int kind,
                      const void *data, size_t len, size_t bound)
{
    *op = (struct send_op){.ms = loop->msgs, .from = from ? from->id : -1, .kind = kind,
                           .data = data, .len = len};
    mob__turn_active(loop);
    /* Inside a lockstep tick, hold until the tick ends; otherwise deliver now. */
    op->hold = loop->mode == MOB_LOCKSTEP && loop->current != NULL;
    if (bound == 0)
        return 0;
    if (len > MOB__MSG_INLINE && bound == 1) {
        op->big = MOB_MALLOC(MOB__MSG_HDR + len);
        if (!op->big)
            return -ENOMEM;
        op->big->cap = len;
        return 0;
    }
    if (len > MOB__MSG_INLINE) {
        op->shared = MOB_MALLOC(sizeof *op->shared + len);
        if (!op->shared)
            return -ENOMEM;
        op->shared->refs = 0;
        memcpy(op->shared->data, data, len);
    }
    if (pool_reserve(op->ms, bound) < 0) {
        MOB_FREE(op->shared);
        return -ENOMEM;
    }
    return 0;
}

static void send_one(struct send_op *op, mob_bot *to)
{
    struct mob__msg *m = op->big;
    if (m) {
        op->big = NULL;
    } else {
        /* Reserved by send_begin; refilled here only if a receive predicate sent meanwhile. */
        if (mob__list_empty(&op->ms->pool) && pool_refill(op->ms) < 0)
            return;
        m = mob__container_of(mob__list_pop_front(&op->ms->pool), struct mob__msg, link);
        op->ms->pool_free--;
    }
    m->to = to;
    m->m.from = op->from;
    m->m.kind = op->kind;
    m->m.len = op->len;
    m->shared = op->shared;
    if (op->shared) {
        op->shared->refs++;
        m->m.data = op->shared->data;
    } else {
        unsigned char *p = (unsigned char *)m + MOB__MSG_HDR;
        if (op->len)
            memcpy(p, op->data, op->len);
        m->m.data = p;
    }
    op->count++;
    if (op->hold)
        mob__list_push_back(&op->ms->pending, &m->link);
    else
        deliver(m);
}

static int send_end(struct send_op *op)
{
    MOB_FREE(op->big); /* its one receiver was skipped */
    if (op->shared && op->shared->refs == 0)
        MOB_FREE(op->shared);
    return (int)op->count;
}

/* Checks the sender and returns its loop. */
static mob_loop *sender_loop(mob_bot *self)
{
    MOB_ASSERT(self != NULL, "mob_send*: self is NULL (the host sends with mob_post*)");
    MOB_CHECK_SELF(self);
    return self->loop;
}

/* Is `bot` a receiver for a message from `from`? */
static int receives(const mob_bot *bot, const mob_bot *from)
{
    return bot != from && bot->state != MOB__DONE;
}

static int send_list(mob_loop *loop, mob_bot *from, const int *ids, size_t n, int kind,
                     const void *data, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= loop->nbots)
            return -ESRCH;
    struct send_op op;
    int rc = send_begin(&op, loop, from, kind, data, len, n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        mob_bot *b = mob_bot_get(loop, ids[i]);
        if (receives(b, from))
            send_one(&op, b);
    }
    return send_end(&op);
}

static int send_group(mob_loop *loop, mob_bot *from, int group, int kind, const void *data,
                      size_t len)
{
    struct mob__group *g = mob__group_find(loop->msgs, group);
    if (!g)
        return 0;
    mob__group_sort(g); /* receivers in ascending id order, so wake-ups are too */
    struct send_op op;
    int rc = send_begin(&op, loop, from, kind, data, len, (size_t)g->n);
    if (rc < 0)
        return rc;
    struct mob__list *it;
    mob__list_foreach(it, &g->members) {
        mob_bot *b = mob__container_of(it, struct mob__member, link)->bot;
        if (receives(b, from))
            send_one(&op, b);
    }
    return send_end(&op);
}

static int send_all(mob_loop *loop, mob_bot *from, int kind, const void *data, size_t len)
{
    struct send_op op;
    int rc = send_begin(&op, loop, from, kind, data, len, (size_t)loop->nbots);
    if (rc < 0)
        return rc;
    for (int id = 0; id < loop->nbots; id++) {
        mob_bot *b = mob_bot_get(loop, id);
        if (receives(b, from))
            send_one(&op, b);
    }
    return send_end(&op);
}

/*
 * Sends from a bot. Ids that were never spawned make the whole send fail with -ESRCH; the
 * sender and bots that have returned are skipped and not counted. O(receivers).
 */
int mob_send(mob_bot *self, int to, int kind, const void *data, size_t len)
{
    return send_list(sender_loop(self), self, &to, 1, kind, data, len);
}

int mob_send_list(mob_bot *self, const int *to, size_t n, int kind, const void *data, size_t len)
{
    return send_list(sender_loop(self), self, to, n, kind, data, len);
}

/* O(group size); an unknown group has no members and addresses nobody. */
int mob_send_group(mob_bot *self, int group, int kind, const void *data, size_t len)
{
    return send_group(sender_loop(self), self, group, kind, data, len);
}

/* O(bots spawned). */
int mob_send_all(mob_bot *self, int kind, const void *data, size_t len)
{
    return send_all(sender_loop(self), self, kind, data, len);
}

int mob_post(mob_loop *loop, int to, int kind, const void *data, size_t len)
{
    return send_list(loop, NULL, &to, 1, kind, data, len);
}

int mob_post_list(mob_loop *loop, const int *to, size_t n, int kind, const void *data, size_t len)
{
    return send_list(loop, NULL, to, n, kind, data, len);
}

int mob_post_group(mob_loop *loop, int group, int kind, const void *data, size_t len)
{
    return send_group(loop, NULL, group, kind, data, len);
}

int mob_post_all(mob_loop *loop, int kind, const void *data, size_t len)
{
    return send_all(loop, NULL, kind, data, len);
}

/* The oldest message in the inbox that matches, or NULL. O(inbox). */
static struct mob__msg *inbox_find(mob_bot *self, const mob_filter *filter)
{
    struct mob__list *it;
    inbox_init(self);
    mob__list_foreach(it, &self->inbox) {
        struct mob__msg *m = mob__container_of(it, struct mob__msg, link);
        if (filter_match(filter, &m->m))
            return m;
    }
    return NULL;
}

/* Frees the message handed out by the previous receive: its data is valid until now. */
static void drop_current(mob_bot *self)
{
    if (self->cur_msg) {
        msg_free(self->loop->msgs, self->cur_msg);
        self->cur_msg = NULL;
    }
}

static void take(mob_bot *self, struct mob__msg *m, mob_msg *out)
{
    mob__list_remove(&m->link);
    self->inbox_len--;
    self->cur_msg = m;
    *out = m->m;
}

/* Undoes mob_recv's wait record on timeout or cancellation. */
static void recv_unpark(mob_bot *bot)
{
    bot->recv_waiting = 0;
    bot->recv_filter = NULL;
}

/*
 * Parks until a matching message arrives. The sender (free mode) or the end of the tick
 * (lockstep) checks the filter and wakes us, so a message that does not match costs the
 * waiting bot no switch.
 */
int mob_recv(mob_bot *self, mob_msg *out, const mob_filter *filter, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    drop_current(self);
    if (self->cancelled)
        return -ECANCELED;
    for (;;) {
        struct mob__msg *m = inbox_find(self, filter);
        if (m) {
            take(self, m, out);
            return 0;
        }
        if (deadline != MOB_FOREVER && deadline <= mob_now(self->loop))
            return -ETIMEDOUT;
        self->recv_filter = filter;
        self->recv_waiting = 1;
        int rc = mob__park(self, deadline, recv_unpark, NULL);
        self->recv_waiting = 0;
        self->recv_filter = NULL;
        if (rc < 0)
            return rc;
    }
}

int mob_try_recv(mob_bot *self, mob_msg *out, const mob_filter *filter)
{
    MOB_CHECK_SELF(self);
    drop_current(self);
    struct mob__msg *m = inbox_find(self, filter);
    mob__turn_query(self->loop, m != NULL);
    if (!m)
        return -EAGAIN;
    take(self, m, out);
    return 0;
}

/* O(1) without a filter, O(inbox) with one. */
int mob_has_message(mob_bot *self, const mob_filter *filter)
{
    MOB_CHECK_SELF(self);
    inbox_init(self);
    int n = 0;
    if (!filter) {
        n = self->inbox_len;
    } else {
        struct mob__list *it;
        mob__list_foreach(it, &self->inbox) {
            if (filter_match(filter, &mob__container_of(it, struct mob__msg, link)->m))
                n++;
        }
    }
    mob__turn_query(self->loop, n > 0);
    return n;
}

/* ---- loop hooks ------------------------------------------------------------------------------ */

int mob__msg_init(mob_loop *loop)
{
    struct mob__msgs *ms = MOB_CALLOC(1, sizeof *ms);
    if (!ms)
        return -ENOMEM;
    mob__list_init(&ms->pending);
    mob__list_init(&ms->pool);
    loop->msgs = ms;
    return 0;
}

/* Moves everything sent during the tick to the inboxes, in send order, waking receivers that
 * wait for it. Messages to bots that returned meanwhile are dropped. O(messages sent). */
int mob__msg_tick_end(mob_loop *loop)
{
    struct mob__msgs *ms = loop->msgs;
    struct mob__list *it;
    int n = 0;
    while ((it = mob__list_pop_front(&ms->pending)) != NULL) {
        struct mob__msg *m = mob__container_of(it, struct mob__msg, link);
        if (m->to->state == MOB__DONE) {
            msg_free(ms, m);
        } else {
            deliver(m);
            n++;
        }
    }
    return n;
}

void mob__msg_bot_done(mob_bot *bot)
{
    struct mob__msgs *ms = bot->loop->msgs;
    drop_current(bot);
    inbox_init(bot);
    struct mob__list *it;
    while ((it = mob__list_pop_front(&bot->inbox)) != NULL)
        msg_free(ms, mob__container_of(it, struct mob__msg, link));
    bot->inbox_len = 0;
    while (bot->ngroups > 0)
        mob__group_member_remove(ms, bot, bot->ngroups - 1);
    MOB_FREE(bot->groups);
    bot->groups = NULL;
    bot->groups_cap = 0;
}

/* Bots still alive were run to completion before this, so only pending messages and groups of
 * bots that never ran can remain; they are freed here. */
void mob__msg_fini(mob_loop *loop)
{
    struct mob__msgs *ms = loop->msgs;
    if (!ms)
        return;
    struct mob__list *it;
    while ((it = mob__list_pop_front(&ms->pending)) != NULL)
        msg_free(ms, mob__container_of(it, struct mob__msg, link));
    for (int id = 0; id < loop->nbots; id++) {
        mob_bot *b = mob_bot_get(loop, id);
        if (b && (b->ngroups || b->groups || b->cur_msg || (b->inbox.next && b->inbox_len)))
            mob__msg_bot_done(b);
    }
    for (size_t i = 0; i < ms->table_cap; i++)
        MOB_FREE(ms->table[i]); /* only reachable if a bot was never cleaned up */
    MOB_FREE(ms->table);
    for (int i = 0; i < ms->nslabs; i++)
        MOB_FREE(ms->slabs[i]);
    MOB_FREE(ms->slabs);
    MOB_FREE(ms);
    loop->msgs = NULL;
}
