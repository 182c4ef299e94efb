/* SPDX-License-Identifier: MIT */
/*
 * runner.c: one process of a run. A controller bot owns the schedule: it spawns load bots
 * (all at once, staggered by ramp-up, or following the stages), closes each second of the
 * timeline, feeds the live line, and ends the run. Each load bot runs worker_main: setup, the
 * loop of picked scenarios, teardown.
 *
 *     controller --spawn--> bot 0: setup -> [pick -> run -> count -> think]* -> teardown
 *         |      --spawn--> bot 1: ...
 *         +-- every second: timeline + live line; at the end: stop, wait, cancel and
 *             join its children
 *
 * The end, as in molotov: at the -d deadline no bot starts a new run, bots between runs are
 * cancelled, and runs in flight finish, each bounded by its own --timeout, and count like any
 * other. With --force-shutdown (or on a signal) every bot is cancelled at once; a run cut that
 * way is counted as cut, its own class, never silently dropped. A bot whose setup fails stops
 * the whole run (molotov's rule), with the reason printed.
 *
 * Latency is measured with the real clock (mob_clock_ns), not the loop's cached one, so a run
 * that shares a scheduling step with a hundred others is still timed to the nanosecond.
 * Forking and merging processes is procs.c; printing is report.c; how many bots when, and
 * when rate-mode runs are due, is shape.c.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "run.h"

#define LATE_NS MOB_NS_PER_MS   /* a rate-mode run begun later than this after its due time */
#define POLL_NS (100 * MOB_NS_PER_MS) /* how often the controller looks at the signal flag */
#define YIELD_EVERY 64           /* runs between forced yields (scenarios that never block) */
#define VERBOSE_MAX 20           /* failures -v prints, per process */
#define GRACE_SLACK_NS (100 * MOB_NS_PER_MS) /* past every in-flight run's own deadline */

struct slot;

struct run {
    const struct mob__proc *p;
    const mob_options *o;
    const mob_suite *suite;
    struct mob__kinds kinds;  /* the suite's kinds of bot and which slot is which (kinds.c) */
    mob_result *res;
    mob_loop *loop;
    mob_bot *controller;
    mob_event *wake;          /* set by a bot when the controller should look */
    struct slot *slots;       /* capacity: max bots of this process */
    int cap;
    int low_free, top;        /* no slot below low_free can be spawned, none from top counts:
                                 each spawn and retire is O(1) amortized, not a scan of cap */
    int active;               /* spawned, not retired, not finished */
    int alive;                /* spawned and not returned */
    int64_t start, end;       /* end: the global deadline, INT64_MAX for none */
    int stopping;
    int64_t grace_end;        /* graceful end: in-flight runs are cut after this */
    int bots_total;           /* rate mode: bots of all processes */
    int printed;              /* failures shown with -v */
    void *ud;
    struct mob__info_log msgs;    /* the bots' info messages (span.c) */
    struct mob__watch *watch; /* dashboard, reporters, statsd (watch.c), or NULL */
    struct mob__events ev;    /* listeners and session hooks (events.c) */
    int id_base;              /* --index I/N: machine I's bots start at I * processes * cap */
    struct mob__sizing *sizing; /* --sizing in one process (sizing.c); a -p parent judges its
                                   children and raises p->live->stop */
};

struct slot {
    struct run *run;
    mob_worker w;
    struct mob__wstate ws;    /* w.internal: open spans */
    mob_bot *bot;
    const struct mob__kind *kind;
    int index;
    int used;                 /* spawned at least once */
    int running;              /* spawned and not returned */
    int retire;               /* stop after the current run (stages going down) */
    int counted;              /* counts in run->active: spawned and not retired */
    int in_run;               /* inside a scenario: let it finish at a graceful end */
};

static inline int64_t real_now(void)
{
    return mob_clock_ns();
}

/* Rate-mode runs of global bot g due before `until`, and when its run k is due (shape.c). */
static uint64_t due_count(const struct run *run, int g, int64_t until)
{
    return mob__rate_due_count(run->o, run->bots_total, g, until - run->start);
}

static int64_t due_time(const struct run *run, int g, int64_t k)
{
    return run->start + mob__rate_due_at(run->o, run->bots_total, g, k);
}

