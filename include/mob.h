/* SPDX-License-Identifier: MIT */
/*
 * mob.h: the whole runtime API. A horde of bots, each a fiber with its own stack and its own
 * sockets, run by one loop on one thread.
 *
 * Conventions (read these once, they hold everywhere below):
 *   - Fallible calls return >= 0 on success and -errno on failure. errno itself is never the
 *     channel: every bot shares the thread, so errno is shared too.
 *   - Times are int64_t nanoseconds on the loop's monotonic clock (mob_now). Deadlines are
 *     absolute. MOB_FOREVER (-1) means no deadline; MOB_NOW (0) means do not block.
 *   - A blocking call made by a cancelled bot returns -ECANCELED, and so does every later one.
 *   - Calls whose first argument is `mob_bot *self` must be made by that bot, from its own
 *     fiber. Breaking such a contract aborts with a message naming file and line.
 *   - Pointers handed out by the loop (bots, messages) are borrowed: the loop owns them.
 *   - The floating-point environment (rounding mode, exception masks, exception flags; on
 *     x86-64 MXCSR and the x87 control and status words, on aarch64 FPCR and FPSR) belongs to
 *     the thread by default, as in minicoro, libco, marl and Go: bots share it, and a bot that
 *     changes its rounding mode or raises a flag changes it for every bot that shares it and
 *     for the code that runs the loop. That keeps it out of the context switch, where keeping
 *     it per bot cost half of a yield. A bot that needs its own asks at spawn
 *     (mob_spawn_options.fpenv = MOB_FPENV_OWN, or mob_loop_options.fpenv for every bot): it
 *     starts with the defaults (round to nearest, all exceptions masked, no flags) and keeps
 *     everything fegetenv covers across every switch; neither it nor the others see each
 *     other's changes. Only switches into and out of such a bot pay for that. With the
 *     portable ucontext switch (mob_switch_name() == "ucontext") every bot keeps its own
 *     environment whatever it asked for: swapcontext saves it.
 *
 * Read next: platform/platform.h (what the runtime needs from the OS and the CPU), then
 * src/core/sched.h and src/core/loop.c.
 */
#ifndef MOB_H
#define MOB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Version and errors                                                                       */
/* ======================================================================================== */

/* "0.1.0 (b41e1ab)": the release (the VERSION file) and the commit it was built from, from
 * `git describe` at build time; just the release when built outside a git checkout. */
const char *mob_version(void);

/* A message for a value returned by a mob call (-errno or >= 0). Never NULL. */
const char *mob_strerror(int rc);

/* The short symbolic name of an error: "ETIMEDOUT", "ECONNREFUSED", ... */
const char *mob_errname(int rc);

#define MOB_FOREVER ((int64_t)-1)
#define MOB_NOW ((int64_t)0)

#define MOB_NS_PER_US ((int64_t)1000)
#define MOB_NS_PER_MS ((int64_t)1000000)
#define MOB_NS_PER_SEC ((int64_t)1000000000)

/* ======================================================================================== */
/* Loop                                                                                     */
/* ======================================================================================== */

typedef struct mob_loop mob_loop;
typedef struct mob_bot mob_bot;

/*
 * Scheduling modes. One scheduler, two policies:
 *
 *   MOB_FREE      a bot runs until it waits (I/O, timer, mailbox, join) or yields; mob_yield
 *                 puts it at the back of the ready queue. Throughput first.
 *   MOB_LOCKSTEP  time advances in ticks. In each tick every runnable bot runs from where it
 *                 was to its next mob_yield (or wait), in ascending id order. Messages sent in
 *                 tick k become visible in tick k+1. Deterministic (testtoolkit's main_loop).
 */
enum mob_mode { MOB_FREE = 0, MOB_LOCKSTEP = 1 };

/* Stack guard policy; see platform/stack.c for the memory layout. */
enum mob_guard {
    MOB_GUARD_AUTO = 0, /* MADV_GUARD_INSTALL, else mprotect under the map limit, else canary */
    MOB_GUARD_CANARY,   /* canary word only, checked on every switch away from the bot */
    MOB_GUARD_NONE      /* nothing: for benchmarks that want to see the cost of guarding */
};

