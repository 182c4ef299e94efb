/* SPDX-License-Identifier: MIT */
/*
 * sched.h: the scheduler's fast path: the ready queue, picking the next bot, the switch to it,
 * parking and waking. loop.c wraps it as mob__park and mob__wake for most callers; the calls
 * that park and wake most (mob_read, the poller's loop in io.c, mob_yield) inline it.
 *
 * Why a header and not loop.c: a bot blocked in mob_read would be suspended three calls deep
 * (mob_read, mob__fd_park, mob__park), each level keeping its own saved registers on the
 * bot's stack, so with thousands of bots waking in turn each level is another cold cache line
 * on resume and another prologue and epilogue. Inlined, a parked bot is one frame deep.
 * Measured by `mob-bench echo --conns 1000` (instructions per round trip under callgrind);
 * the figures are in tools/PERFORMANCE.md.
 *
 * Every function that inlines mob__sched_park or sched_next contains the switch and must be
 * marked MOB__SWITCHES (platform/platform.h says why).
 *
 * Read next: src/core/loop.c, which drives it.
 */
#ifndef MOB_SCHED_H
#define MOB_SCHED_H

#include <errno.h>

#include "internal.h"

/*
 * Returns a finished bot's stack to its pool. A bot cannot free the stack it is running on, so
 * a returning bot only leaves itself in loop->reap and switches away; whoever runs next on
 * another stack gives it back later: the host when the step comes back to it
 * (mob__switch_from_host), a generator hand-off (mob__switch_to), the next bot to return, or
 * the next spawn (which then reuses the stack while it is warm). Not after every switch: that would be a load and a branch on
 * every yield for what happens once per bot (`mob-bench switch --case 2`). At most one stack
 * waits at a time.
 */
static inline void sched_reap(mob_loop *loop)
{
    mob_bot *dead = loop->reap;
    if (MOB_UNLIKELY(dead != NULL)) {
        loop->reap = NULL;
        mob__bot_release_stack(dead);
    }
}

static inline __attribute__((always_inline)) void sched_switch(mob_loop *loop,
                                                            struct mob__ctx *from, mob_bot *to)
{
    struct mob__ctx *target;
    const struct mob__stack *stack;
    /* A bot that has returned leaves for good (sanitizers may drop what they kept for it). */
    int from_done = loop->reap != NULL && &loop->reap->ctx == from;
    /* One compare when no bot has its own FP environment, the common case (mob.h). */
    if (MOB_UNLIKELY(loop->fpenv_bots != 0))
        mob__fpenv_switch(loop, to);
    if (to) {
        if (MOB_UNLIKELY(to->fresh))
            mob__bot_first_frame(to);
        /* Whatever it was (new, parked, an idle generator), a bot that runs is runnable. */
        to->state = MOB__READY;
        loop->current = to;
        target = &to->ctx;
        stack = &to->stack;
        loop->stats.switches++;
    } else {
        loop->current = NULL;
        target = &loop->main_ctx;
        stack = NULL;
    }
    mob__switch_annotated(from, target, stack, from_done);
}

static inline void sched_ready_push(mob_loop *loop, mob_bot *bot)
{
    bot->run_next = NULL;
    *loop->ready_tail = bot;
    loop->ready_tail = &bot->run_next;
    loop->nready++;
}

static inline mob_bot *sched_ready_pop(mob_loop *loop)
{
    mob_bot *b = loop->ready_head;
    if (b) {
        loop->ready_head = b->run_next;
        b->run_next = NULL; /* off the queue, a bot's link is NULL: sched_rotate relies on it */
        if (!loop->ready_head)
            loop->ready_tail = &loop->ready_head;
        loop->nready--;
    }
    return b;
}

static inline void sched_make_ready(mob_loop *loop, mob_bot *bot)
{
    bot->state = MOB__READY;
    sched_ready_push(loop, bot);
}

/* mob__wake (internal.h), inline for the poller's hot loop. */
static inline __attribute__((always_inline)) void sched_wake(mob_bot *bot, int rc)
{
    if (bot->state != MOB__PARKED)
        return;
    if (MOB_UNLIKELY(bot->timed)) {
        mob__heap_remove(&bot->loop->timers, &bot->timer);
        bot->timed = 0;
    }
    bot->unpark = NULL;
    bot->wait_obj = NULL;
    bot->wait_rc = rc;
    sched_make_ready(bot->loop, bot);
}

/*
 * Warms up the bot that will run after the one being picked now: its stack top (through its
 * saved stack pointer, in the struct fetched one pick earlier; for a new bot, the lines its
 * first frame will be written to, at the top of a stack it has not touched yet), what it last
 * waited on (for a socket, the fd entry mob_read looks at first), and the struct of the bot
 * after it. Every bot has a page of stack of its own, so with a few thousand bots a resume
 * after a long wait, or a first run, misses not only the cache but the TLB, and that page
 * walk (two levels of page tables under a hypervisor) stalls the switch, which depends on it.
 * Issued a bot ahead, it overlaps the current bot's work. Measured by `mob-bench echo --conns
 * 1000` against raw epoll (tools/compare-selectors.sh), `mob-bench switch --case 10000` and,
 * for new bots, `mob-bench spawn` (warm, on a CPU); it costs a few instructions per yield
 * (`--case 2`). Figures: tools/PERFORMANCE.md. `next` and `after` are queued, so alive;
 * `last_wait` may be stale, which is harmless: a prefetch never faults.
 * Always inlined, and sched_pick with it: GCC sees a function that only prefetches as free of
 * side effects and may delete its calls when it does not inline it (the codegen leg of .ci/run
 * checks that the prefetches are in the library).
 */
