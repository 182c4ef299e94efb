/* SPDX-License-Identifier: MIT */
/*
 * procs.c: a whole run: options checked, global setup, then either this process runs the bots
 * or `-p N` forks N children after global setup (so what it made is inherited), then global
 * teardown. Each child writes its result as a JSON report into a private temporary directory
 * and the parent reads them back and merges them (json.c, stats.c): the same exact path that
 * `mob merge` takes for results from other machines. While children run, each keeps its live
 * numbers in a slot of a shared file mapping, which the parent sums into the live line.
 *
 * Bot ids: child p runs bots p * bots + 0 .. bots - 1, so ids are unique across processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

void mob_options_init(mob_options *o)
{
    memset(o, 0, sizeof *o);
    o->bots = 10;
    o->duration_ns = 10 * MOB_NS_PER_SEC;
    o->processes = 1;
    o->fail_threshold = -1;
    o->live = -1;
    o->sizing_tolerance = 5;
    o->sizing_window_ns = 60 * MOB_NS_PER_SEC;
}

int mob_options_max_bots(const mob_options *o)
{
    int m = o->bots;
    for (int i = 0; i < o->nstages; i++)
        if (i == 0 || o->stages[i].bots > m)
            m = o->stages[i].bots;
    return m;
}

static int check_options(const mob_suite *s, const mob_options *o)
{
    if (!s || !o || o->processes < 1 || o->processes > 1024 || o->max_runs < 0 ||
        o->rate < 0 || o->nstages < 0 || o->nstages > MOB_MAX_STAGES || o->duration_ns < 0)
        return -EINVAL;
    if (o->nstages == 0 && o->bots < 1)
        return -EINVAL;
    if ((int64_t)mob_options_max_bots(o) * o->processes > INT_MAX)
        return -EINVAL; /* bot ids are ints: process * bots + index */
    if (o->nstages > 0 && o->rate > 0)
        return -EINVAL; /* a rate schedule needs a fixed number of bots */
    for (int i = 0; i < o->nstages; i++)
        if (o->stages[i].bots < 0 || o->stages[i].duration_ns <= 0 ||
            o->stages[i].spawn_rate < 0)
            return -EINVAL;
    if (o->single_run && o->single)
        return -EINVAL; /* molotov refuses the pair too */
    if (mob__kinds_check(s) < 0)
        return -EINVAL;
    /* A rate fixes the load that sizing grows by adding bots. */
    if (o->sizing && (o->rate > 0 || !(o->sizing_tolerance >= 0 && o->sizing_tolerance < 100) ||
                      o->sizing_window_ns < MOB_NS_PER_SEC ||
                      o->sizing_window_ns > 3600 * MOB_NS_PER_SEC))
        return -EINVAL;
    return 0;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / MOB_NS_PER_SEC), (long)(ns % MOB_NS_PER_SEC)};
    nanosleep(&ts, NULL);
}

/* The parent's view of its children while they run. */
struct kids {
    const mob_options *o;
    pid_t *pids;               /* 0: never started; negative once reaped */
    int *status;               /* waitpid's status of each reaped child */
    int n, started, remaining, forwarded;
    uint64_t last_total;
    int64_t next, start;
    struct mob__live *live;
    struct mob__sizing *sizing; /* --sizing: judged here on the sum of the children */
};

/* One look at the children: forward a stop, reap the ones that ended, draw the live line
 * once a second. Returns how many still run. */
static int watch_step(void *ud)
{
    struct kids *k = ud;
    if (mob__stop_signal && !k->forwarded) {
        for (int i = 0; i < k->n; i++)
            if (k->pids[i] > 0)
                kill(k->pids[i], SIGTERM);
        k->forwarded = 1;
    }
    for (int i = 0; i < k->n; i++) {
        if (k->pids[i] > 0 && waitpid(k->pids[i], &k->status[i], WNOHANG) == k->pids[i]) {
            k->pids[i] = -k->pids[i];
            k->remaining--;
        }
    }
    int64_t now = mob_clock_ns();
    uint64_t ok = 0, fail = 0;
    int bots = 0;
    for (int i = 0; i < k->n; i++) {
        ok += k->live[i].ok;
        fail += k->live[i].fail;
        bots += k->live[i].bots;
    }
    /* Every look (20 ms apart), on the counts the children publish at every completed run. */
    if (k->remaining > 0 && mob__sizing_look(k->sizing, now - k->start, ok, fail, bots))
        for (int i = 0; i < k->n; i++)
            k->live[i].stop = 1;
    if (now >= k->next && k->remaining > 0) {
        int64_t p50, p99;
        mob__live_merge(k->live, k->n, &p50, &p99);
        if (mob__live_enabled(k->o))
            mob__live_print(k->o, now - k->start, k->o->duration_ns, bots, ok, fail,
                            (double)(ok + fail - k->last_total), p50, p99, k->sizing);
        k->last_total = ok + fail;
        k->next += MOB_NS_PER_SEC;
    }
    return k->remaining;
}

