/* SPDX-License-Identifier: MIT */
/*
 * internal.h: what the files of src/ share and the public header does not show: the loop and
 * bot structs, the park/wake protocol every blocking call is built on, and the hooks by which
 * the loop calls into the I/O and mailbox modules.
 *
 * The protocol, in one paragraph: a blocking call first tries to finish at once. If it can't,
 * it records where the bot waits (an fd slot, a mailbox, an event...), then calls mob__park()
 * with a deadline and an `unpark` callback that undoes that record. Whoever satisfies the wait
 * calls mob__wake(bot, rc) and mob__park returns rc. If the deadline passes first, or the bot
 * is cancelled, the loop calls `unpark` and mob__park returns -ETIMEDOUT or -ECANCELED.
 *
 * Read next: src/core/loop.c.
 */
#ifndef MOB_INTERNAL_H
#define MOB_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>

#include "mob.h"
#include "mob_base.h"
#include "../platform/platform.h"

/* Zeroed memory whose start is on a cache-line boundary, through MOB_CALLOC; free it with
 * mob__free_lines. For arrays of structs sized in whole lines (bots, fd entries), so that
 * each one's hot fields sit in one line, not across two. */
#define MOB__LINE 64
static inline void *mob__calloc_lines(size_t n, size_t size)
{
    char *raw = MOB_CALLOC(1, n * size + MOB__LINE + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + MOB__LINE - 1) & ~(uintptr_t)(MOB__LINE - 1);
    ((void **)p)[-1] = raw;
    return (void *)p;
}
static inline void mob__free_lines(void *p)
{
    if (p)
        MOB_FREE(((void **)p)[-1]);
}

#include "heap.h" /* after the allocator macros: the heap grows through MOB_REALLOC */
#include "list.h"

/*
 * Bot states.
 *
 *   NEW ──first run──> READY ──park──> PARKED ──wake/timeout/cancel──> READY
 *                        └──returns──> DONE (stack back in the pool; struct kept for join)
 *   Generators start in GEN_IDLE and go back to it after each mob_gen_yield.
 *
 * There is no state of its own for running: the running bot is loop->current, and stays READY.
 * So a yield, which takes a bot from running to queued and another the other way, writes no
 * state (mob_yield's fast path, `mob-bench switch --case 2`).
 */
enum mob__state {
    MOB__NEW = 0, /* spawned, on the ready queue, never run */
    MOB__READY,   /* runnable: on the ready queue, or running (loop->current) */
    MOB__PARKED,  /* waiting; maybe in the timer heap */
    MOB__GEN_IDLE, /* generator waiting for mob_gen_next */
    MOB__DONE
};

/* A host consuming a generator, as opposed to a bot (mob_bot.gen_consumer). */
#define MOB__HOST_CONSUMER ((mob_bot *)1)

typedef void (*mob__unpark_fn)(mob_bot *bot);

struct mob__defer {
    void (*fn)(void *ud);
    void *ud;
    int id;
    struct mob__defer *next;
};

struct mob__member; /* one bot in one group: src/core/msg.h */