/* Whose floating-point environment a bot runs in (see the conventions at the top). */
enum mob_fpenv {
    MOB_FPENV_DEFAULT = 0, /* spawn: the loop's choice; loop: MOB_FPENV_THREAD */
    MOB_FPENV_THREAD,      /* the thread's, shared with every bot that shares it */
    MOB_FPENV_OWN          /* the bot's own, kept across every switch */
};

typedef struct mob_loop_options {
    int mode;              /* enum mob_mode; default MOB_FREE */
    size_t stack_size;     /* usable bytes per bot stack; 0 = MOB_DEFAULT_STACK_SIZE */
    int guard;             /* enum mob_guard; default MOB_GUARD_AUTO */
    int virtual_clock;     /* nonzero: mob_now() is virtual; see mob_clock_advance */
    int64_t virtual_start; /* initial virtual time in ns (only with virtual_clock) */
    int fpenv;             /* enum mob_fpenv: what bots get unless they ask otherwise */
    int64_t timer_slack_ns; /* > 0: sets the calling thread's timer slack (Linux; see below) */
} mob_loop_options;

#define MOB_DEFAULT_STACK_SIZE ((size_t)64 * 1024)

/*
 * Creates a loop. `opt` may be NULL for the defaults (free-running, 64 KiB guarded stacks,
 * real clock, bots in the thread's FP environment). Also raises the open-file soft limit to
 * the hard limit (process-wide, and the same value whichever thread does it). With
 * timer_slack_ns > 0 it sets the calling thread's timer slack (Linux's default is 50 us, which
 * a 1 ms sleep then overshoots by up to 5%; the load runner asks for 1 us); otherwise the
 * thread is left as it is. Returns NULL only when memory or the poller cannot be had (errno
 * tells which).
 *
 * Threads: one loop per thread. A loop, its bots and everything they hand out (bots,
 * messages, events, barriers, scopes) belong to the thread that created the loop, for its
 * whole life: create, run, step and free it there, and call no function on it from another
 * thread. Loops in different threads share nothing and need no locking: any number of threads
 * may each run their own loop at once. Nothing in the runtime is process-wide and mutable
 * except what is safe to share: the stack overflow handler (installed once, atomically; each
 * thread gets its own alternate signal stack), the stack-guard budget (atomic) and the
 * open-file limit. mob_close(NULL, fd) forgets fd in the live loops of the calling thread only.
 * To pass work between threads, use the OS (a pipe or socket a bot reads), not mob objects.
 */
mob_loop *mob_loop_new(const mob_loop_options *opt);

/*
 * Runs until every bot has returned or mob_loop_stop() is called. Must not be called from a
 * bot. Returns 0, 1 if stopped early, -EDEADLK if bots are still alive but none can ever
 * wake (nothing to run, no timer, no fd, no external wake-up), or another -errno from the
 * poller.
 */
int mob_loop_run(mob_loop *loop);

/*
 * Runs until `bot` is done, however many other bots stay alive (asyncio's run_until_complete:
 * a test's bot against a session-long server bot). Must not be called from a bot. Returns 0,
 * -EDEADLK if the bot is alive but nothing can ever wake it, or another -errno.
 */
int mob_loop_run_until(mob_loop *loop, mob_bot *bot);

/*
 * One scheduling step, for a host program that drives the loop from its own event loop: waits
 * for I/O or a timer for at most `timeout_ns` (0: do not wait; -1: as long as needed; never
 * when bots are runnable), then runs every bot that is runnable, those just woken by that I/O
 * or timer included. Returns the number of bots still alive, or -errno.
 *
 * Embedding (libuv's uv_backend_fd and uv_backend_timeout): a host loop watches
 * mob_loop_backend_fd() for readability and wakes after mob_loop_backend_timeout(); whenever
 * either fires, it calls mob_loop_step(loop, 0), which runs the bots it woke in that same
 * call. Then it asks mob_loop_backend_timeout() again. A bot spawned, or a message posted, by
 * the host makes the timeout 0. With the poll backend (no backend fd) the host can only
 * sleep for the timeout.
 */