/* With --dashboard, one socketpair per child: fds[i] the parent's end, fds[n + i] the
 * child's. NULL without a dashboard, or when they cannot be had (the run goes on without). */
static int *child_streams(const mob_options *o, int n)
{
    if (!o->dashboard)
        return NULL;
    int *fds = MOB_CALLOC((size_t)n * 2, sizeof *fds);
    for (int i = 0; fds && i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            for (int j = 0; j < i; j++) {
                close(fds[j]);
                close(fds[n + j]);
            }
            MOB_FREE(fds);
            fprintf(stderr, "mob: no dashboard: %s\n", mob_strerror(-errno));
            return NULL;
        }
        fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
        fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
        fcntl(sv[0], F_SETFD, FD_CLOEXEC);
        fcntl(sv[1], F_SETFD, FD_CLOEXEC);
        fds[i] = sv[0];
        fds[n + i] = sv[1];
    }
    return fds;
}

static int run_children(const struct mob__proc *base, mob_result **out)
{
    const mob_options *o = base->opt;
    int n = o->processes;
    const char *tmpdir = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mob-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return -errno;
    char path[600];
    snprintf(path, sizeof path, "%s/live", dir);
    size_t map_len = (size_t)n * sizeof(struct mob__live);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    struct mob__live *live = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)map_len) == 0)
        live = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    unlink(path);
    if (live == MAP_FAILED) {
        rmdir(dir);
        return -ENOMEM;
    }
    memset(live, 0, map_len);
    pid_t *pids = MOB_CALLOC((size_t)n, sizeof *pids);
    int *status = MOB_CALLOC((size_t)n * 2, sizeof *status), *fork_err = status + n;
    struct mob__sizing *sizing = NULL;
    if (!pids || !status || mob__sizing_new(&sizing, o) < 0) {
        MOB_FREE(pids);
        MOB_FREE(status);
        munmap(live, map_len);
        rmdir(dir);
        return -ENOMEM;
    }
    int *fds = child_streams(o, n);
    fflush(NULL); /* children must not flush the parent's buffered output again */
    int64_t start = mob_clock_ns();
    int started = 0;
    pid_t parent = getpid();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_err[i] = errno; /* this child is lost; the others may still run */
            continue;
        }
        if (pid == 0) {
            mob__signals_child();
            /* Never outlive a killed parent: its death stops this worker as a SIGTERM would
             * (gracefully); the check closes the race with a parent that died already. */
            mob_die_with_parent(SIGTERM);
            if (getppid() != parent)
                _exit(3);
            struct mob__proc p = *base;
            for (int j = 0; j < n && fds; j++) {
                close(fds[j]); /* the parent's ends, and the other children's */
                if (j != i)
                    close(fds[n + j]);
            }
            p.parent_fd = fds ? fds[n + i] : -1;
            p.process = i;
            p.processes = n;
            p.start = start;
            p.live = &live[i];
            mob_result *r = NULL;
            int rc = mob__run_process(&p, &r);
            if (rc == 0) {
                snprintf(path, sizeof path, "%s/%d.json", dir, i);
                rc = mob_result_write_json(r, path);
                mob_result_free(r);
            }
            live[i].done = 1;
            _exit(rc == 0 ? 0 : 3);
        }
        pids[i] = pid;
        started++;
    }
    for (int i = 0; i < n && fds; i++)
        close(fds[n + i]); /* the children's ends */
    struct kids k = {o,     pids, status, n, started, started, 0, 0, start + MOB_NS_PER_SEC,
                     start, live, sizing};
    if (!fds || mob__watch_children(o, fds, n, watch_step, &k) < 0) {
        while (watch_step(&k) > 0)
            sleep_ns(20 * MOB_NS_PER_MS);
    }
    if (fds) {
        for (int i = 0; i < n; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        MOB_FREE(fds);
    }
    /* Merge what every child wrote. A child that died, or was never forked, loses its own
     * results only: the report merges the survivors and names each lost child. */
    int rc = 0, nlost = 0;
    mob_result *all = NULL;
    char *lost = NULL;
    size_t lost_len = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%d.json", dir, i);
        mob_result *r = NULL;
        int e = pids[i] ? mob_result_read_json(path, &r) : -ECHILD;
        unlink(path);
        if (e == 0 && all) {
            e = mob_result_merge(all, r);
            mob_result_free(r);
            if (e < 0 && rc == 0)
                rc = e;
        } else if (e == 0) {
            all = r;
        } else {
            char why[160];
            int st = status[i];
            if (!pids[i])
                snprintf(why, sizeof why, "child %d was never started: fork: %s", i,
                         strerror(fork_err[i]));
            else if (WIFSIGNALED(st))
                snprintf(why, sizeof why, "child %d (pid %d) was killed by signal %d (%s)", i,
                         (int)-pids[i], WTERMSIG(st), strsignal(WTERMSIG(st)));
            else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
                snprintf(why, sizeof why, "child %d (pid %d) exited with status %d", i,
                         (int)-pids[i], WEXITSTATUS(st));
            else
                snprintf(why, sizeof why, "child %d (pid %d) left no report: %s", i,
                         (int)-pids[i], mob_strerror(e));
            size_t w = strlen(why);
            char *nl = MOB_REALLOC(lost, lost_len + w + 2);
            if (nl) {
                memcpy(nl + lost_len, why, w);
                nl[lost_len + w] = '\n';
                nl[lost_len + w + 1] = 0;
                lost = nl;
                lost_len += w + 1;
            }
            nlost++;
        }
    }
    mob__sizing_end(sizing, all); /* the verdict is the parent's: children never judge */
    rmdir(dir);
    munmap(live, map_len);
    MOB_FREE(pids);
    MOB_FREE(status);
    if (!all && rc == 0) { /* every child lost: nothing to report but why */
        if (lost)
            fprintf(stderr, "mob: every process was lost:\n%s", lost);
        rc = -ECHILD;
    }
    if (rc < 0) {
        MOB_FREE(lost);
        mob_result_free(all);
        return rc;
    }
    if (mob__stop_signal)
        all->t.interrupted = mob__stop_signal;
    mob__run_id_new(all->run_id); /* the run's own id; its children's are listed in all->runs */
    all->t.processes_lost = nlost;
    all->lost = lost;
    *out = all;
    return 0;
}