struct mob_bot {
    /* The first cache line holds everything a yield touches, so switching among many bots
     * costs one miss per bot, not two. */
    _Alignas(MOB__LINE) struct mob__ctx ctx; /* first: the switch touches it on every switch */
    mob_loop *loop;
    mob_bot *run_next;        /* next on the ready queue; NULL while off it (sched_rotate) */
    int id;
    int state;                /* enum mob__state */
    unsigned cancelled : 1;
    unsigned canary : 1;      /* the stack has a canary to check when we switch away */
    unsigned is_generator : 1;
    unsigned gen_has_value : 1;
    unsigned recv_waiting : 1; /* parked in mob_recv: a matching message wakes it (msg.c) */
    unsigned timed : 1;       /* `timer` is in the loop's heap */
    unsigned fresh : 1;       /* never switched to: its first frame is laid out on the way in */
    unsigned detour : 1;      /* a switch into or out of it leaves mob_yield's fast path:
                               * fresh, a canary to check, or its own FP environment */
    int wait_rc;              /* what mob__wake passed */
    mob__unpark_fn unpark;    /* undoes the wait record on timeout or cancel */
    void *wait_obj;           /* what we wait on, for the unpark function */
    void *last_wait;          /* wait_obj of the last wait, kept after the wake (sched_prefetch) */
    /* -- end of the first cache line: a wake-up without a deadline touches nothing below -- */
    struct mob__list link;    /* a wait list of whoever we wait on (join, event, ...) */
    struct mob__timer timer;  /* deadline while parked; index -1 when none */
    mob_bot_fn fn;
    void *arg;
    void *user;
    intptr_t result;
    struct mob__stack stack;
    mob_bot *parent;          /* the bot that spawned it (NULL: the host, or detached) */
    struct mob__list children; /* live children, in spawn order (sibling links) */
    struct mob__list sibling; /* in parent->children while both live */
    int children_alive;
    void *storage;            /* mob_spawn_options.storage_size zeroed bytes, or NULL */
    int scope;                /* depth of the scope it belongs to (0: the loop's own) */
    int64_t query_tick;       /* lockstep: last tick in which it asked and found nothing */
    int64_t active_tick;      /* lockstep: last tick in which it found or did something */
    struct mob__list joiners; /* bots waiting in mob_join for us */
    mob_bot *gen_consumer;    /* generators: the bot waiting in mob_gen_next, or NULL */
    struct mob__defer *defers;
    int next_defer_id;
    struct mob__list fds;     /* fds this bot owns (struct mob__fdent.owner_link) */
    struct mob__list inbox;   /* visible messages (struct mob__msg.link) */
    int inbox_len;            /* messages in inbox */
    void *cur_msg;            /* the last message returned to the bot, freed on next recv */
    const mob_filter *recv_filter; /* while parked in mob_recv */
    struct mob__member **groups; /* the bot's group memberships, unordered (msg_group.c) */
    int ngroups, groups_cap;
    struct mob__fpenv *fpenv; /* its own FP environment (MOB_FPENV_OWN), or NULL: the thread's */
};

/* Bots live in chunks so ids stay dense and pointers stay stable. */
#define MOB__BOT_CHUNK 1024

struct mob__hook {
    mob_hook_fn before, after;
    void *ud;
};

struct mob__io;  /* fd table and poller: src/core/io_fd.h */
struct mob__msgs; /* groups and lockstep pending messages: src/core/msg.h */

struct mob_loop {
    struct mob__ctx main_ctx;     /* the host's context (mob_loop_run's caller) */
    int mode;
    int fpenv_bots;               /* bots with their own FP environment, until reaped: read
                                   * by every switch, so beside the other hot fields */
    mob_bot *current;             /* running bot, or NULL on the host stack */
    mob_bot *ready_head;          /* ready queue, singly linked through run_next: free mode */
    mob_bot **ready_tail;         /* FIFO; lockstep: the bots runnable next tick */
    int nready;
    mob_bot **tick;               /* lockstep: this tick's bots in id order */
    int tick_len, tick_pos, tick_cap;
    int64_t switch_limit;         /* the step goes back to the host to poll once stats.switches
                                   * reaches it; reached at all times outside a free step (in
                                   * lockstep too), which sched_rotate relies on */
    struct mob__heap timers;
    mob_bot **chunks;             /* bots[id] = chunks[id / CHUNK][id % CHUNK] */
    int nchunks, chunks_cap, nbots, alive;
    int gen_idle;                 /* generators waiting in GEN_IDLE (alive, not runnable) */
    int last_guard;               /* enum mob__guard_kind of the last stack handed out */
    struct mob__stack_pool **pools; /* one pool per stack size in use */
    int npools;
    size_t stack_size;
    int guard;
    int64_t now;                  /* cached clock */
    int virtual_clock;
    int stop;
    int tick_idle;                /* the last lockstep tick was idle (loop.c, "Idle ticks") */
    mob_bot *reap;                /* a returned bot whose stack waits to go back (sched_reap) */
    struct mob__hook *hooks;
    int nhooks;
    struct mob__io *io;
    int io_waiters;               /* bots parked on fds (io.c), read by every step */
    struct mob__msgs *msgs;
    struct mob_scope **scopes;    /* open scopes, outermost first: scopes[d - 1] has depth d */
    int nscopes, scopes_cap;
    int idle_yields;              /* lockstep: bots whose turn in this tick was idle */
    int host_active;              /* the host acted on the loop since the last step */
    mob_loop_stats stats;
    int fpenv_default;            /* enum mob_fpenv for bots that do not say */
    struct mob__fpenv thread_fpenv; /* the thread's, kept while such a bot runs */
};

