/* SPDX-License-Identifier: MIT */
/*
 * loop.c: the heart of mob. One scheduler with two policies (free-running and lockstep), the
 * park/wake protocol every blocking call is built on, the timer heap, and the host-facing
 * calls that drive it all (run, step, check, free).
 *
 * How control moves. The host calls mob_loop_step(). A step picks the first runnable bot and
 * switches to it. When that bot yields, parks or returns, it does not go back to the host: it
 * picks the next runnable bot itself and switches straight to it (sched_next()), so a yield
 * between two bots is one context switch and a few pointer moves. Only when the step has
 * nothing left to run (lockstep: the tick's bots are done; free: the ready queue is empty or
 * the step's switch budget is spent) does a bot switch back to the host, which then polls the
 * selector and fires timers, making more bots runnable for the next step.
 *
 * What this file deliberately does not do: spawn/join/cancel/generators (bot.c), sockets
 * (io.c), mailboxes (msg.c).
 *
 * Read next: src/core/bot.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sched.h"

/* In free mode the host polls I/O at least every this many switches, even when bots keep
 * yielding, and at most once per round of the ready queue. */
#define MOB__MIN_BUDGET 1024

/* How many readiness events one poll hands back. */
#define MOB__STEP_LIMIT 100000

/* ---------------------------------------------------------------------------------------- */
/* Switching                                                                                */
/* ---------------------------------------------------------------------------------------- */

/* What mob__running points to outside any step: a loop with no current bot, so that mob_yield
 * catches a call from outside a bot with the one compare it makes anyway. */
static mob_loop no_loop;
_Thread_local mob_loop *mob__running MOB__TLS_FAST = &no_loop;

MOB__SWITCHES void mob__switch_to(mob_loop *loop, struct mob__ctx *from, mob_bot *to)
{
    sched_switch(loop, from, to);
    sched_reap(loop);
}

MOB__SWITCHES void mob__switch_from_host(mob_loop *loop, mob_bot *to)
{
    mob_loop *outer = mob__running; /* a loop run from inside another loop's bot */
    mob__running = loop;
    sched_switch(loop, &loop->main_ctx, to);
    sched_reap(loop);
    mob__running = outer;
}

void mob__reap(mob_loop *loop) { sched_reap(loop); }

MOB__SWITCHES void mob__schedule(mob_loop *loop) { sched_next(loop, loop->current); }

void mob__fpenv_switch(mob_loop *loop, mob_bot *to)
{
    struct mob__fpenv *out = loop->current ? loop->current->fpenv : NULL;
    struct mob__fpenv *in = to ? to->fpenv : NULL;
    if (out || in)
        mob__fpenv_swap(out ? out : &loop->thread_fpenv, in ? in : &loop->thread_fpenv);
}

/* mob_yield when sched_rotate declines: lockstep, the budget spent, nobody else ready, or a
 * bot that needs a detour. Apart, so that the fast path's frame stays bare. */
static MOB__SWITCHES __attribute__((noinline)) int yield_general(mob_loop *loop, mob_bot *self)
{
    if (loop->mode == MOB_LOCKSTEP && self->query_tick == loop->stats.ticks &&
        self->active_tick != loop->stats.ticks)
        loop->idle_yields++;
    self->state = MOB__READY;
    sched_ready_push(loop, self);
    sched_next(loop, self);
    return MOB_UNLIKELY(self->cancelled) ? -ECANCELED : 0;
}

/* A call, so that the common return tests the flag and branches instead of turning it into the
 * return code with arithmetic on every yield. */
static __attribute__((noinline, cold)) int yield_cancelled(void) { return -ECANCELED; }

MOB__SWITCHES int mob_yield(mob_bot *self)
{
    mob_loop *loop = mob__running;
    /* The running bot as the loop knows it, used from here on instead of `self`, which is
     * only compared (MOB__GOTO_IF_NE says why). Outside any loop: no_loop, current NULL. */
    mob_bot *running = loop->current;
    MOB__GOTO_IF_NE(running, self, not_running);
    /* A cancelled bot still yields (so a careless loop cannot starve the others) but is told. */
    mob_bot *next = sched_rotate(loop, running);
    if (MOB_UNLIKELY(next == NULL))
        return yield_general(loop, running);
    running = sched_switch_fast(loop, running, next);
    if (MOB_UNLIKELY(running->cancelled))
        return yield_cancelled();
    return 0;
not_running:
    MOB_PANIC("mob_yield called from outside bot %d", self->id);
}

