/* SPDX-License-Identifier: MIT */
/*
 * bot.c: the life of a bot. Spawn (a struct from a chunk, a stack from a pool, a first frame),
 * its first run, yield, sleep, join, cancel and the cleanup list. Generators and the one-call
 * mob_run_bots are in gen.c.
 *
 * A bot's struct outlives its function: it stays in the loop's chunk table until the loop is
 * freed, so ids stay dense, mob_bot_get is O(1), and joins after the fact still see the result.
 * Its stack goes back to the pool as soon as it returns.
 *
 * Read next: src/core/gen.c, src/core/msg.c (mailboxes), src/core/io.c (sockets).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *mob__state_name(int state)
{
    static const char *names[] = {"new", "ready", "parked", "idle generator", "done"};
    return state >= 0 && state <= MOB__DONE ? names[state] : "?";
}

/* ---------------------------------------------------------------------------------------- */
/* Storage                                                                                  */
/* ---------------------------------------------------------------------------------------- */

mob_bot *mob_bot_get(mob_loop *loop, int id)
{
    if (id < 0 || id >= loop->nbots)
        return NULL;
    return &loop->chunks[id / MOB__BOT_CHUNK][id % MOB__BOT_CHUNK];
}

/* A zeroed struct for the next id. Chunks are calloc'ed, so untouched bots cost no RSS. */
static mob_bot *alloc_bot(mob_loop *loop)
{
    int id = loop->nbots;
    int chunk = id / MOB__BOT_CHUNK;
    if (chunk == loop->nchunks) {
        /* The table doubles when full: a realloc per chunk would copy the whole table each
         * time, O(n^2 / 1024) at a million (test_bot_table.c counts its reallocations). */
        if (mob_grow(&loop->chunks, &loop->chunks_cap, chunk + 1, sizeof *loop->chunks, 1))
            return NULL;
        mob_bot **c = loop->chunks;
        c[chunk] = mob__calloc_lines(MOB__BOT_CHUNK, sizeof(mob_bot));
        if (!c[chunk])
            return NULL;
        /* The next 1,024 spawns write these structs one after another: fault them in at once. */
        mob__mem_prefault(c[chunk], MOB__BOT_CHUNK * sizeof(mob_bot));
        loop->nchunks++;
    }
    mob_bot *b = &loop->chunks[chunk][id % MOB__BOT_CHUNK];
    b->id = id;
    b->loop = loop;
    return b;
}

int mob__bot_table_cap(const mob_loop *loop)
{
    return loop->chunks_cap;
}

/* The loop's pool for stacks of `size` usable bytes (pools round up to whole pages), or NULL. */
static struct mob__stack_pool *find_pool(const mob_loop *loop, size_t size)
{
    for (int i = 0; i < loop->npools; i++)
        if (mob__stack_pool_size(loop->pools[i]) >= size &&
            mob__stack_pool_size(loop->pools[i]) < size + 4096)
            return loop->pools[i];
    return NULL;
}

/* The pool for `size`, made on first use. */
static struct mob__stack_pool *pool_for(mob_loop *loop, size_t size)
{
    struct mob__stack_pool *found = find_pool(loop, size);
    if (found)
        return found;
    struct mob__stack_pool **p = MOB_REALLOC(loop->pools, (size_t)(loop->npools + 1) * sizeof *p);
    if (!p)
        return NULL;
    loop->pools = p;
    struct mob__stack_pool *pool = mob__stack_pool_new(size, mob__guard_want(loop->guard));
    if (pool)
        p[loop->npools++] = pool;
    return pool;
}

int mob__guard_want(int guard)
{
    return guard == MOB_GUARD_NONE     ? MOB__WANT_NONE
           : guard == MOB_GUARD_CANARY ? MOB__WANT_CANARY
                                       : MOB__WANT_AUTO;
}

int mob__loop_guard_kind(const mob_loop *loop)
{
    if (loop->nbots > 0)
        return loop->last_guard;
    return loop->guard == MOB_GUARD_NONE     ? MOB__GUARD_NONE
           : loop->guard == MOB_GUARD_CANARY ? MOB__GUARD_CANARY
                                             : MOB__GUARD_MADVISE;
}