/* A scope (src/core/scope.c): what the host made while it was current. */
struct mob_scope {
    mob_loop *loop;
    int depth;     /* 1 for the outermost */
};

/* The scope a new bot or fd belongs to: the running bot's, or the host's current one. */
static inline int mob__scope_of_caller(const mob_loop *loop)
{
    return loop->current ? loop->current->scope : loop->nscopes;
}

/*
 * Lockstep idle detection (loop.c, "Idle ticks"). A bot's turn is idle when it asked
 * something of the loop and found nothing (mob_ready 0, no message) and did nothing that
 * another bot could see (found something, sent, spawned, watched...). Queries call
 * mob__turn_query; actions call mob__turn_active. Stamped with the tick number, so nothing
 * needs resetting. From the host (no current bot), an action spoils the next tick's idleness.
 */
static inline void mob__turn_query(mob_loop *loop, int found)
{
    mob_bot *b = loop->current;
    if (!b)
        return;
    if (found)
        b->active_tick = loop->stats.ticks;
    else
        b->query_tick = loop->stats.ticks;
}

static inline void mob__turn_active(mob_loop *loop)
{
    if (loop->current)
        loop->current->active_tick = loop->stats.ticks;
    else
        loop->host_active = 1;
}

/* ---- scheduler (src/core/loop.c) --------------------------------------------------------- */

/*
 * The loop whose bots this thread is running now: set by the host's switch into a step's
 * first bot (mob__switch_from_host) and put back when the step returns to it; outside any
 * step, a loop of its own that has no current bot (loop.c). mob_yield reads it instead of
 * self->loop: a thread-local's address depends on nothing, so the yield's loads of the ready
 * queue and of the next bot's stack pointer do not wait for `self`, which the caller has just
 * reloaded from the stack it resumed on.
 * Initial-exec: one load, never a call to __tls_get_addr, in the shared library too.
 */
#if defined(__GNUC__)
#define MOB__TLS_FAST __attribute__((tls_model("initial-exec")))
#else
#define MOB__TLS_FAST
#endif
extern _Thread_local mob_loop *mob__running MOB__TLS_FAST;

/* Parks the running bot until mob__wake, the deadline or cancellation. See the file top. */
int mob__park(mob_bot *self, int64_t deadline, mob__unpark_fn unpark, void *wait_obj);
/* Makes a parked bot runnable with `rc` as mob__park's result. No-op unless parked. */
void mob__wake(mob_bot *bot, int rc);
/* Puts a bot on the ready queue (free: at the back; lockstep: for the next tick). */
void mob__make_ready(mob_loop *loop, mob_bot *bot);
/* Wakes a parked bot with the loop's own error (-ETIMEDOUT, -ECANCELED): runs its unpark
 * callback first, so whatever it waited on forgets it. */
void mob__interrupt(mob_bot *bot, int rc);
/* Gives up the CPU: switches to the next runnable bot of the step, or to the host. The caller
 * has already set its state (READY, PARKED, GEN_IDLE, DONE). */
void mob__schedule(mob_loop *loop);
/* Gives a returned bot's stack back to its pool, if one still waits (sched_reap in sched.h). */
void mob__reap(mob_loop *loop);
/* Switches from `from` to bot `to` (NULL: the host), bypassing the queue. */
void mob__switch_to(mob_loop *loop, struct mob__ctx *from, mob_bot *to);
/* The host's switch into bot `to`; returns when a bot switches back to the host. */
void mob__switch_from_host(mob_loop *loop, mob_bot *to);
/* Before a switch from the running context to `to` (NULL: the host) when either keeps its own
 * FP environment: saves the leaving one, loads the arriving one (the thread's for a context
 * that shares it). */