int mob_loop_step(mob_loop *loop, int64_t timeout_ns);

/* The poller's own fd (epoll or kqueue) for a host loop to watch, or -1 (poll backend). */
int mob_loop_backend_fd(mob_loop *loop);

/*
 * How long a host may wait (on the backend fd) before it must call mob_loop_step: 0 when bots
 * are runnable, the time to the next bot deadline in ns, or -1 when only I/O can wake a bot
 * (or no bot is alive). A lockstep loop whose bots wait by asking (mob_watch) reports at most
 * 10 ms, since the fds they watch are not behind the backend fd.
 */
int64_t mob_loop_backend_timeout(mob_loop *loop);

/* Asks mob_loop_run() to return after the current step. Callable from a bot or a hook. */
void mob_loop_stop(mob_loop *loop);

/* Leak-check kinds, combinable. See mob_loop_check(). */
enum mob_check {
    MOB_CHECK_BOTS = 1,   /* bots that have not returned */
    MOB_CHECK_TIMERS = 2, /* bots parked with a pending deadline */
    MOB_CHECK_FDS = 4,    /* fds still registered with the loop */
    MOB_CHECK_ALL = 7
};

/*
 * Leak check at the end of a test (aioloop-proxy's check_and_shutdown): counts what is still
 * alive among the selected kinds, prints one line per leak to stderr when `report` is set,
 * then cleans up everything whatever the kinds: live bots are cancelled and run until they
 * return, fds they registered are closed. Returns the number of leaks of the selected kinds.
 */
int mob_loop_check(mob_loop *loop, int kinds, int report);

/*
 * Scopes (aioloop-proxy's proxies): a test suite keeps one loop for the whole session (a
 * server bot started once) and checks for leaks around every test. While a scope is the
 * host's current one (the innermost open), what the host makes belongs to it, and so does what
 * the bots of the scope make: bots, their timers (a bot parked with a deadline) and fds (made,
 * owned, waited on or watched). Bots and fds made before, or by bots of an outer scope, do not
 * (an fd handed to a bot with mob_fd_adopt joins that bot's scope).
 *
 * mob_scope_open() opens a scope inside the current one; NULL with errno on ENOMEM.
 * mob_scope_check() is mob_loop_check() for what the scope (and any scope inside it) owns:
 * it counts and reports the leaks of the selected kinds, then cleans up all of the scope's
 * whatever the kinds (cancels its bots and runs the loop until they return, closes its fds);
 * bots outside keep running meanwhile. mob_scope_close() checks, then closes the scope and
 * those opened inside it. Both return the leaks counted. Host only (not from a bot).
 */
typedef struct mob_scope mob_scope;
mob_scope *mob_scope_open(mob_loop *loop);
int mob_scope_check(mob_scope *scope, int kinds, int report);
int mob_scope_close(mob_scope *scope, int kinds, int report);

/*
 * Frees the loop. Bots still alive are cancelled and run to completion first (as in
 * mob_loop_check(loop, MOB_CHECK_ALL, 1)). Returns the number of leaks found, so a clean test
 * ends with `cr_assert_eq(mob_loop_free(loop), 0)`. Must not be called from a bot.
 */
int mob_loop_free(mob_loop *loop);

typedef struct mob_loop_stats {
    int64_t bots_spawned;  /* since the loop was created */
    int64_t bots_alive;    /* spawned and not yet returned */
    int64_t switches;      /* context switches into bots */
    int64_t ticks;         /* lockstep ticks, or scheduling steps in free mode */
    int64_t polls;         /* calls into the poller */
    int64_t fds_registered;
    int64_t fd_limit;      /* the open-file soft limit after raising it */
    size_t stack_size;     /* default usable stack bytes per bot */
    int guard;             /* enum mob_guard actually in force for new stacks */
    const char *guard_name; /* "madvise", "mprotect", "canary", "none" */
} mob_loop_stats;

