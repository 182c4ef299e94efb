/* SPDX-License-Identifier: MIT */
/*
 * test_own.c: a parent owns its children (cancelled and joined before it is done, cancellation
 * reaching every descendant, detached bots outliving their spawner), and per-bot storage
 * (sized at spawn, zeroed, beside the bot, bounded, freed when the bot is done), including the
 * load runner's per-bot state, which lives there.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "mob.h"
#include "mob_run.h"

/* ---- a parent owns its children ----------------------------------------------------------- */

struct family {
    int child_rc;          /* what the child's sleep returned */
    int child_done_first;  /* the child was done when the parent's cleanup ran */
    int parent_done_seen;  /* a joiner of the parent saw the child done */
    mob_bot *child, *parent;
};

static intptr_t sleep_forever(mob_bot *self, void *arg)
{
    struct family *f = arg;
    int rc = mob_sleep(self, MOB_FOREVER);
    if (f)
        f->child_rc = rc;
    /* Unwinding takes a few turns: the parent must still wait. */
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    return 7;
}

static void parent_cleanup(void *ud)
{
    struct family *f = ud;
    f->child_done_first = mob_bot_done(f->child);
}

static intptr_t parent_returns_at_once(mob_bot *self, void *arg)
{
    struct family *f = arg;
    f->child = mob_spawn(mob_bot_loop(self), sleep_forever, f);
    mob_defer(self, parent_cleanup, f);
    mob_yield(self); /* let the child start and park */
    return 0;
}

static intptr_t join_parent(mob_bot *self, void *arg)
{
    struct family *f = arg;
    cr_expect_eq(mob_join(self, f->parent, NULL, MOB_FOREVER), 0);
    f->parent_done_seen = mob_bot_done(f->child);
    return 0;
}

Test(own, a_returning_parent_cancels_and_joins_its_children_before_its_cleanups, .timeout = 5)
{
    struct family f = {.child_rc = 1};
    mob_loop *loop = mob_loop_new(NULL);
    f.parent = mob_spawn(loop, parent_returns_at_once, &f);
    mob_spawn(loop, join_parent, &f);
    cr_assert_eq(mob_loop_run(loop), 0, "no bot left sleeping forever");
    cr_assert_eq(f.child_rc, -ECANCELED);
    cr_assert(f.child_done_first, "the child was done before the parent's cleanups ran");
    cr_assert(f.parent_done_seen, "the parent's joiner woke after the child was done");
    cr_assert_eq(mob_bot_result(f.child), 7, "the child unwound normally");
    cr_assert_eq(mob_bot_parent(f.child), f.parent);
    cr_assert_null(mob_bot_parent(f.parent));
    cr_assert_eq(mob_loop_free(loop), 0);
}

struct tree {
    int cancelled_seen;
    int depth;
};

static intptr_t grow(mob_bot *self, void *arg)
{
    struct tree *t = arg;
    if (mob_bot_id(self) < t->depth)
        mob_spawn(mob_bot_loop(self), grow, t);
    if (mob_sleep(self, MOB_FOREVER) == -ECANCELED)
        t->cancelled_seen++;
    return 0;
}

Test(own, cancelling_a_bot_reaches_every_descendant_even_a_long_chain, .timeout = 10)
{
    /* A chain 3,000 deep, cancelled from its root: a recursive walk would need far more stack
     * than a bot has. */
    struct tree t = {.depth = 3000};
    mob_loop_options lo = {.stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&lo);
    mob_bot *root = mob_spawn(loop, grow, &t);
    while (mob_bot_count(loop) <= t.depth)
        cr_assert_gt(mob_loop_step(loop, 0), 0);
    mob_loop_step(loop, 0);
    cr_assert_eq(t.cancelled_seen, 0);
    cr_assert_eq(mob_cancel(root), 0);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(t.cancelled_seen, t.depth + 1);
    cr_assert_eq(mob_loop_free(loop), 0);
}

struct detach {
    mob_bot *kept;
    int kept_rc;
};

static intptr_t long_lived(mob_bot *self, void *arg)
{
    struct detach *d = arg;
    d->kept_rc = mob_sleep(self, 30 * MOB_NS_PER_MS);
    return 0;
}

static intptr_t starts_a_server_and_returns(mob_bot *self, void *arg)
{
    struct detach *d = arg;
    mob_spawn_options o = {.detached = 1};
    d->kept = mob_spawn_ex(mob_bot_loop(self), long_lived, d, &o);
    return 0;
}