void mob__fpenv_switch(mob_loop *loop, mob_bot *to);
/* Checks that `self` is the running bot of its loop; aborts otherwise. */
void mob__check_self(const mob_bot *self, const char *file, int line);
#define MOB_CHECK_SELF(self) mob__check_self((self), __FILE__, __LINE__)
/* Refreshes the cached clock (real clock only). */
void mob__update_now(mob_loop *loop);

/* ---- bots (src/core/bot.c) -------------------------------------------------------------- */

/* Lays out a bot's first frame on its stack; the first switch to it calls this. */
void mob__bot_first_frame(mob_bot *bot);
/* Returns a finished bot's stack to its pool (called after switching off that stack). */
void mob__bot_release_stack(mob_bot *bot);
/* Cancels a bot during teardown, including an idle generator (which then runs to its end). */
void mob__cancel_for_shutdown(mob_bot *bot);
/* Leak check of bots (kinds MOB_CHECK_BOTS and MOB_CHECK_TIMERS) of the whole loop (scope 0)
 * or of the scope of that depth and deeper: counts and reports them, then cancels them and
 * steps the loop until they have returned (or 1,000 steps). Returns the leaks counted. */
int mob__bots_check(mob_loop *loop, int kinds, int report, int scope);
/* Closes every scope still open (mob_loop_free). */
void mob__scopes_free(mob_loop *loop);
/* Frees every bot struct and stack pool of the loop. */
void mob__bots_free(mob_loop *loop);
/* "ready", "parked", ... for messages. */
const char *mob__state_name(int state);
/* The guard kind stacks actually get (what the last stack handed out got). */
int mob__loop_guard_kind(const mob_loop *loop);
/* The platform's stack request (enum mob__guard_want) for a public enum mob_guard value. */
int mob__guard_want(int guard);
/* The capacity of the loop's chunk table, for mob_test_hooks.h. */
int mob__bot_table_cap(const mob_loop *loop);

/* ---- I/O (src/core/io*.c) ----------------------------------------------------------------- */

int mob__io_init(mob_loop *loop);
void mob__io_fini(mob_loop *loop);
/* Polls once, waking bots whose fds are ready. Returns the number of events, or -errno. */
int mob__io_poll(mob_loop *loop, int64_t timeout_ns);
/* Lockstep: applies deferred watch/unwatch, then snapshots readiness of watched fds. */
void mob__io_tick_end(mob_loop *loop);
/* Nonzero when no watched fd is ready in the snapshot and no watch change is pending. */
int mob__io_watch_quiet(const mob_loop *loop);
/* Idle lockstep tick: waits until a watched fd gains readiness, the poller has an event or
 * the timeout passes; then retakes the snapshot. Returns 0 or -errno. */
int mob__io_idle_wait(mob_loop *loop, int64_t timeout_ns);
/* With bots parked on fds and no backend fd (the poll backend), or with a host that watches
 * only the backend fd, an idle wait is cut into slices this long. */
#define MOB__IDLE_POLL_SLICE_NS (10 * MOB_NS_PER_MS)
/* Number of watched fds. */
int mob__io_nwatch(const mob_loop *loop);
/* Closes every fd a bot still owns; called when it returns. */
void mob__io_bot_done(mob_bot *bot);
/* Counts (and reports) fds still registered, then closes them. */
/* Counts (and reports) fds still registered, then closes them: all of them (scope 0), or
 * those of the scope of that depth and deeper. */
int mob__io_check(mob_loop *loop, int report, int scope);
int mob__io_backend_fd(const mob_loop *loop);

/* ---- mailboxes and groups (src/core/msg*.c) ----------------------------------------------- */

int mob__msg_init(mob_loop *loop);
void mob__msg_fini(mob_loop *loop);
/* Lockstep end of tick: messages sent during the tick become visible. Returns how many. */
int mob__msg_tick_end(mob_loop *loop);
/* Frees a returning bot's mailbox and group memberships. */
void mob__msg_bot_done(mob_bot *bot);

#endif /* MOB_INTERNAL_H */