void mob_loop_get_stats(mob_loop *loop, mob_loop_stats *out);

/* The selector in use: "epoll", "kqueue" or "poll". */
const char *mob_backend_name(void);

/* The context switch in use: "asm-x86_64", "asm-aarch64" or "ucontext". */
const char *mob_switch_name(void);

/*
 * Tick hooks (testtoolkit's main-loop wrappers, which compose). `before` runs at the start of
 * every tick (lockstep) or step (free), `after` at its end. Hooks added later nest inside
 * hooks added earlier: befores run in order of addition, afters in reverse, like wrappers.
 * Returns 0 or -ENOMEM.
 */
typedef void (*mob_hook_fn)(mob_loop *loop, void *ud);
int mob_loop_add_hook(mob_loop *loop, mob_hook_fn before, mob_hook_fn after, void *ud);

/* ======================================================================================== */
/* Bots                                                                                     */
/* ======================================================================================== */

/* A bot's body. Its return value is the bot's result (see mob_join, mob_run_bots). */
typedef intptr_t (*mob_bot_fn)(mob_bot *self, void *arg);

typedef struct mob_spawn_options {
    size_t stack_size;   /* 0: the loop's default */
    void *user;          /* initial user pointer (mob_bot_user) */
    int generator;       /* nonzero: do not schedule; runs only under mob_gen_next() */
    size_t storage_size; /* bytes of per-bot storage (mob_bot_storage); 0: none */
    int detached;        /* nonzero: the new bot has no parent (see "Ownership" below) */
    int fpenv;           /* enum mob_fpenv; MOB_FPENV_DEFAULT: the loop's mob_loop_options.fpenv */
} mob_spawn_options;

/* The largest per-bot storage a spawn accepts (mob_spawn_options.storage_size). */
#define MOB_STORAGE_MAX ((size_t)1 << 30)

/*
 * Ownership (structured concurrency, as libdill's bundles). A bot spawned by a bot is that
 * bot's child. When a bot's function returns, its children still alive are cancelled (an idle
 * generator is resumed so that it can unwind) and joined before the bot itself is done: only
 * then do its cleanups run (mob_defer, then the fds it owns are closed), its joiners wake and
 * mob_bot_done turns true. So a child may use what its parent owns (fds, storage, stack
 * memory passed by pointer) for as long as it lives. Cancelling a bot cancels its children
 * and their children at once, too.
 *
 * A bot spawned by the host (outside any bot), or with `.detached = 1`, has no parent: it
 * belongs to the loop alone, lives until it returns, and is cancelled only by mob_cancel, the
 * leak check or mob_loop_free. Detach a bot that must outlive its spawner (a server bot
 * started by a setup bot that then returns); it must not use the spawner's memory.
 *
 * Per-bot storage (minicoro's user storage): `.storage_size` bytes, zeroed once at spawn,
 * beside the bot (not on its stack, so its size is not bounded by the stack's), at
 * mob_bot_storage(bot) until the bot is done (after its cleanups have run), then freed.
 */

/*
 * Spawns a bot running fn(bot, arg). Callable from the host or from a bot (the new bot is the
 * caller's child: see "Ownership" above). The bot first runs at the next scheduling point.
 * Returns the bot, or NULL with errno set: ENOMEM when memory, a stack or the storage cannot be
 * had, EINVAL when storage_size is above MOB_STORAGE_MAX or fpenv is out of range. Bots get
 * dense ids 0, 1, 2, ... in spawn order.
 */
mob_bot *mob_spawn(mob_loop *loop, mob_bot_fn fn, void *arg);
mob_bot *mob_spawn_ex(mob_loop *loop, mob_bot_fn fn, void *arg, const mob_spawn_options *opt);

int mob_bot_id(const mob_bot *bot);
mob_loop *mob_bot_loop(const mob_bot *bot);
void *mob_bot_user(const mob_bot *bot);
void mob_bot_set_user(mob_bot *bot, void *user);
/* The bot's storage (mob_spawn_options.storage_size bytes, zeroed at spawn), or NULL when it
 * has none or is done. */
