/* SPDX-License-Identifier: MIT */
/*
 * bench_spawn.c: `mob-bench spawn --bots N`, what a bot costs to create and to keep.
 *
 * Spawns N bots that each run once and park on a long sleep, and reports:
 *   - ns per bot for spawn + first run (until every bot is parked), cold: every stack is new
 *     memory, so this includes its first page fault and its guard install;
 *   - the same again after those bots have returned, warm: stacks come back from the pool's
 *     free list (no fault, no syscall);
 *   - resident bytes per idle bot (RSS growth while all N are parked, divided by N);
 *   - how stacks are guarded (madvise, mprotect, canary or none) and the stack size;
 *   - the floor under the cold figure: the stack pool alone (platform/stack.c, no loop)
 *     handing out min(N, 100000) fresh stacks and touching each one's top page, i.e. the
 *     guard install, the top page's prefault (where the kernel takes it) and its first touch,
 *     which every new bot pays;
 *   - under that, the machine's own floor, measured first, before mob touches any memory: a
 *     plain anonymous mmap with one byte written every 68 KiB (min(N, 100000) pages), i.e. the
 *     kernel's (and a VM's hypervisor's) price for one fresh resident page, without mob.
 *
 * Options: --bots N (default 100000), --stack BYTES (default 64 KiB), --guard auto|canary|none,
 * --json.
 *
 * Beside each spawn figure: the part of it this thread spent on a CPU (its CPU clock), and,
 * where Linux tells (/proc/self/schedstat), the part it spent runnable but waiting for one.
 * On a machine shared with other work the wall figure is mostly the wait; the on-CPU one
 * (which still includes the page faults and a hypervisor's exits) is what mob costs.
 * tools/compare-spawn.sh runs it beside Boost.Context's and ucontext's fiber creation.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench.h"
#include "mob.h"
#define MOB_TEST_HOOKS /* raw stacks and switches, below the loop */
#include "mob_test_hooks.h"

struct spawn_run {
    int started;
    double oncpu_ns, wait_ns; /* per bot; -1 when unknown */
};

/* This thread's time on a CPU and waiting for one, in ns since it started; 0 on failure. The
 * time on a CPU comes from the thread's CPU clock: schedstat's own first field is brought up
 * to date only at a tick or a switch, too coarse for a round of a few milliseconds. */
static int sched_times(unsigned long long *run, unsigned long long *wait)
{
    FILE *f = fopen("/proc/self/schedstat", "r");
    if (!f)
        return 0;
    int ok = fscanf(f, "%*u %llu", wait) == 1;
    fclose(f);
    struct timespec ts;
    ok = ok && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0;
    *run = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
    return ok;
}

static intptr_t sleeper(mob_bot *self, void *arg)
{
    struct spawn_run *r = arg;
    r->started++;
    /* Parked on a timer an hour away: idle, as a bot waiting for its server would be. */
    mob_sleep(self, 3600 * MOB_NS_PER_SEC);
    return 0;
}

/* Spawns n sleepers and steps the loop until all are parked. Returns ns per bot, or -1. */
static double spawn_round(mob_loop *loop, int n, struct spawn_run *r)
{
    r->started = 0;
    unsigned long long run0, wait0, run1, wait1;
    int have = sched_times(&run0, &wait0);
    int64_t t0 = mob_clock_ns();
    for (int i = 0; i < n; i++)
        if (!mob_spawn(loop, sleeper, r)) {
            fprintf(stderr, "mob-bench spawn: spawn %d of %d failed\n", i, n);
            return -1;
        }
    while (r->started < n)
        if (mob_loop_step(loop, 0) < 0)
            return -1;
    double ns = (double)(mob_clock_ns() - t0) / n;
    have = have && sched_times(&run1, &wait1);
    r->oncpu_ns = have ? (double)(run1 - run0) / n : -1;
    r->wait_ns = have ? (double)(wait1 - wait0) / n : -1;
    return ns;
}

/* ns per stack for a fresh pool: get + touch the top page (what a first run touches). */
static double pool_floor(int n, size_t size, int guard)
{
    struct mob__stack_pool *pool = mob__stack_pool_new(size, mob__guard_want(guard));
    struct mob__stack *st = calloc((size_t)n, sizeof *st);
    double ns = -1;
    if (pool && st) {
        int64_t t0 = mob_clock_ns();
        int i = 0;
        for (; i < n && mob__stack_get(pool, &st[i], i) == 0; i++)
            ((volatile char *)st[i].lo)[st[i].size - 64] = 1;
        if (i == n)
            ns = (double)(mob_clock_ns() - t0) / n;
        while (i-- > 0)
            mob__stack_put(pool, &st[i]);
    }
    free(st);
    mob__stack_pool_free(pool);
    return ns;
}