static inline __attribute__((always_inline)) void sched_prefetch(mob_bot *next, mob_bot *after)
{
    if (next) {
        /* Never a prefetch of NULL (nor of a new bot's unset stack pointer): a prefetch that
         * cannot translate its address can cost a failing page walk every time (seen with 2
         * bots yielding, `mob-bench switch --case 2`). */
        if (!next->fresh) {
            mob__ctx_prefetch(&next->ctx);
        } else {
            char *top = (char *)next->stack.lo + next->stack.size; /* set at spawn */
            __builtin_prefetch(top - 64, 1);
            __builtin_prefetch(top - 192, 1);
        }
        if (next->last_wait)
            __builtin_prefetch(next->last_wait, 1);
        if (after)
            __builtin_prefetch(after, 1);
    }
}

/* The next bot to run in this step, or NULL when the step is over. */
static inline __attribute__((always_inline)) mob_bot *sched_pick(mob_loop *loop)
{
    if (loop->mode == MOB_LOCKSTEP) {
        int pos = loop->tick_pos;
        if (pos >= loop->tick_len)
            return NULL;
        loop->tick_pos = pos + 1;
        if (pos + 1 < loop->tick_len)
            sched_prefetch(loop->tick[pos + 1],
                           pos + 2 < loop->tick_len ? loop->tick[pos + 2] : NULL);
        return loop->tick[pos];
    }
    if (loop->stats.switches >= loop->switch_limit)
        return NULL;
    mob_bot *b = sched_ready_pop(loop);
    if (b) {
        /* Not when it is the bot yielding now (two bots taking turns): it is hot already. */
        mob_bot *next = loop->ready_head;
        if (next != loop->current)
            sched_prefetch(next, next ? next->run_next : NULL);
    }
    return b;
}

/*
 * mob_yield's common case: the yielding bot goes to the back of the queue and the queue's
 * head comes off, in one move. It is what sched_ready_push then sched_pick do in free mode,
 * without the count that goes up and down again, the tail written twice and the check that
 * the bot picked is not the yielder (a running bot is never queued); measured by
 * `mob-bench switch --case 2`. Returns the bot to switch to, or NULL, having changed nothing,
 * when the general path must run: lockstep (whose switch limit is always reached), the step's
 * budget spent, nobody else ready, or either bot needing a detour (sched_switch_fast). The
 * step's budget is the switch count itself (mob_loop.switch_limit): one counter to bump, not
 * two.
 */
static inline __attribute__((always_inline)) mob_bot *sched_rotate(mob_loop *loop, mob_bot *self)
{
    mob_bot *next = loop->ready_head;
    if (next == NULL || loop->stats.switches >= loop->switch_limit ||
        (self->detour | next->detour))
        return NULL;
    mob_bot *after = next->run_next;
    /* self->run_next is NULL already: a bot's link is cleared when it leaves the queue, here
     * for `next` (only needed when it had one) and in sched_ready_pop; so the two bots taking
     * turns write no link at all. */
    /* Laid out for two bots taking turns, the case measured against Boost's jump: straight
     * through. With many bots the branch is taken, a cycle beside their cache misses. */
    if (MOB_UNLIKELY(after != NULL)) {
        next->run_next = NULL;
        loop->ready_head = after;
        *loop->ready_tail = self;
        sched_prefetch(after, after->run_next);
    } else {
        loop->ready_head = self;
    }
    loop->ready_tail = &self->run_next;
    return next;
}

/*
 * sched_switch from one bot to another when neither needs a detour (no first frame to lay
 * out, no canary, no FP environment of its own, so nothing but the registers changes hands).
 * Returns the bot that was switched away from, once it runs again, taken from the switch
 * itself rather than kept across it (mob__switch_resume).
 */
static inline __attribute__((always_inline)) mob_bot *sched_switch_fast(mob_loop *loop,
                                                                     mob_bot *self,
                                                                     mob_bot *next)
{
    loop->current = next;
    loop->stats.switches++;
    return mob__container_of(mob__switch_resume(&self->ctx, &next->ctx, &next->stack), mob_bot,
                             ctx);
}

static inline __attribute__((always_inline)) void sched_next(mob_loop *loop, mob_bot *self)
{
    if (MOB_UNLIKELY(self->canary) && !mob__stack_canary_ok(&self->stack))
        MOB_PANIC("bot %d overflowed its %zu-byte stack (canary smashed)", self->id,
                  self->stack.size);
    mob_bot *next = sched_pick(loop);
    if (next == self) {
        /* It yielded and nobody else is runnable: carry on without a switch, but spend the
         * step's budget all the same, so that the host polls in time. */
        loop->switch_limit--;
        return;
    }
    sched_switch(loop, &self->ctx, next);
}

static inline __attribute__((always_inline)) int mob__sched_park(mob_bot *self, int64_t deadline,
                                                                 mob__unpark_fn unpark,
                                                                 void *wait_obj)
{
    mob_loop *loop = self->loop;
    if (self->cancelled)
        return -ECANCELED;
    if (deadline == MOB_NOW)
        return -ETIMEDOUT;
    self->state = MOB__PARKED;
    self->unpark = unpark;
    self->wait_obj = wait_obj;
    self->last_wait = wait_obj;
    self->wait_rc = 0;
    if (deadline > 0) {
        self->timer.deadline = deadline;
        if (mob__heap_push(&loop->timers, &self->timer) != 0) {
            self->state = MOB__READY;
            return -ENOMEM;
        }
        self->timed = 1;
    }
    sched_next(loop, self);
    return self->wait_rc;
}

#endif /* MOB_SCHED_H */