void *mob_bot_storage(const mob_bot *bot);
/* The bot that owns `bot` (see "Ownership"), or NULL for a bot of the host or a detached one. */
mob_bot *mob_bot_parent(const mob_bot *bot);
/* The bot with this id, or NULL. Bots are kept until the loop is freed. */
mob_bot *mob_bot_get(mob_loop *loop, int id);
/* Nonzero once the bot's function has returned. */
int mob_bot_done(const mob_bot *bot);
/* The bot's result: its return value, or the last value it passed to mob_gen_yield. */
intptr_t mob_bot_result(const mob_bot *bot);
/* Number of bots spawned in this loop so far (ids are 0..count-1). */
int mob_bot_count(const mob_loop *loop);

/* The running bot, or NULL when called from outside any bot. */
mob_bot *mob_self(mob_loop *loop);

/*
 * Gives the other bots a turn. Free mode: goes to the back of the ready queue. Lockstep: ends
 * this bot's part of the current tick. Returns 0, or -ECANCELED if the bot is cancelled.
 */
int mob_yield(mob_bot *self);

/* Sleeps until the absolute deadline. Returns 0 when it passes, or -ECANCELED. */
int mob_sleep_until(mob_bot *self, int64_t deadline);
/* Sleeps for `ns` from now. */
int mob_sleep(mob_bot *self, int64_t ns);

/*
 * Waits for `target` to return and stores its result. Any number of bots may join the same
 * target. Returns 0, -ETIMEDOUT, -ECANCELED, or -EDEADLK when a bot joins itself.
 */
int mob_join(mob_bot *self, mob_bot *target, intptr_t *result, int64_t deadline);

/* Waits until every child of `self` (see "Ownership") is done. Returns 0, -ETIMEDOUT or
 * -ECANCELED. */
int mob_join_children(mob_bot *self, int64_t deadline);

/* Cancels every child of `self` still alive, and their children (as mob_cancel does for each);
 * then mob_join_children waits for them to unwind. Returns the number of bots cancelled. */
int mob_cancel_children(mob_bot *self);

/*
 * Cancels a bot and, through "Ownership", its descendants: its current blocking call (if any)
 * and every later one return -ECANCELED so that it can clean up and return. Idempotent; no
 * effect on a bot that has returned. A bot may cancel itself. Returns 0, or -ESRCH if the bot
 * has already returned.
 */
int mob_cancel(mob_bot *target);

/* Nonzero when the bot has been cancelled. */
int mob_cancelled(const mob_bot *bot);

/*
 * Per-bot cleanup list: fn(ud) runs when the bot returns (or is cancelled and returns), in
 * reverse order of registration. Returns an id for mob_defer_cancel(), or -ENOMEM.
 */
int mob_defer(mob_bot *self, void (*fn)(void *ud), void *ud);
/* Removes a cleanup without running it. Returns 0 or -ENOENT. */
int mob_defer_cancel(mob_bot *self, int id);

/* ======================================================================================== */
/* Running n bots from one function (testtoolkit's system.run, aiotesttoolkit's start)      */
/* ======================================================================================== */

typedef struct mob_run_bots_options {
    int mode;                                   /* enum mob_mode */
    void *(*factory)(int id, void *ud);         /* arg for bot `id`; NULL: every bot gets `ud` */
    void *factory_ud;
    intptr_t (*reduce)(intptr_t acc, intptr_t result); /* NULL: the last bot's result */
    intptr_t init;                              /* reduce's starting value */
    const mob_loop_options *loop;               /* NULL: defaults with `mode` above */
} mob_run_bots_options;

/*
 * Creates a loop, spawns n bots running fn, runs the loop until they all return, and returns
 * their results reduced in id order (testtoolkit's result_wrapper: with reduce = sum and bots
 * returning id + 1, four bots give 10). On a runtime failure, stores -errno in *rc (if rc is
 * not NULL) and returns opt->init.
 */