static void stop_run(struct run *run)
{
    run->stopping = 1;
    mob_event_set(run->wake);
}

/* --sizing's live judge looks at every completed run, and at every wake-up of the controller
 * for the live line when runs stall; a -p child publishes its counts as often for its
 * parent's judge (procs.c), which looks at them every 20 ms. */
static void sizing_look(struct run *run, int64_t now)
{
    if (!run->o->sizing)
        return;
    if (run->p->live) {
        run->p->live->ok = run->res->t.ok;
        run->p->live->fail = run->res->t.failures;
        run->p->live->bots = run->alive;
    } else if (mob__sizing_look(run->sizing, now - run->start, run->res->t.ok,
                                run->res->t.failures, run->alive)) {
        stop_run(run);
    }
}

int mob_worker_ending(const mob_worker *w)
{
    const struct slot *sl = (const struct slot *)(const void *)((const char *)w -
                                                                offsetof(struct slot, w));
    /* The clock too: bots leave at the end before the controller gets to set the flag. */
    return sl->run->stopping || (sl->run->end != INT64_MAX && real_now() >= sl->run->end);
}

/* Picks the next scenario index in the bot's kind: -1 ends the bot, -2 is a picker error
 * (counted). */
static int next_scenario(const struct mob__kind *k, const mob_options *o, mob_worker *w,
                         int *single_pos)
{
    if (o->single_run) {
        if (*single_pos >= k->table.n)
            return -1;
        return (*single_pos)++;
    }
    if (k->def.picker && !o->single) {
        const char *name = k->def.picker(w);
        if (!name)
            return -1;
        int i = mob__table_find(&k->table, name);
        return i >= 0 ? i : -2;
    }
    return mob__table_pick(&k->table, w);
}

/* The first failed setup stops the run (molotov): say which bot and why, once. */
static void setup_failed(struct run *run, mob_worker *w, int rc)
{
    run->res->t.setup_failed++;
    if (run->stopping)
        return; /* cut by the end of the run: not the bot's fault */
    if (!run->res->t.setup_failed_rc) {
        run->res->t.setup_failed_rc = rc < 0 ? rc : -EINVAL;
        if (!run->o->quiet)
            fprintf(stderr, "mob: bot %d: setup failed: %s; the run stops\n", w->id,
                    rc < 0 ? mob_strerror(rc) : "it returned nonzero");
    }
    stop_run(run);
}