void mob__bot_release_stack(mob_bot *bot)
{
    if (!bot->stack.lo)
        return;
    /* The pool that handed the stack out: releasing never allocates. */
    struct mob__stack_pool *pool = find_pool(bot->loop, bot->stack.size);
    MOB_ASSERT(pool != NULL, "bot %d's stack has no pool", bot->id);
    mob__stack_put(pool, &bot->stack);
    bot->stack.lo = NULL;
    if (bot->fpenv) {
        MOB_FREE(bot->fpenv);
        bot->fpenv = NULL;
        bot->loop->fpenv_bots--;
    }
}

void mob__bots_free(mob_loop *loop)
{
    for (int id = 0; id < loop->nbots; id++) {
        mob_bot *b = mob_bot_get(loop, id);
        struct mob__defer *d = b->defers;
        while (d) {
            struct mob__defer *next = d->next;
            MOB_FREE(d);
            d = next;
        }
        MOB_FREE(b->storage); /* a bot that ignored cancellation still had it */
        MOB_FREE(b->fpenv);
        /* Stacks of bots that ignored cancellation are abandoned with their pools. */
    }
    for (int c = 0; c < loop->nchunks; c++)
        mob__free_lines(loop->chunks[c]);
    MOB_FREE(loop->chunks);
    for (int i = 0; i < loop->npools; i++)
        mob__stack_pool_free(loop->pools[i]);
    MOB_FREE(loop->pools);
}

/* ---------------------------------------------------------------------------------------- */
/* Start and finish                                                                         */
/* ---------------------------------------------------------------------------------------- */

static void run_defers(mob_bot *self)
{
    /* Pushed at the front, so walking from the head runs them in reverse order. A cleanup may
     * register or cancel others; take each off the list before calling it. */
    struct mob__defer *d;
    while ((d = self->defers)) {
        self->defers = d->next;
        d->fn(d->ud);
        MOB_FREE(d);
    }
}