/* ---------------------------------------------------------------------------------------- */
/* Park and wake                                                                            */
/* ---------------------------------------------------------------------------------------- */

void mob__check_self(const mob_bot *self, const char *file, int line)
{
    if (MOB_UNLIKELY(self == NULL || self->loop->current != self))
        mob_panic(file, line, "a mob_bot call was made from outside that bot (bot %d)",
                  self ? self->id : -1);
}

void mob__make_ready(mob_loop *loop, mob_bot *bot) { sched_make_ready(loop, bot); }

MOB__SWITCHES int mob__park(mob_bot *self, int64_t deadline, mob__unpark_fn unpark,
                            void *wait_obj)
{
    return mob__sched_park(self, deadline, unpark, wait_obj);
}

void mob__wake(mob_bot *bot, int rc) { sched_wake(bot, rc); }

/* Wakes a parked bot with an error of the loop's own (timeout, cancel): first undoes its wait
 * record, then wakes it. */
void mob__interrupt(mob_bot *bot, int rc)
{
    if (bot->state != MOB__PARKED)
        return;
    if (bot->unpark)
        bot->unpark(bot);
    mob__wake(bot, rc);
}

/* ---------------------------------------------------------------------------------------- */
/* Time                                                                                     */
/* ---------------------------------------------------------------------------------------- */

int64_t mob_clock_ns(void) { return mob__clock_ns(); }

void mob__update_now(mob_loop *loop)
{
    if (!loop->virtual_clock)
        loop->now = mob__clock_ns();
}

int64_t mob_now(mob_loop *loop)
{
    /* The vDSO makes this about 20 ns; reading it fresh keeps sleeps exact to the
     * microsecond, which the latency tests rely on. */
    return loop->virtual_clock ? loop->now : mob__clock_ns();
}

/* Wakes every bot whose deadline has passed, in deadline order (ties: order of parking).
 * O(k log n) for k expired timers among n. */
static void fire_timers(mob_loop *loop)
{
    struct mob__timer *t;
    while ((t = mob__heap_peek(&loop->timers)) && t->deadline <= loop->now) {
        mob_bot *bot = mob__container_of(t, mob_bot, timer);
        mob__heap_remove(&loop->timers, t);
        bot->timed = 0;
        mob__interrupt(bot, -ETIMEDOUT);
    }
}