static intptr_t worker_main(mob_bot *self, void *arg)
{
    struct slot *sl = arg;
    struct run *run = sl->run;
    /* The suite's per-bot state is the bot's storage (sized at spawn, zeroed, beside the bot,
     * not on its stack); NULL when the suite asked for none, and bot_setup may set its own. */
    sl->w.state = mob_bot_storage(self);
    const mob_options *o = run->o;
    mob_result *res = run->res;
    mob_worker *w = &sl->w;
    const struct mob__kind *kind = sl->kind;
    int single_pos = 0, g = w->id - run->id_base; /* the rate schedule is per machine */
    int64_t backoff = 0; /* after connect failures: see below */

    w->bot = self;
    int src = 0;
    if (kind->def.bot_setup)
        src = kind->def.bot_setup(w);
    if (src != 0) {
        setup_failed(run, w, src);
        goto teardown;
    }
    sl->ws.depth = 0; /* spans setup left open are dropped */
    while (!run->stopping && !sl->retire) {
        if (o->max_runs && w->step >= o->max_runs)
            break;
        /* The clock, not only the flag: the controller may be queued behind thousands of
         * bots whose calls are slow (connects on exhausted ports take milliseconds each). */
        if (run->end != INT64_MAX && real_now() >= run->end)
            break;
        int64_t due = 0;
        if (o->rate > 0) {
            due = due_time(run, g, w->step);
            if (due >= run->end)
                break;
            if (mob_now(run->loop) < due && mob_sleep_until(self, due) < 0)
                break;
            if (run->stopping || sl->retire)
                break;
        }
        int idx = next_scenario(kind, o, w, &single_pos);
        if (idx == -1)
            break;
        if (!sl->ws.session && mob__session_make(&run->ev, w) < 0) {
            stop_run(run); /* molotov: a session that cannot be made stops the run */
            break;
        }
        int64_t t0 = real_now();
        if (o->rate > 0) {
            if (t0 - due > LATE_NS)
                res->t.late++;
        } else {
            due = t0;
        }
        w->scheduled = due;
        /* A run's deadline is its own --timeout; the run's end bounds it only when there is
         * no timeout or under --force-shutdown (then a run reaching it is cut, not failed). */
        int64_t end = run->end == INT64_MAX ? MOB_FOREVER : run->end;
        w->deadline = end;
        if (o->timeout_ns > 0 && (end < 0 || !o->force_shutdown || t0 + o->timeout_ns < end))
            w->deadline = t0 + o->timeout_ns;
        int cut_at_end = w->deadline == end && end >= 0;
        if (idx == -2) { /* the picker named no scenario we have */
            w->step++;
            int u = mob__result_scenario(res, "(unknown)");
            if (u >= 0)
                mob__result_record(res, u, MOB_FAIL_OTHER, 0);
            if (o->stop_on_failure) {
                res->t.stopped_on_failure = 1;
                stop_run(run);
            }
            continue;
        }
        const mob_scenario *sc = kind->table.s[idx];
        int ri = kind->first + idx; /* in the result */
        mob__events_start(&run->ev, w, res->scen[ri].name);
        sl->in_run = 1;
        sl->ws.status = 0;
        int rc = sc->fn(w);
        sl->in_run = 0;
        int64_t t1 = real_now();
        w->step++;
        sl->ws.depth = 0;
        int cls = mob_fail_classify(rc, MOB_PHASE_ANY);
        if (cls < 0 || (cls > 0 && (mob_cancelled(self) || (cut_at_end && t1 >= run->end)))) {
            /* Cut by the end of the run (forced, a signal, or no --timeout to wait for): not
             * the server's fault, but counted, so a dead server never reads as a clean run. */
            mob__events_end(&run->ev, w, res->scen[ri].name, MOB_FAIL_CANCELED, rc);
            res->t.cancelled++;
            res->scen[ri].cut++;
            if (!o->force_shutdown && !mob__stop_signal && !cut_at_end &&
                (run->stopping || t1 >= run->end) &&
                !(run->grace_end && mob_now(run->loop) >= run->grace_end))
                res->t.cut_graceful++;
            break;
        }
        mob__result_record(res, ri, cls, t1 - due);
        sizing_look(run, t1);
        mob__result_status(res, ri, cls, sl->ws.status);
        mob__events_end(&run->ev, w, res->scen[ri].name, cls, rc);
        if (cls > 0 && w->reason)
            mob__result_reason(res, cls, w->reason);
        if (cls > 0 && o->verbose && run->printed < VERBOSE_MAX) {
            run->printed++;
            fprintf(stderr, "[W:%d] %s failed: %s%s%s%s%s%s\n", w->id, res->scen[ri].name,
                    mob_fail_name(cls), rc < 0 ? " " : "", rc < 0 ? mob_errname(rc) : "",
                    w->reason ? ": " : "", w->reason ? w->reason : "",
                    run->printed == VERBOSE_MAX ? " (no more failures shown)" : "");
        }
        w->reason = NULL;
        if (cls > 0 && o->stop_on_failure) {
            res->t.stopped_on_failure = 1;
            stop_run(run);
            break;
        }
        int64_t think = o->delay_ns + (cls == 0 ? sc->delay_ns : 0);
        /* A refused or impossible connect fails in microseconds: without a pause, a dead
         * server turns every bot into a busy loop of failures. Back off 1 ms, doubling to 1 s,
         * until a run succeeds (closed model only: in rate mode the schedule sets the pace). */
        if (cls == MOB_FAIL_CONNECT && o->rate <= 0) {
            backoff = backoff ? (backoff * 2 < MOB_NS_PER_SEC ? backoff * 2 : MOB_NS_PER_SEC)
                              : MOB_NS_PER_MS;
            think += backoff;
        } else if (cls == 0) {
            backoff = 0;
        }
        if (think > 0) {
            if (mob_sleep(self, think) < 0)
                break;
        } else if (w->step % YIELD_EVERY == 0 && mob_yield(self) < 0) {
            break;
        }
    }
teardown:
    mob__session_end(&run->ev, w);
    if (kind->def.bot_teardown && kind->def.bot_teardown(w) != 0)
        res->t.teardown_failed++;
    mob__events_bot_end(&sl->ws);
    if (o->rate > 0) {
        int64_t until = run->end < mob_now(run->loop) ? run->end : mob_now(run->loop);
        uint64_t due = due_count(run, g, until);
        res->t.scheduled += due;
        if (due > (uint64_t)w->step)
            res->t.dropped += due - (uint64_t)w->step;
    }
    sl->running = 0;
    if (!sl->counted && sl->index < run->low_free)
        run->low_free = sl->index;
    run->alive--;
    if (run->alive == 0)
        mob_event_set(run->wake);
    return 0;
}