intptr_t mob_run_bots(int n, mob_bot_fn fn, const mob_run_bots_options *opt, int *rc);

/* Reducers for mob_run_bots. */
intptr_t mob_reduce_sum(intptr_t acc, intptr_t v);
intptr_t mob_reduce_product(intptr_t acc, intptr_t v);
intptr_t mob_reduce_max(intptr_t acc, intptr_t v);

/* ======================================================================================== */
/* Generators                                                                               */
/* ======================================================================================== */

/*
 * A generator is a bot spawned with mob_gen_spawn (or spawn options .generator = 1). It runs
 * only when a consumer asks for a value: mob_gen_next() switches to it; mob_gen_yield() hands a
 * value back and suspends it. Python's generator, in C. A generator may also sleep or do I/O
 * between values; its consumer waits.
 */
mob_bot *mob_gen_spawn(mob_loop *loop, mob_bot_fn fn, void *arg);

/* Inside a generator: hands `value` to the consumer and suspends until the next request.
 * Returns 0, or -ECANCELED. */
int mob_gen_yield(mob_bot *self, intptr_t value);

/*
 * Gets the next value from generator `gen`. `self` is the consuming bot, or NULL when the
 * host calls it from outside the loop (the loop is then driven until the value is ready).
 * Returns 1 with *value set, 0 when the generator has returned (its return value is not a
 * yielded value; read it with mob_bot_result), or -ECANCELED / -EBUSY (another consumer waits).
 */
int mob_gen_next(mob_bot *self, mob_bot *gen, intptr_t *value);

/* ======================================================================================== */
/* Time                                                                                     */
/* ======================================================================================== */

/* The loop's clock: monotonic ns, or the virtual clock when the loop has one. In real mode
 * every call reads the clock (through the vDSO where the OS has one), so two calls in one
 * step can differ. */
int64_t mob_now(mob_loop *loop);

/* The real monotonic clock in ns, uncached. */
int64_t mob_clock_ns(void);

/*
 * Virtual clock only: moves time forward by `ns` (aioloop-proxy's advance_time). Every bot
 * whose deadline falls within the new time wakes, in deadline order (ties in id order).
 * Returns 0, or -EINVAL when the loop has a real clock or ns < 0. When no bot is runnable and
 * no fd is awaited, a virtual-clock loop also jumps by itself to the next deadline, so a test
 * with a 15-minute timeout takes microseconds.
 */
int mob_clock_advance(mob_loop *loop, int64_t ns);

/* ======================================================================================== */
/* Bots together: mailboxes, groups, events, barriers                                      */
/* ======================================================================================== */

/* A received message. `data` points to a copy the loop owns, valid until the receiving bot
 * next calls mob_recv/mob_try_recv or returns. */
typedef struct mob_msg {
    int from;       /* sender's bot id, or -1 when sent by the host */
    int kind;       /* free for the application */
    size_t len;
    const void *data;
} mob_msg;

/* Receive filter. NULL means any message. `from` and `pred` both apply when both are set. */
typedef struct mob_filter {
    const int *from;   /* accept only these senders (testtoolkit's recv_from) */
    size_t nfrom;
    int (*pred)(const mob_msg *msg, void *ud); /* accept when it returns nonzero */
    void *ud;
} mob_filter;

/*
 * Sends a copy of data[0..len) from bot `self` to one bot, a list, a group or every bot. The
 * sender is always excluded, as in testtoolkit, and so are bots that have returned; neither is
 * counted. Lockstep: visible from the next tick, whatever the order of sender and receiver.
 * Free: delivered at once, waking a receiver that waits for such a message.
 * Returns the number of receivers addressed (an unknown group has none), -ESRCH when an id
 * was never spawned (nothing is sent), or -ENOMEM (nothing is sent).
 * Cost: O(receivers); mob_send_all is O(bots spawned).
 */
int mob_send(mob_bot *self, int to, int kind, const void *data, size_t len);
int mob_send_list(mob_bot *self, const int *to, size_t n, int kind, const void *data, size_t len);
int mob_send_group(mob_bot *self, int group, int kind, const void *data, size_t len);
int mob_send_all(mob_bot *self, int kind, const void *data, size_t len);