static void wake_all(struct mob__list *waiters, int rc)
{
    struct mob__list *n;
    while ((n = mob__list_pop_front(waiters))) {
        mob_bot *b = mob__container_of(n, mob_bot, link);
        mob__list_init(&b->link);
        mob__wake(b, rc);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Ownership: a parent outlives its children                                                */
/* ---------------------------------------------------------------------------------------- */

static mob_bot *first_child(const mob_bot *b)
{
    return mob__list_empty(&b->children)
               ? NULL
               : mob__container_of(b->children.next, mob_bot, sibling);
}

/* Cancels one bot; `resume` also resumes an idle generator, which would otherwise never see
 * its cancellation. */
static void cancel_one(mob_bot *b, int resume)
{
    if (b->state == MOB__DONE)
        return;
    b->cancelled = 1;
    if (b->state == MOB__PARKED) {
        mob__interrupt(b, -ECANCELED);
    } else if (resume && b->state == MOB__GEN_IDLE) {
        b->loop->gen_idle--;
        b->gen_consumer = NULL;
        mob__make_ready(b->loop, b);
    }
}

/* Cancels every descendant of root, pre-order, without recursion (a chain of bots each
 * spawning the next would otherwise overflow a 64 KiB stack). Cancelling only queues wake-ups,
 * so the tree does not change under the walk. O(descendants). Returns how many. */
static int cancel_descendants(mob_bot *root, int resume)
{
    int n = 0;
    mob_bot *b = first_child(root);
    while (b) {
        cancel_one(b, resume);
        n++;
        mob_bot *down = first_child(b);
        if (down) {
            b = down;
            continue;
        }
        while (b != root && b->sibling.next == &b->parent->children)
            b = b->parent;
        b = b == root ? NULL : mob__container_of(b->sibling.next, mob_bot, sibling);
    }
    return n;
}

/* A returning bot's last duty: cancel its children and wait, whatever happens to itself,
 * until every one is done. Not mob__park: that refuses to wait for a cancelled bot. */
static void finish_children(mob_bot *self)
{
    while (self->children_alive > 0) {
        cancel_descendants(self, 1);
        self->state = MOB__PARKED;
        self->unpark = NULL;
        self->wait_obj = &self->children_alive;
        self->wait_rc = 0;
        mob__schedule(self->loop);
    }
}

/* Every bot starts here, on its own stack, and never returns: when fn is done the bot
 * switches away for good and leaves its stack to be given back (sched_reap says by whom). */
static void bot_main(void *arg)
{
    mob_bot *self = arg;
    mob_loop *loop = self->loop;
    intptr_t r = self->fn(self, self->arg);
    if (!self->is_generator || !self->gen_has_value)
        self->result = r;
    /* Children first: they may use what the cleanups release. A cleanup that spawns makes
     * new children, which are finished in turn. */
    do {
        finish_children(self);
        run_defers(self);
    } while (self->children_alive > 0);
    mob__io_bot_done(self);
    mob__msg_bot_done(self);
    MOB_FREE(self->storage);
    self->storage = NULL;
    self->state = MOB__DONE;
    loop->alive--;
    wake_all(&self->joiners, 0);
    mob_bot *parent = self->parent;
    if (parent) {
        mob__list_remove(&self->sibling);
        if (--parent->children_alive == 0 && parent->state == MOB__PARKED &&
            parent->wait_obj == &parent->children_alive)
            mob__wake(parent, 0);
    }
    mob_bot *consumer = self->gen_consumer;
    self->gen_consumer = NULL;
    self->gen_has_value = 0;
    if (consumer && consumer != MOB__HOST_CONSUMER)
        mob__wake(consumer, 0);
    mob__reap(loop); /* the bot that returned before us, if its stack still waits */
    loop->reap = self;
    mob__schedule(loop);
    MOB_PANIC("bot %d was resumed after it returned", self->id);
}

void mob__bot_first_frame(mob_bot *bot)
{
    bot->fresh = 0;
    bot->detour = bot->canary || bot->fpenv != NULL;
    mob__ctx_make(&bot->ctx, bot->stack.lo, bot->stack.size, bot_main, bot);
}

mob_bot *mob_spawn_ex(mob_loop *loop, mob_bot_fn fn, void *arg, const mob_spawn_options *opt)
{
    MOB_ASSERT(fn != NULL, "mob_spawn with a NULL function");
    size_t size = opt && opt->stack_size ? opt->stack_size : loop->stack_size;
    size_t storage_size = opt ? opt->storage_size : 0;
    int fpenv = opt && opt->fpenv ? opt->fpenv : loop->fpenv_default;
    if (storage_size > MOB_STORAGE_MAX || fpenv < MOB_FPENV_DEFAULT || fpenv > MOB_FPENV_OWN) {
        errno = EINVAL;
        return NULL;
    }
    struct mob__stack_pool *pool = pool_for(loop, size);
    if (!pool)
        return NULL;
    struct mob__fpenv *env = NULL;
#if !defined(MOB__FPENV_PER_CONTEXT) /* there, every context keeps its own already */
    if (fpenv == MOB_FPENV_OWN) {
        env = MOB_MALLOC(sizeof *env);
        if (!env) {
            errno = ENOMEM;
            return NULL;
        }
        mob__fpenv_init(env);
    }
#endif
    /* calloc: zeroed once, and a large block comes from fresh pages that are not touched
     * until the bot writes them. */
    void *storage = storage_size ? MOB_CALLOC(1, storage_size) : NULL;
    if (storage_size && !storage) {
        MOB_FREE(env);
        errno = ENOMEM;
        return NULL;
    }
    mob_bot *b = alloc_bot(loop);
    if (!b) {
        MOB_FREE(storage);
        MOB_FREE(env);
        errno = ENOMEM;
        return NULL;
    }
    mob__reap(loop); /* a stack that just came free is the warmest one to hand out */
    if (mob__stack_get(pool, &b->stack, b->id) != 0) {
        memset(b, 0, sizeof *b);
        MOB_FREE(storage);
        MOB_FREE(env);
        errno = ENOMEM;
        return NULL;
    }
    b->storage = storage;
    b->scope = mob__scope_of_caller(loop);
    mob__turn_active(loop);
    if (env) {
        b->fpenv = env;
        loop->fpenv_bots++;
    }
    loop->nbots++;
    loop->alive++;
    loop->last_guard = b->stack.guard;
    b->canary = b->stack.guard == MOB__GUARD_CANARY;
    b->fn = fn;
    b->arg = arg;
    b->user = opt ? opt->user : NULL;
    b->timer.index = -1;
    mob__list_init(&b->children);
    mob__list_init(&b->sibling);
    b->parent = opt && opt->detached ? NULL : loop->current;
    if (b->parent) {
        b->parent->children_alive++;
        mob__list_push_back(&b->parent->children, &b->sibling);
    }
    mob__list_init(&b->link);
    mob__list_init(&b->joiners);
    mob__list_init(&b->fds);
    mob__list_init(&b->inbox);
    /* No mob__ctx_make here: the first switch to the bot does it (mob__bot_first_frame), so
     * that spawning does not touch the stack; with a million bots that is one cold cache line
     * and one TLB miss fewer per bot. */
    b->fresh = 1;
    b->detour = 1;
    if (opt && opt->generator) {
        b->is_generator = 1;
        b->state = MOB__GEN_IDLE;
        loop->gen_idle++;
    } else {
        mob__make_ready(loop, b);
        b->state = MOB__NEW;
    }
    return b;
}

mob_bot *mob_spawn(mob_loop *loop, mob_bot_fn fn, void *arg)
{
    return mob_spawn_ex(loop, fn, arg, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Accessors                                                                                */
/* ---------------------------------------------------------------------------------------- */

int mob_bot_id(const mob_bot *bot) { return bot->id; }
mob_loop *mob_bot_loop(const mob_bot *bot) { return bot->loop; }
void *mob_bot_user(const mob_bot *bot) { return bot->user; }
void mob_bot_set_user(mob_bot *bot, void *user) { bot->user = user; }
int mob_bot_done(const mob_bot *bot) { return bot->state == MOB__DONE; }
intptr_t mob_bot_result(const mob_bot *bot) { return bot->result; }
int mob_bot_count(const mob_loop *loop) { return loop->nbots; }
mob_bot *mob_self(mob_loop *loop) { return loop->current; }
int mob_cancelled(const mob_bot *bot) { return bot->cancelled; }
void *mob_bot_storage(const mob_bot *bot) { return bot->storage; }
mob_bot *mob_bot_parent(const mob_bot *bot) { return bot->parent; }

/* ---------------------------------------------------------------------------------------- */
/* Yield, sleep, join, cancel                                                               */
/* ---------------------------------------------------------------------------------------- */

int mob_sleep_until(mob_bot *self, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (deadline < 0)
        deadline = MOB_FOREVER;
    else if (deadline <= mob_now(self->loop))
        return self->cancelled ? -ECANCELED : 0;
    int rc = mob__park(self, deadline, NULL, NULL);
    return rc == -ETIMEDOUT ? 0 : rc;
}

int mob_sleep(mob_bot *self, int64_t ns)
{
    return mob_sleep_until(self, ns < 0 ? MOB_FOREVER : mob_now(self->loop) + ns);
}

static void unpark_list(mob_bot *self) { mob__list_remove(&self->link); }

int mob_join(mob_bot *self, mob_bot *target, intptr_t *result, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (target == self)
        return -EDEADLK;
    if (target->state != MOB__DONE) {
        mob__list_push_back(&target->joiners, &self->link);
        int rc = mob__park(self, deadline, unpark_list, target);
        if (rc != 0) {
            /* Refused before parking (cancelled, no memory): still on the joiners list. */
            if (mob__list_linked(&self->link))
                mob__list_remove(&self->link);
            return rc;
        }
    }
    if (result)
        *result = target->result;
    return 0;
}

int mob_join_children(mob_bot *self, int64_t deadline)
{
    MOB_CHECK_SELF(self);
    if (self->children_alive == 0)
        return 0;
    /* Nothing to undo on timeout: a returning child wakes the parent only while it waits here
     * (wait_obj is &children_alive, see bot_main). */
    return mob__park(self, deadline, NULL, &self->children_alive);
}

int mob_cancel(mob_bot *target)
{
    if (target->state == MOB__DONE)
        return -ESRCH;
    mob__turn_active(target->loop);
    cancel_one(target, 0);
    cancel_descendants(target, 0);
    return 0;
}

int mob_cancel_children(mob_bot *self)
{
    MOB_CHECK_SELF(self);
    return cancel_descendants(self, 0);
}

/* One bot only: the leak check cancels every bot anyway, so no walk of descendants. Resumes an
 * idle generator: its pending mob_gen_yield returns -ECANCELED and it can unwind. */
void mob__cancel_for_shutdown(mob_bot *bot) { cancel_one(bot, 1); }

int mob_defer(mob_bot *self, void (*fn)(void *ud), void *ud)
{
    struct mob__defer *d = MOB_MALLOC(sizeof *d);
    if (!d)
        return -ENOMEM;
    d->fn = fn;
    d->ud = ud;
    d->id = self->next_defer_id++;
    d->next = self->defers;
    self->defers = d;
    return d->id;
}

int mob_defer_cancel(mob_bot *self, int id)
{
    for (struct mob__defer **p = &self->defers; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct mob__defer *d = *p;
            *p = d->next;
            MOB_FREE(d);
            return 0;
        }
    }
    return -ENOENT;
}