static int spawn_one(struct run *run)
{
    for (int i = run->low_free; i < run->cap; i++) {
        struct slot *sl = &run->slots[i];
        if (sl->running || sl->counted)
            continue;
        run->low_free = i + 1;
        run->top = i + 1 > run->top ? i + 1 : run->top;
        memset(&sl->w, 0, sizeof sl->w);
        sl->run = run;
        sl->index = i;
        sl->retire = 0;
        sl->kind = &run->kinds.k[run->kinds.of_slot[i]];
        sl->w.id = run->id_base + run->p->process * run->cap + i;
        sl->w.local = i;
        sl->w.process = run->p->process;
        sl->w.ud = sl->kind->def.ud ? sl->kind->def.ud : run->ud;
        sl->w.opt = run->o;
        sl->w.deadline = MOB_FOREVER;
        sl->ws = (struct mob__wstate){.res = run->res, .msgs = &run->msgs, .ev = &run->ev,
                                      .kind_index = run->kinds.index_of_slot[i],
                                      .kind_slots = sl->kind->slots};
        sl->w.internal = &sl->ws;
        mob__rng_seed(sl->w.rng, run->o->seed, (uint64_t)sl->w.id);
        mob_spawn_options so = {0};
        so.stack_size = run->o->stack_size;
        so.storage_size = sl->kind->def.state_size;
        sl->bot = mob_spawn_ex(run->loop, worker_main, sl, &so);
        if (!sl->bot)
            return errno == EINVAL ? -EINVAL : -ENOMEM;
        if (!sl->used && run->res->nkinds)
            run->res->kinds[run->kinds.of_slot[i]].bots++;
        sl->used = sl->running = sl->counted = 1;
        run->active++;
        run->alive++;
        if (run->alive > run->res->t.bots_max)
            run->res->t.bots_max = run->alive;
        return 0;
    }
    return -ENOSPC;
}

static void retire_one(struct run *run)
{
    for (int i = run->top - 1; i >= 0; i--) {
        struct slot *sl = &run->slots[i];
        if (sl->counted) {
            sl->retire = 1;
            sl->counted = 0;
            run->active--;
            run->top = i;
            run->low_free = sl->running || i > run->low_free ? run->low_free : i;
            return;
        }
    }
}

/* How many bots should be active at `now`, and when that number next changes (*next). */
static int wanted(const struct run *run, int64_t now, int64_t *next)
{
    int n = mob__shape_wanted(run->o, now - run->start, next);
    if (*next != INT64_MAX)
        *next += run->start;
    return n;
}

static void second_tick(struct run *run, int64_t now, int show)
{
    mob_result *r = run->res;
    const mob_options *o = run->o;
    uint64_t ok = r->sec_ok, fail = r->sec_fail;
    int closed = r->nsecs;
    mob__result_tick(r);
    if (r->nsecs > closed) /* the second closed (out of memory it is not kept) */
        r->secs[closed].bots = run->alive;
    r->t.elapsed_ns = now - run->start; /* the live views show it; the end sets it again */
    mob__watch_second(run->watch, run->alive);
    /* current_workers once a second; the last, partial second leaves it to the end's. */
    if (show)
        mob__events_workers(&run->ev, run->alive);
    if (run->p->live) {
        mob__live_publish(run->p->live, r, run->alive);
    } else if (show && !o->quiet && mob__live_enabled(o)) {
        int64_t total = run->end == INT64_MAX ? 0 : run->end - run->start;
        const struct mob__second *last = r->nsecs > 0 ? &r->secs[r->nsecs - 1] : NULL;
        mob__live_print(o, now - run->start, total, run->alive, r->t.ok, r->t.failures,
                        (double)(ok + fail), last ? last->p50 : 0, last ? last->p99 : 0,
                        run->sizing);
    }
}