/*
 * The same four sends from the host (main, a hook, a test), which has no bot to pass as
 * `self`: the message's `from` is -1 and no bot is excluded. Sent from outside any bot, a
 * message is delivered at once in both modes (there is no running tick to order it against);
 * sent from inside a bot, the lockstep rule above applies. Same returns as mob_send.
 */
int mob_post(mob_loop *loop, int to, int kind, const void *data, size_t len);
int mob_post_list(mob_loop *loop, const int *to, size_t n, int kind, const void *data, size_t len);
int mob_post_group(mob_loop *loop, int group, int kind, const void *data, size_t len);
int mob_post_all(mob_loop *loop, int kind, const void *data, size_t len);

/*
 * Receives the oldest visible message that matches the filter, waiting until the deadline.
 * Returns 0 with *out filled, -ETIMEDOUT, or -ECANCELED. A message is consumed only when
 * returned; non-matching ones stay in the mailbox. While the bot waits, the filter (which must
 * stay valid) is evaluated by senders, or at the end of the tick in lockstep: `pred` must not
 * block. Only a matching message wakes the bot.
 */
int mob_recv(mob_bot *self, mob_msg *out, const mob_filter *filter, int64_t deadline);
/* Same as mob_recv with MOB_NOW: returns -EAGAIN when nothing matches. */
int mob_try_recv(mob_bot *self, mob_msg *out, const mob_filter *filter);
/* Number of visible unread messages that match (testtoolkit's has_message). */
int mob_has_message(mob_bot *self, const mob_filter *filter);

/* Groups are integers chosen by the application; a group exists while it has members.
 * Membership changes take effect at once (as in testtoolkit) and may be made for any live
 * bot, by itself, another bot or the host. join returns 0, -EEXIST (already a member), -ESRCH
 * (the bot has returned) or -ENOMEM; leave returns 0 or -ENOENT (not a member). A bot that
 * returns leaves all its groups. */
int mob_group_join(mob_bot *bot, int group);
int mob_group_leave(mob_bot *bot, int group);
int mob_group_has(const mob_bot *bot, int group);
/* Copies up to `cap` member ids (ascending) into ids; returns the member count. */
int mob_group_members(mob_loop *loop, int group, int *ids, size_t cap);

/* Events and barriers belong to the caller: free them once no bot waits on them (freeing one
 * with waiters aborts). new returns NULL with errno set (ENOMEM, or EINVAL for n < 1). */

/* An event: a flag that bots wait on. */
typedef struct mob_event mob_event;
mob_event *mob_event_new(mob_loop *loop);
void mob_event_free(mob_event *ev);
/* Sets the flag and wakes every waiter. */
void mob_event_set(mob_event *ev);
void mob_event_clear(mob_event *ev);
int mob_event_is_set(const mob_event *ev);
/* Returns 0 once the flag is set, -ETIMEDOUT or -ECANCELED. */
int mob_event_wait(mob_bot *self, mob_event *ev, int64_t deadline);

/* A barrier for `n` bots ("all logged in, then go"). Reusable: it resets after each release. */
typedef struct mob_barrier mob_barrier;
mob_barrier *mob_barrier_new(mob_loop *loop, int n);
void mob_barrier_free(mob_barrier *b);
/* Returns 0 for every bot of the generation (1 for the last one to arrive), -ETIMEDOUT or
 * -ECANCELED (a bot that gives up is no longer counted). */
int mob_barrier_wait(mob_bot *self, mob_barrier *b, int64_t deadline);

/* ======================================================================================== */
/* Processes                                                                                */
/* ======================================================================================== */

/* In a forked worker: asks the kernel to send `sig` when the parent dies (Linux), so workers
 * never outlive a killed parent. Returns 0, or -ENOSYS where the OS has no such thing (then
 * poll getppid()). */
int mob_die_with_parent(int sig);

#ifdef __cplusplus
}
#endif

#include "mob_io.h"

#endif /* MOB_H */