/* ns per page for first-touching n pages of a plain mapping, one per stack-sized stride. */
static double fault_floor(int n, size_t stride)
{
    char *m = mmap(NULL, (size_t)n * stride, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    int64_t t0 = mob_clock_ns();
    for (int i = 0; i < n; i++)
        ((volatile char *)m)[(size_t)i * stride + stride - 64] = 1;
    double ns = (double)(mob_clock_ns() - t0) / n;
    munmap(m, (size_t)n * stride);
    return ns;
}

/* Cancels every sleeper and runs them to their end, so their stacks go back to the pool. */
static int drain(mob_loop *loop, int first, int n)
{
    for (int i = first; i < first + n; i++)
        mob_cancel(mob_bot_get(loop, i));
    int rc = mob_loop_run(loop);
    return rc < 0 ? rc : 0;
}

int bench_spawn(int argc, char **argv)
{
    long bots = 100000;
    size_t stack = MOB_DEFAULT_STACK_SIZE;
    int guard = MOB_GUARD_AUTO, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = bench_flag(argc, argv, &i, "--bots")))
            bots = atol(v);
        else if ((v = bench_flag(argc, argv, &i, "--stack")))
            stack = (size_t)atol(v);
        else if ((v = bench_flag(argc, argv, &i, "--guard")) &&
                 (!strcmp(v, "auto") || !strcmp(v, "canary") || !strcmp(v, "none")))
            guard = !strcmp(v, "auto") ? MOB_GUARD_AUTO
                    : !strcmp(v, "canary") ? MOB_GUARD_CANARY : MOB_GUARD_NONE;
        else {
            fprintf(stderr, "usage: mob-bench spawn [--json] [--bots N] [--stack BYTES] "
                            "[--guard auto|canary|none]\n");
            return 2;
        }
    }
    if (bots < 1 || bots > 100000000 || stack < 4096) {
        fprintf(stderr, "mob-bench spawn: --bots 1..1e8, --stack >= 4096\n");
        return 2;
    }
    int n = (int)bots;
    mob_loop_options o = {0};
    o.mode = MOB_FREE;
    o.stack_size = stack;
    o.guard = guard;
    mob_loop *loop = mob_loop_new(&o);
    if (!loop) {
        fprintf(stderr, "mob-bench spawn: mob_loop_new: %s\n", strerror(errno));
        return 1;
    }
    double fault_ns = fault_floor(n < 100000 ? n : 100000, stack + 4096);
    struct spawn_run r;
    size_t rss0 = bench_rss_bytes();
    double cold = spawn_round(loop, n, &r);
    double cold_cpu = r.oncpu_ns, cold_wait = r.wait_ns;
    size_t rss1 = bench_rss_bytes();
    mob_loop_stats st;
    mob_loop_get_stats(loop, &st);
    double warm = -1;
    if (cold >= 0 && drain(loop, 0, n) == 0)
        warm = spawn_round(loop, n, &r);
    if (warm >= 0 && drain(loop, n, n) != 0)
        warm = -1;
    int leaks = mob_loop_free(loop);
    if (cold < 0 || warm < 0 || leaks) {
        fprintf(stderr, "mob-bench spawn: failed\n");
        return 1;
    }
    double rss_per_bot = rss1 > rss0 ? (double)(rss1 - rss0) / n : 0;
    double floor_ns = pool_floor(n < 100000 ? n : 100000, st.stack_size, guard);
    if (json) {
        printf("{\"bench\":\"spawn\",\"bots\":%d,\"stack_size\":%zu,\"guard\":\"%s\","
               "\"ns_per_bot_cold\":%.1f,\"ns_per_bot_warm\":%.1f,\"rss_per_idle_bot\":%.0f,"
               "\"ns_per_stack_pool_cold\":%.1f,\"ns_per_page_fault\":%.1f,\"switch\":\"%s\","
               "\"oncpu_ns_per_bot_cold\":%.1f,\"cpu_wait_ns_per_bot_cold\":%.1f,"
               "\"oncpu_ns_per_bot_warm\":%.1f,\"cpu_wait_ns_per_bot_warm\":%.1f}\n",
               n, st.stack_size, st.guard_name, cold, warm, rss_per_bot, floor_ns, fault_ns,
               mob_switch_name(), cold_cpu, cold_wait, r.oncpu_ns, r.wait_ns);
    } else {
        printf("bots                      %d\n", n);
        printf("stack                     %zu bytes, guard: %s\n", st.stack_size, st.guard_name);
        printf("spawn + first run, cold   %.1f ns/bot  (new stacks: first-touch fault + guard)\n",
               cold);
        if (cold_cpu >= 0)
            printf("  of which on a CPU       %.1f ns/bot  (waiting for one: %.1f)\n", cold_cpu,
                   cold_wait);
        printf("spawn + first run, warm   %.1f ns/bot  (stacks reused from the pool)\n", warm);
        if (r.oncpu_ns >= 0)
            printf("  of which on a CPU       %.1f ns/bot  (waiting for one: %.1f)\n",
                   r.oncpu_ns, r.wait_ns);
        printf("RSS per idle bot          %.0f bytes\n", rss_per_bot);
        printf("stack pool alone, cold    %.1f ns/stack (guard + top page in: the floor)\n",
               floor_ns);
        printf("first-touch fault, no mob %.1f ns/page  (plain mmap, measured first: the machine)\n",
               fault_ns);
    }
    return leaks != 0;
}