Test(own, a_detached_bot_outlives_the_bot_that_spawned_it, .timeout = 5)
{
    struct detach d = {.kept_rc = 1};
    mob_loop *loop = mob_loop_new(NULL);
    mob_bot *p = mob_spawn(loop, starts_a_server_and_returns, &d);
    mob_loop_step(loop, 0);
    cr_assert(mob_bot_done(p), "the spawner is done at once: it owns nothing");
    cr_assert(!mob_bot_done(d.kept));
    cr_assert_null(mob_bot_parent(d.kept));
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(d.kept_rc, 0, "slept its full time, never cancelled");
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t counting_gen(mob_bot *self, void *arg)
{
    int *unwound = arg;
    for (intptr_t i = 0;; i++)
        if (mob_gen_yield(self, i) < 0)
            break;
    (*unwound)++;
    return 0;
}

static intptr_t takes_one_value(mob_bot *self, void *arg)
{
    mob_bot *g = mob_gen_spawn(mob_bot_loop(self), counting_gen, arg);
    intptr_t v = -1;
    cr_expect_eq(mob_gen_next(self, g, &v), 1);
    cr_expect_eq(v, 0);
    return 0; /* the generator is idle, waiting for a next that never comes */
}

Test(own, an_idle_generator_child_is_resumed_to_unwind_when_its_parent_returns, .timeout = 5)
{
    int unwound = 0;
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, takes_one_value, &unwound);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(unwound, 1);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t cancels_its_children(mob_bot *self, void *arg)
{
    int *n = arg;
    for (int i = 0; i < 3; i++)
        mob_spawn(mob_bot_loop(self), sleep_forever, NULL);
    mob_yield(self);
    *n = mob_cancel_children(self);
    cr_expect_eq(mob_join_children(self, MOB_FOREVER), 0);
    return 0;
}

Test(own, cancel_children_cancels_them_and_join_children_waits, .timeout = 5)
{
    int n = -1;
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, cancels_its_children, &n);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(n, 3);
    for (int i = 1; i <= 3; i++)
        cr_assert(mob_bot_done(mob_bot_get(loop, i)));
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- per-bot storage ---------------------------------------------------------------------- */

struct seen {
    int zero;
    void *where;
};

static intptr_t check_storage(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    unsigned char *p = mob_bot_storage(self);
    size_t n = (size_t)(intptr_t)mob_bot_user(self);
    s->zero = 1;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            s->zero = 0;
    memset(p, 0xab, n); /* every byte is ours */
    s->where = p;
    return 0;
}

static intptr_t noop(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return 0;
}

Test(own, storage_is_zeroed_sized_beside_the_bot_and_gone_when_it_is_done, .timeout = 5)
{
    /* 4 MiB against a 16 KiB stack: storage is not carved from the stack. */
    size_t n = 4 << 20;
    struct seen s = {0};
    mob_loop_options lo = {.stack_size = 16 * 1024};
    mob_loop *loop = mob_loop_new(&lo);
    mob_spawn_options o = {.storage_size = n, .user = (void *)(intptr_t)n};
    mob_bot *b = mob_spawn_ex(loop, check_storage, &s, &o);
    cr_assert_not_null(b);
    cr_assert_not_null(mob_bot_storage(b), "there from spawn, before the bot first runs");
    cr_assert_null(mob_bot_storage(mob_spawn(loop, noop, NULL)), "none asked, none given");
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert(s.zero, "zeroed");
    cr_assert_not_null(s.where);
    cr_assert_null(mob_bot_storage(b), "freed with the bot");
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(own, storage_above_the_bound_is_an_error_not_a_crash, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn_options o = {.storage_size = MOB_STORAGE_MAX + 1};
    errno = 0;
    cr_assert_null(mob_spawn_ex(loop, check_storage, NULL, &o));
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mob_bot_count(loop), 0, "no id was used up");
    o.storage_size = (size_t)-1;
    cr_assert_null(mob_spawn_ex(loop, check_storage, NULL, &o));
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- the runner's per-bot state is the bot's storage ------------------------------------ */

#define BIG_STATE (1u << 20)

static int fill_state(mob_worker *w)
{
    unsigned char *st = w->state;
    /* The first run of each bot finds it zeroed; then it writes all of it. */
    if (w->step == 0)
        for (size_t i = 0; i < BIG_STATE; i += 4096)
            if (st[i] != 0)
                return MOB_FAIL_OTHER;
    memset(st, 0x5a, BIG_STATE);
    return 0;
}

Test(own, a_suite_state_bigger_than_a_bot_stack_runs, .timeout = 10)
{
    /* A megabyte of state per bot, 64 KiB stacks: as a VLA on the stack this overflowed it. */
    static const mob_scenario sc[] = {{"fill", fill_state, 1, 0}, {NULL, NULL, 0, 0}};
    mob_suite s = {.scenarios = sc, .state_size = BIG_STATE};
    mob_options o;
    mob_options_init(&o);
    o.quiet = 1;
    o.live = 0;
    o.bots = 4;
    o.max_runs = 3;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.ok, 12);
    cr_assert_eq(t.failures, 0);
    mob_result_free(r);
}