/*
 * The end of the run. Graceful (molotov's -d): bots between runs are cancelled, runs in flight
 * go on until they finish, each bounded by its own --timeout, and count as usual; the seconds
 * keep ticking meanwhile. Forced (--force-shutdown, a signal, or a signal during the wait):
 * everyone is cancelled now, and what was in flight counts as cut. A run that ignores its
 * deadline is cut GRACE_SLACK_NS after the last deadline any run could have.
 */
static void end_run(struct run *run, mob_bot *self, int64_t next_sec)
{
    const mob_options *o = run->o;
    int force = o->force_shutdown || mob__stop_signal;
    int64_t grace = mob_now(run->loop) + (o->timeout_ns > 0 ? o->timeout_ns : 0) + GRACE_SLACK_NS;
    run->grace_end = grace;
    for (int i = 0; i < run->cap; i++)
        if (run->slots[i].running && (force || !run->slots[i].in_run))
            mob_cancel(run->slots[i].bot);
    while (!force && run->alive > 0) {
        int64_t now = mob_now(run->loop);
        if (mob__stop_signal) {
            run->res->t.interrupted = mob__stop_signal;
            break;
        }
        if (now >= grace)
            break;
        while (now >= next_sec) {
            second_tick(run, now, 1);
            next_sec += MOB_NS_PER_SEC;
        }
        int64_t wake = next_sec < grace ? next_sec : grace;
        if (now + POLL_NS < wake)
            wake = now + POLL_NS;
        mob_event_clear(run->wake);
        if (run->alive == 0)
            break;
        if (mob_event_wait(self, run->wake, wake) == -ECANCELED)
            break;
    }
    /* Whatever is still running is cut now. The load bots are the controller's children, so
     * this is all of them (and were it to return first, the runtime would cancel and join
     * them anyway). */
    mob_cancel_children(self);
    mob_join_children(self, MOB_FOREVER);
}

static intptr_t controller_main(mob_bot *self, void *arg)
{
    struct run *run = arg;
    int64_t next_sec = run->start + MOB_NS_PER_SEC;
    int spawned_all = 0, said_workers = 0;
    for (;;) {
        int64_t now = mob_now(run->loop);
        if (mob__stop_signal) {
            run->res->t.interrupted = mob__stop_signal;
            stop_run(run);
        }
        if (now >= run->end || (run->p->live && run->p->live->stop))
            stop_run(run);
        if (run->stopping)
            break;
        int64_t next_change;
        int want = wanted(run, now, &next_change);
        if (want > run->cap)
            want = run->cap;
        while (run->active < want && !run->stopping) {
            if (spawn_one(run) < 0)
                break;
        }
        while (run->active > want)
            retire_one(run);
        if (!said_workers++) /* current_workers at the start, as molotov's first */
            mob__events_workers(&run->ev, run->alive);
        if (next_change == INT64_MAX)
            spawned_all = 1;
        if (spawned_all && run->alive == 0)
            break; /* every bot finished by itself (max runs, single run, picker) */
        while (now >= next_sec) {
            second_tick(run, now, 1);
            next_sec += MOB_NS_PER_SEC;
            const char *th = run->o->nthresholds ? mob__thresholds_crossed(run->res, run->o,
                                                                          now - run->start)
                                                 : NULL;
            if (th) { /* k6's abortOnFail: this process's numbers crossed it */
                snprintf(run->res->threshold_stop, sizeof run->res->threshold_stop, "%s", th);
                stop_run(run);
            }
        }
        sizing_look(run, now);
        int64_t wake = next_sec;
        if (next_change < wake)
            wake = next_change;
        if (run->end < wake)
            wake = run->end;
        if (now + POLL_NS < wake)
            wake = now + POLL_NS;
        mob_event_clear(run->wake);
        if (run->alive == 0 && spawned_all)
            continue;
        if (mob_event_wait(self, run->wake, wake) == -ECANCELED)
            break;
    }
    run->stopping = 1;
    end_run(run, self, next_sec);
    mob__events_workers(&run->ev, run->alive); /* every bot has ended: 0 */
    int64_t now = real_now();
    run->res->t.elapsed_ns = now - run->start;
    /* The last, partial second. */
    if (run->res->sec_ok || run->res->sec_fail || run->res->nsecs == 0)
        second_tick(run, now, 0);
    mob__sizing_end(run->sizing, run->res); /* the final report the viewers get has it */
    run->sizing = NULL;
    mob__watch_finish(run->watch, self);
    if (run->p->live) {
        run->p->live->bots = 0;
        run->p->live->done = 1;
    }
    return 0;
}

