/* SPDX-License-Identifier: MIT */
/*
 * scope.c: scopes inside one loop (aioloop-proxy's proxies) and the leak check of bots that
 * the loop's check (mob_loop_check) and a scope's both use.
 *
 * A scope is a depth: the loop keeps its open scopes as a stack, and every bot and every fd
 * records the depth of the scope it was made in (mob__scope_of_caller: a bot's own scope when
 * a bot makes it, the host's current scope otherwise). Scopes nest strictly, and closing one
 * closes those opened inside it first, so "the scope of depth d and deeper" is exactly what a
 * scope owns; a session-long bot made before (depth 0, or an outer scope) is never touched.
 * Timers are not objects of their own in mob: a bot parked with a deadline is one, and belongs
 * to the bot's scope.
 *
 * Read next: src/core/msg.c.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

/* Does bot b belong to the scope of depth `scope` (0: the whole loop)? */
static int in_scope(const mob_bot *b, int scope)
{
    return scope == 0 || b->scope >= scope;
}

/* Prints one line per leaked bot of the selected kinds; returns how many there were. */
static int count_bot_leaks(mob_loop *loop, int kinds, int report, int scope)
{
    const char *where = scope > 0 ? " in a scope" : "";
    int leaks = 0;
    for (int id = 0; id < loop->nbots; id++) {
        mob_bot *b = mob_bot_get(loop, id);
        if (b->state == MOB__DONE || !in_scope(b, scope))
            continue;
        int timed = b->state == MOB__PARKED && b->timer.index >= 0;
        if (kinds & MOB_CHECK_BOTS) {
            leaks++;
            if (report)
                fprintf(stderr, "mob: leak%s: bot %d has not returned (%s)\n", where, id,
                        mob__state_name(b->state));
        } else if ((kinds & MOB_CHECK_TIMERS) && timed) {
            leaks++;
            if (report)
                fprintf(stderr, "mob: leak%s: bot %d has a pending deadline in %.3f s\n", where,
                        id, (double)(b->timer.deadline - mob_now(loop)) / 1e9);
        }
    }
    return leaks;
}

int mob__bots_check(mob_loop *loop, int kinds, int report, int scope)
{
    int leaks = count_bot_leaks(loop, kinds, report, scope);
    /* Cancel everything of the scope still alive and let it unwind: cancelled bots see
     * -ECANCELED from every blocking call, so a well-behaved bot returns within a few steps.
     * The steps run every other bot too, which is what keeps a session-long server serving. */
    for (int round = 0; round < 1000 && loop->alive > 0; round++) {
        int left = 0;
        for (int id = 0; id < loop->nbots; id++) {
            mob_bot *b = mob_bot_get(loop, id);
            if (b->state != MOB__DONE && in_scope(b, scope)) {
                mob__cancel_for_shutdown(b);
                left++;
            }
        }
        if (left == 0)
            break;
        mob_loop_step(loop, 0);
    }
    return leaks;
}

mob_scope *mob_scope_open(mob_loop *loop)
{
    MOB_ASSERT(loop->current == NULL, "mob_scope_open called from inside a bot");
    if (loop->nscopes >= 65535) { /* an fd entry keeps the depth in 16 bits */
        errno = EOVERFLOW;
        return NULL;
    }
    if (mob_grow(&loop->scopes, &loop->scopes_cap, loop->nscopes + 1, sizeof *loop->scopes, 4))
        return NULL;
    mob_scope *s = MOB_CALLOC(1, sizeof *s);
    if (!s)
        return NULL;
    s->loop = loop;
    s->depth = loop->nscopes + 1;
    loop->scopes[loop->nscopes++] = s;
    return s;
}

int mob_scope_check(mob_scope *scope, int kinds, int report)
{
    mob_loop *loop = scope->loop;
    MOB_ASSERT(loop->current == NULL, "mob_scope_check called from inside a bot");
    MOB_ASSERT(scope->depth <= loop->nscopes && loop->scopes[scope->depth - 1] == scope,
               "mob_scope_check on a scope that is closed");
    int leaks = mob__bots_check(loop, kinds, report, scope->depth);
    int fd_leaks = mob__io_check(loop, report && (kinds & MOB_CHECK_FDS), scope->depth);
    if (kinds & MOB_CHECK_FDS)
        leaks += fd_leaks;
    return leaks;
}

int mob_scope_close(mob_scope *scope, int kinds, int report)
{
    mob_loop *loop = scope->loop;
    MOB_ASSERT(loop->current == NULL, "mob_scope_close called from inside a bot");
    MOB_ASSERT(scope->depth <= loop->nscopes && loop->scopes[scope->depth - 1] == scope,
               "mob_scope_close on a scope that is closed");
    /* What the inner scopes own is also this one's (depth and deeper): one check finds it. */
    int leaks = mob_scope_check(scope, kinds, report);
    int depth = scope->depth; /* `scope` itself is freed below */
    while (loop->nscopes >= depth)
        MOB_FREE(loop->scopes[--loop->nscopes]);
    return leaks;
}

void mob__scopes_free(mob_loop *loop)
{
    while (loop->nscopes > 0)
        MOB_FREE(loop->scopes[--loop->nscopes]);
    MOB_FREE(loop->scopes);
    loop->scopes = NULL;
}