int mob_run_suite(const mob_suite *s, const mob_options *o_in, mob_result **out)
{
    *out = NULL;
    int rc = check_options(s, o_in);
    if (rc < 0)
        return rc;
    mob_options o = *o_in;
    if (o.nstages > 0 && o_in->duration_ns == 0) {
        for (int i = 0; i < o.nstages; i++)
            o.duration_ns += o.stages[i].duration_ns;
    }
    if (o.seed == 0) /* reported in the result, so the run can be replayed with --seed */
        o.seed = (uint64_t)mob_clock_ns() ^ ((uint64_t)getpid() << 32);
    struct mob__proc p;
    memset(&p, 0, sizeof p);
    p.suite = s;
    p.opt = &o;
    p.ud = s->ud;
    p.processes = o.processes;
    p.parent_fd = -1;
    snprintf(p.runid, sizeof p.runid, "%llx",
             (unsigned long long)(mob_clock_ns() ^ ((uint64_t)getpid() << 40)));
    if (s->global_setup) {
        rc = s->global_setup(&o, &p.ud);
        if (rc != 0) {
            /* molotov's rule: no load at all, and the reason said. */
            if (!o.quiet)
                fprintf(stderr, "mob: global setup of %s failed: %s\n", s->name ? s->name : "the suite",
                        rc < 0 ? mob_strerror(rc) : "it returned nonzero");
            return rc == -EINVAL ? -EINVAL : -ECANCELED;
        }
    }
    mob__signals_install();
    if (o.start_at_ns > 0) {
        /* Wait for the agreed wall-clock time in short naps, so a signal still stops us. */
        for (;;) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            int64_t left = o.start_at_ns - ((int64_t)now.tv_sec * MOB_NS_PER_SEC + now.tv_nsec);
            if (left <= 0 || mob__stop_signal)
                break;
            sleep_ns(left < 50 * MOB_NS_PER_MS ? left : 50 * MOB_NS_PER_MS);
        }
    }
    mob_result *r = NULL;
    if (o.processes == 1)
        rc = mob__run_process(&p, &r);
    else
        rc = run_children(&p, &r);
    if (!o.quiet)
        mob__live_end(&o);
    if (rc == 0 && mob__stop_signal)
        r->t.interrupted = mob__stop_signal;
    mob__signals_restore();
    if (s->global_teardown && s->global_teardown(&o, p.ud) != 0 && r)
        r->t.global_teardown_failed++;
    if (r) {
        mob__thresholds_apply(r, &o); /* on the merged numbers, after the last second */
        r->t.seed = o.seed;
        r->bots = o.bots;
        r->duration_ns = o.duration_ns;
        r->rate = o.rate;
    }
    *out = r;
    return rc;
}