int mob__run_process(const struct mob__proc *p, mob_result **out)
{
    const mob_options *o = p->opt;
    struct run run;
    memset(&run, 0, sizeof run);
    run.p = p;
    run.o = o;
    run.suite = p->suite;
    run.ud = p->ud;
    *out = NULL;
    int rc = mob__kinds_build(&run.kinds, p->suite, o->single);
    if (rc < 0)
        return rc == -ENOMEM ? rc : -EINVAL;
    run.res = mob__result_new(p->suite->name ? p->suite->name : "mob", o->target,
                              run.kinds.names, run.kinds.nnames);
    run.cap = mob_options_max_bots(o);
    run.bots_total = run.cap * (p->processes > 0 ? p->processes : 1);
    run.id_base = o->nindex > 0 ? o->index * run.bots_total : 0;
    run.slots = MOB_CALLOC((size_t)(run.cap > 0 ? run.cap : 1), sizeof *run.slots);
    int procs = p->processes > 0 ? p->processes : 1, nindex = o->nindex > 0 ? o->nindex : 1;
    if (!run.res || mob__kinds_result(&run.kinds, run.res) < 0 ||
        mob__kinds_assign(&run.kinds, run.cap, o->nindex > 0 ? o->index * procs + p->process
                                                             : p->process, procs * nindex) < 0)
        rc = -ENOMEM;
    mob_loop_options lo = {0};
    lo.stack_size = o->stack_size;
    lo.timer_slack_ns = 1000; /* latency is what a run measures: 1 us, not Linux's 50 */
    run.loop = mob_loop_new(&lo);
    if (rc < 0 || !run.res || !run.slots || !run.loop) {
        rc = -ENOMEM;
        goto out;
    }
    run.wake = mob_event_new(run.loop);
    if (!run.wake || (!p->live && mob__sizing_new(&run.sizing, o) < 0)) {
        rc = -ENOMEM;
        goto out;
    }
    mob__events_init(&run.ev, p->suite, o, run.res);
    run.msgs.print = o->verbose > 0;
    run.msgs.watched = 1; /* the report keeps the latest, even when no live view shows them */
    run.res->t.seed = o->seed;
    run.res->t.processes = 1;
    run.res->bots = o->bots;
    run.res->rate = o->rate;
    run.res->duration_ns = o->duration_ns;
    run.start = p->start ? p->start : mob_clock_ns();
    run.end = o->duration_ns > 0 ? run.start + o->duration_ns : INT64_MAX;
    /* The live views' bots are not the controller's children: the end of the run cancels
     * those, and the views must outlive the load to show its end. */
    rc = mob__watch_start(&run.watch, run.loop, p, run.res, &run.msgs);
    if (rc < 0)
        goto out;
    run.controller = mob_spawn(run.loop, controller_main, &run);
    if (!run.controller) {
        rc = -ENOMEM;
        goto out;
    }
    rc = mob_loop_run(run.loop);
    rc = rc < 0 ? rc : 0;
out:
    if (run.wake)
        mob_event_free(run.wake);
    if (run.loop)
        mob_loop_free(run.loop);
    MOB_FREE(run.slots);
    mob__kinds_free(&run.kinds);
    mob__sizing_end(run.sizing, NULL); /* still here: the controller never got to its end */
    if (rc == 0) {
        mob__result_take_msgs(run.res, &run.msgs);
        mob__events_finish(&run.ev);
        *out = run.res;
    } else
        mob_result_free(run.res);
    return rc;
}