int mob_clock_advance(mob_loop *loop, int64_t ns)
{
    if (!loop->virtual_clock || ns < 0)
        return -EINVAL;
    loop->now += ns;
    fire_timers(loop);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Steps                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static int cmp_bot_id(const void *a, const void *b)
{
    int x = (*(mob_bot *const *)a)->id, y = (*(mob_bot *const *)b)->id;
    return (x > y) - (x < y);
}

/* Lockstep: takes this tick's runnable bots off the ready list, in id order. Bots made
 * runnable while the tick runs wait for the next one. O(n) when already in order (the common
 * case: every bot yields once per tick), O(n log n) otherwise. */
static int build_tick(mob_loop *loop)
{
    int n = loop->nready, sorted = 1;
    if (n > loop->tick_cap) {
        int cap = n < 64 ? 64 : n * 2;
        mob_bot **t = MOB_REALLOC(loop->tick, (size_t)cap * sizeof *t);
        if (!t)
            return -ENOMEM;
        loop->tick = t;
        loop->tick_cap = cap;
    }
    n = 0;
    mob_bot *b;
    while ((b = sched_ready_pop(loop))) {
        if (n > 0 && loop->tick[n - 1]->id > b->id)
            sorted = 0;
        loop->tick[n++] = b;
    }
    if (!sorted)
        qsort(loop->tick, (size_t)n, sizeof *loop->tick, cmp_bot_id);
    loop->tick_len = n;
    loop->tick_pos = 0;
    return n;
}

static void run_hooks(mob_loop *loop, int after)
{
    for (int i = 0; i < loop->nhooks; i++) {
        struct mob__hook *h = &loop->hooks[after ? loop->nhooks - 1 - i : i];
        mob_hook_fn fn = after ? h->after : h->before;
        if (fn)
            fn(loop, h->ud);
    }
}

/* Nonzero when a bot is runnable, a timer pending or an fd awaited: something can still
 * happen without the host's help. */
static int can_progress(const mob_loop *loop)
{
    return loop->nready > 0 || loop->timers.len > 0 || loop->io_waiters > 0;
}

/*
 * Idle ticks. A lockstep bot may wait by asking (testtoolkit's `while not is_readable: yield`)
 * instead of parking. Such a bot is runnable in every tick, so the loop would have no reason
 * to block and would spin a whole CPU through hundreds of thousands of ticks a second.
 * A tick is idle when every bot that ran in it, and is queued for the next, spent it asking
 * and finding nothing (mob_ready 0, no message: mob__turn_query in internal.h) and doing
 * nothing that could change an answer (no send, spawn, watch, group change, cancel...:
 * mob__turn_active), no message became visible at its end and no watched fd is ready in the
 * new snapshot. The next tick would then see the same answers; so the loop waits, before
 * running it, until a watched fd gains readiness, a bot parked on an fd has an event, a timer
 * is due, or MOB__IDLE_TICK_MAX_NS passes (testtoolkit's select timeout: a bot that counts
 * ticks while it asks still moves on). Tick order and message visibility are untouched: only
 * the wall time between two ticks grows. Not with a virtual clock, whose time must not pass
 * by itself. mob-bench idle measures the CPU an idle loop costs.
 */
#define MOB__IDLE_TICK_MAX_NS (500 * MOB_NS_PER_MS)

/* Runs the bots of one step, then the end-of-tick work. Returns 1 for an idle tick. */
static int run_bots(mob_loop *loop)
{
    mob_bot *first;
    loop->idle_yields = 0;
    if (loop->mode == MOB_LOCKSTEP) {
        int n = build_tick(loop);
        if (n < 0)
            return n;
        first = sched_pick(loop);
    } else {
        int n = loop->nready;
        loop->switch_limit = loop->stats.switches + (n > MOB__MIN_BUDGET ? n : MOB__MIN_BUDGET);
        first = sched_pick(loop);
    }
    if (first)
        mob__switch_from_host(loop, first);
    /* Outside a step nothing runs by itself: generators driven by the host come back here. */
    loop->switch_limit = loop->stats.switches;
    int ran = loop->tick_len;
    loop->tick_len = loop->tick_pos = 0;
    if (loop->mode == MOB_LOCKSTEP) {
        int delivered = mob__msg_tick_end(loop);
        mob__io_tick_end(loop);
        /* Every bot that ran yielded idle (one that parked or returned may have changed
         * what the others see), and they are all that is queued. */
        return delivered == 0 && ran > 0 && loop->idle_yields == ran &&
               loop->nready == ran && !loop->virtual_clock && mob__io_watch_quiet(loop);
    }
    return 0;
}

/* The lockstep tick just run was idle (see "Idle ticks") and the host did nothing since. */
static int idle_now(const mob_loop *loop)
{
    return loop->tick_idle && !loop->host_active;
}

/* How long the next step may wait for I/O or a timer before running bots, given the caller's
 * limit: not at all if bots are runnable (unless the last tick was idle), else until the next
 * timer. Reads the clock only when a timer makes it matter. */
static int64_t wait_bound(mob_loop *loop, int64_t timeout_ns, int idle, int *jump)
{
    *jump = 0;
    int64_t wait = timeout_ns;
    if ((loop->nready > 0 && !idle) || loop->stop)
        return 0;
    if (idle && (wait < 0 || wait > MOB__IDLE_TICK_MAX_NS))
        wait = MOB__IDLE_TICK_MAX_NS;
    struct mob__timer *t = mob__heap_peek(&loop->timers);
    if (t && wait != 0) {
        mob__update_now(loop);
        int64_t until = t->deadline - loop->now;
        if (until < 0)
            until = 0;
        if (loop->virtual_clock && loop->io_waiters == 0) {
            until = 0; /* nothing but timers can wake anyone: the step jumps to the deadline */
            *jump = 1;
        }
        if (wait < 0 || until < wait)
            wait = until;
    }
    if (wait != 0 && !can_progress(loop))
        wait = 0; /* blocking would be forever: let the caller see the deadlock */
    return wait;
}

/*
 * One step: first wait for I/O and timers (at most timeout_ns, and not at all when bots are
 * runnable), collect what is ready and fire what is due; then run the bots that are runnable,
 * those just woken included. Waiting first is what lets a host that saw the backend fd ready
 * call mob_loop_step(loop, 0) once and find the woken bot has run (libuv's uv_run with
 * UV_RUN_NOWAIT after uv_backend_fd), and lets mob_loop_run_until and a host-driven generator
 * stop as soon as their bot is done, without a wait after it.
 */
MOB__SWITCHES int mob_loop_step(mob_loop *loop, int64_t timeout_ns)
{
    MOB_ASSERT(loop->current == NULL, "mob_loop_step called from inside a bot");
    int idle = idle_now(loop), jump;
    int64_t wait = wait_bound(loop, timeout_ns, idle, &jump);
    if (jump)
        loop->now = mob__heap_peek(&loop->timers)->deadline;
    int rc;
    if (idle && wait != 0 && mob__io_nwatch(loop) > 0) {
        loop->stats.polls++;
        rc = mob__io_idle_wait(loop, wait);
        if (rc < 0)
            return rc;
        wait = 0; /* what woke it is collected by the poll below */
    }
    /* Lockstep polls once per tick (testtoolkit's server_wrapper) when any fd is known to the
     * loop, so readiness snapshots stay fresh; with no fd at all a tick needs no system call. */
    if (wait != 0 || loop->io_waiters > 0 ||
        (loop->mode == MOB_LOCKSTEP && loop->stats.fds_registered > 0)) {
        int64_t before = loop->virtual_clock ? mob__clock_ns() : 0;
        loop->stats.polls++;
        rc = mob__io_poll(loop, wait);
        if (rc < 0)
            return rc;
        if (loop->virtual_clock && wait != 0)
            loop->now += mob__clock_ns() - before; /* virtual time runs at least as fast as real */
    }
    if (loop->timers.len > 0) {
        mob__update_now(loop);
        fire_timers(loop);
    }

    loop->stats.ticks++;
    loop->host_active = 0;
    if (loop->nhooks)
        run_hooks(loop, 0);
    rc = run_bots(loop);
    if (loop->nhooks)
        run_hooks(loop, 1);
    if (rc < 0)
        return rc;
    loop->tick_idle = rc == 1;
    return (int)(loop->alive - loop->gen_idle);
}

int64_t mob_loop_backend_timeout(mob_loop *loop)
{
    if (!can_progress(loop) && !loop->stop)
        return -1; /* only the host can change anything: nothing to wait for */
    int idle = idle_now(loop), jump;
    int64_t wait = wait_bound(loop, MOB_FOREVER, idle, &jump);
    /* The snapshot's fds are not behind the backend fd: look at them at least this often. */
    if (idle && mob__io_nwatch(loop) > 0 && (wait < 0 || wait > MOB__IDLE_POLL_SLICE_NS))
        wait = MOB__IDLE_POLL_SLICE_NS;
    return wait;
}

int mob_loop_run(mob_loop *loop)
{
    MOB_ASSERT(loop->current == NULL, "mob_loop_run called from inside a bot");
    loop->stop = 0;
    while (loop->alive > loop->gen_idle) {
        int rc = mob_loop_step(loop, MOB_FOREVER);
        if (rc < 0)
            return rc;
        if (loop->stop)
            return 1;
        if (loop->alive > loop->gen_idle && !can_progress(loop))
            return -EDEADLK;
    }
    return 0;
}

int mob_loop_run_until(mob_loop *loop, mob_bot *bot)
{
    MOB_ASSERT(loop->current == NULL, "mob_loop_run_until called from inside a bot");
    int rc = 0;
    while (bot->state != MOB__DONE) {
        rc = mob_loop_step(loop, MOB_FOREVER);
        if (rc < 0)
            break;
        rc = 0;
        if (bot->state != MOB__DONE && !can_progress(loop)) {
            rc = -EDEADLK;
            break;
        }
    }
    return rc;
}

void mob_loop_stop(mob_loop *loop) { loop->stop = 1; }

int mob_loop_backend_fd(mob_loop *loop) { return mob__io_backend_fd(loop); }

int mob_loop_add_hook(mob_loop *loop, mob_hook_fn before, mob_hook_fn after, void *ud)
{
    struct mob__hook *h = MOB_REALLOC(loop->hooks, (size_t)(loop->nhooks + 1) * sizeof *h);
    if (!h)
        return -ENOMEM;
    loop->hooks = h;
    h[loop->nhooks++] = (struct mob__hook){before, after, ud};
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Creation, leak check, teardown                                                           */
/* ---------------------------------------------------------------------------------------- */

mob_loop *mob_loop_new(const mob_loop_options *opt)
{
    static const mob_loop_options defaults = {0};
    if (!opt)
        opt = &defaults;
    if ((opt->mode != MOB_FREE && opt->mode != MOB_LOCKSTEP) || opt->fpenv < MOB_FPENV_DEFAULT ||
        opt->fpenv > MOB_FPENV_OWN) {
        errno = EINVAL;
        return NULL;
    }
    mob_loop *loop = MOB_CALLOC(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->mode = opt->mode;
    loop->stack_size = opt->stack_size ? opt->stack_size : MOB_DEFAULT_STACK_SIZE;
    loop->guard = opt->guard;
    loop->fpenv_default = opt->fpenv == MOB_FPENV_OWN ? MOB_FPENV_OWN : MOB_FPENV_THREAD;
    mob__fpenv_init(&loop->thread_fpenv); /* its parts that a save does not write */
    loop->virtual_clock = opt->virtual_clock != 0;
    loop->now = loop->virtual_clock ? opt->virtual_start : mob__clock_ns();
    loop->ready_tail = &loop->ready_head;
    loop->stats.fd_limit = mob__raise_fd_limit();
    if (opt->timer_slack_ns > 0)
        mob__set_timer_slack(opt->timer_slack_ns);
    mob__stack_install_overflow_handler();
    int rc = mob__io_init(loop);
    if (rc == 0 && (rc = mob__msg_init(loop)) != 0)
        mob__io_fini(loop);
    if (rc != 0) {
        MOB_FREE(loop);
        errno = -rc;
        return NULL;
    }
    return loop;
}

int mob_loop_check(mob_loop *loop, int kinds, int report)
{
    MOB_ASSERT(loop->current == NULL, "mob_loop_check called from inside a bot");
    int leaks = mob__bots_check(loop, kinds, report, 0);
    int fd_leaks = mob__io_check(loop, report && (kinds & MOB_CHECK_FDS), 0);
    if (kinds & MOB_CHECK_FDS)
        leaks += fd_leaks;
    return leaks;
}

int mob_loop_free(mob_loop *loop)
{
    if (!loop)
        return 0;
    MOB_ASSERT(loop->current == NULL, "mob_loop_free called from inside a bot");
    int leaks = mob_loop_check(loop, MOB_CHECK_ALL, 1);
    if (loop->alive > 0)
        fprintf(stderr, "mob: %d bot(s) ignored cancellation; their stacks are abandoned\n",
                loop->alive);
    mob__scopes_free(loop);
    mob__msg_fini(loop);
    mob__io_fini(loop);
    mob__bots_free(loop);
    mob__heap_free(&loop->timers);
    MOB_FREE(loop->tick);
    MOB_FREE(loop->hooks);
    MOB_FREE(loop);
    return leaks;
}

void mob_loop_get_stats(mob_loop *loop, mob_loop_stats *out)
{
    *out = loop->stats;
    out->bots_spawned = loop->nbots;
    out->bots_alive = loop->alive;
    out->stack_size = loop->stack_size;
    out->guard = loop->guard;
    out->guard_name = mob__guard_name(mob__loop_guard_kind(loop));
}
