/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c: the stack pools of platform/stack.c, without the loop. A stack overflow
 * must end the process with one line naming the bot and its stack size (checked in a forked
 * child whose stderr comes back through a pipe), other faults keep their default behaviour,
 * freed stacks come back as they were left, guards do not cost a mapping each, and canary
 * stacks notice a smashed low end. Also the one other memory service of platform/, the
 * prefault that bot chunks use (platform/mem.c).
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, madvise, mincore, syscall */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mob.h"
#include "../platform/platform.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Runs fn in a child with stderr on a pipe. Returns the wait status; the text goes to buf. */
static int run_child(void (*fn)(void), char *buf, size_t cap)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (len + 1 < cap && (r = read(fds[0], buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static __attribute__((unused)) int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int maps_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* ---- overflow -------------------------------------------------------------------------- */

static struct mob__ctx host, deep_ctx;

/* Recursion with frames well under a page, so it walks into the guard page rather than over
 * it. The result is used after the call, so it cannot become a loop. */
static __attribute__((noinline)) int recurse(volatile int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    frame[255] = (char)depth;
    if (depth < 0) /* never: keeps the compiler from calling this infinite */
        return 0;
    return recurse(depth + 1) + frame[0] + frame[255];
}

static void overflowing_fiber(void *arg)
{
    (void)arg;
    recurse(0);
    mob__switch_annotated(&deep_ctx, &host, NULL, 0);
}

static void overflow_bot_17(void)
{
    mob__stack_install_overflow_handler();
    struct mob__stack_pool *pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    struct mob__stack st;
    if (!pool || mob__stack_get(pool, &st, 17) != 0)
        _exit(3);
    if (st.guard != MOB__GUARD_MADVISE && st.guard != MOB__GUARD_MPROTECT)
        _exit(4);
    mob__ctx_make(&deep_ctx, st.lo, st.size, overflowing_fiber, NULL);
    mob__switch_annotated(&host, &deep_ctx, &st, 0);
    _exit(5); /* not reached: the overflow kills the process */
}

Test(stack, overflow_prints_one_line_naming_bot_and_stack_size, .timeout = 10)
{
    char buf[4096];
    int status = run_child(overflow_bot_17, buf, sizeof buf);
    cr_assert(WIFSIGNALED(status), "child exited with %d instead of dying: %s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
    cr_assert_eq(WTERMSIG(status), SIGSEGV);
    const char *want = "mob: bot 17 overflowed its 65536-byte stack (fault at 0x";
    const char *line = strstr(buf, want);
    cr_assert_not_null(line, "got: %s", buf);
    cr_assert_not_null(strstr(line, ")\n"), "got: %s", buf);
#if !defined(MOB__ASAN) /* ASan may add a warning line of its own */
    cr_assert_eq(count_lines(buf), 1, "expected one line, got: %s", buf);
#endif
}

static void null_deref(void)
{
    mob__stack_install_overflow_handler();
    struct mob__stack_pool *pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    struct mob__stack st;
    if (!pool || mob__stack_get(pool, &st, 3) != 0)
        _exit(3);
    volatile int *volatile p = NULL;
    *p = 1;
    _exit(5);
}

Test(stack, other_faults_keep_the_default_behaviour, .timeout = 10)
{
    char buf[4096];
    int status = run_child(null_deref, buf, sizeof buf);
#if defined(MOB__ASAN)
    /* ASan's own SEGV handler was there first: ours hands the fault to it, and it reports
     * and exits non-zero. */
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
#else
    cr_assert(WIFSIGNALED(status));
    cr_assert_eq(WTERMSIG(status), SIGSEGV);
#endif
    cr_assert_null(strstr(buf, "overflowed"), "a stray fault was blamed on a bot: %s", buf);
}

/* ---- reuse ----------------------------------------------------------------------------- */

Test(stack, freed_stacks_are_reused_without_zeroing)
{
    struct mob__stack_pool *pool = mob__stack_pool_new(32 * 1024, MOB__WANT_AUTO);
    cr_assert_not_null(pool);
    cr_assert_geq(mob__stack_pool_size(pool), 32 * 1024);
    struct mob__stack a, b;
    cr_assert_eq(mob__stack_get(pool, &a, 1), 0);
    cr_assert_geq(a.size, 32 * 1024);
    void *lo = a.lo;
    char *mid = (char *)a.lo + a.size / 2;
    memset(mid, 0x5a, 256);
    mob__stack_put(pool, &a);
    cr_assert_eq(mob__stack_get(pool, &b, 2), 0);
    cr_assert_eq(b.lo, lo, "the freed stack was not the one handed out next");
    for (int i = 0; i < 256; i++)
        cr_assert_eq((unsigned char)mid[i], 0x5a, "byte %d was cleared", i);
    mob__stack_put(pool, &b);
    mob__stack_pool_free(pool);
}

/* ---- prefaulting ----------------------------------------------------------------------- */

#if defined(__linux__)
/* Pages [0, n) of m that are resident, from mincore. */
static int resident_pages(void *m, int n)
{
    unsigned char vec[64];
    cr_assert_leq(n, 64);
    cr_assert_eq(mincore(m, (size_t)n * 4096, vec), 0);
    int r = 0;
    for (int i = 0; i < n; i++)
        r += vec[i] & 1;
    return r;
}
#endif

Test(stack, prefault_maps_whole_pages_in_and_changes_no_byte)
{
    const int n = 64;
    long page = sysconf(_SC_PAGESIZE);
    cr_assert_eq(page, 4096, "the test assumes 4 KiB pages");
    char *m = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    cr_assert_neq(m, MAP_FAILED);
    m[0] = 'a';
    m[5 * 4096 + 17] = 'b';
    /* A block that starts and ends inside pages: only the whole pages in it are for us. */
    mob__mem_prefault(m + 100, (size_t)(n - 1) * 4096);
    cr_assert_eq(m[0], 'a');
    cr_assert_eq(m[5 * 4096 + 17], 'b');
#if defined(__linux__)
    int r = resident_pages(m, n);
    if (madvise(m, 4096, 23 /* MADV_POPULATE_WRITE */) == 0) {
        /* Pages 0 and 5 were written; 1..62 are the whole pages inside the block. */
        cr_assert_eq(r, 63, "%d pages resident, expected 63 (page 63 is outside)", r);
    } else {
        cr_assert_eq(r, 2, "a kernel without MADV_POPULATE_WRITE faulted in %d pages", r);
    }
#endif
    for (int i = 1; i < n; i++)
        cr_assert_eq(m[i * 4096 + 1], 0, "page %d was written", i);
    munmap(m, (size_t)n * 4096);
}

Test(stack, strided_prefault_maps_in_exactly_the_pages_asked_for)
{
    /* 16 strides of 3 pages; ask for the last page of each, as the pool does for stack tops. */
    char *m = mmap(NULL, 48 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(m, MAP_FAILED);
    mob__mem_prefault_strided(m + 2 * 4096, 3 * 4096, 16);
#if defined(__linux__)
    int r = resident_pages(m, 48);
    if (r == 0) {
        /* Allowed only where the kernel refuses a vector of populate requests. */
        struct iovec iov = {m, 4096};
        cr_assert_lt(syscall(SYS_process_madvise, -10000, &iov, (size_t)1, 23, 0u), 0,
                     "the kernel takes it, yet nothing was prefaulted");
    } else {
        unsigned char vec[48];
        cr_assert_eq(mincore(m, 48 * 4096, vec), 0);
        for (int i = 0; i < 48; i++)
            cr_assert_eq(vec[i] & 1, i % 3 == 2, "page %d resident: %d", i, vec[i] & 1);
    }
#endif
    for (int i = 0; i < 48; i++)
        cr_assert_eq(m[i * 4096], 0);
    munmap(m, 48 * 4096);
}

/* ---- many guarded stacks --------------------------------------------------------------- */

Test(stack, hundred_thousand_guarded_stacks_fit_in_few_mappings, .timeout = 60)
{
    enum { N = 100000 };
    int before = maps_lines();
    struct mob__stack_pool *pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    cr_assert_not_null(pool);
    static struct mob__stack st[N];
    int kinds[4] = {0};
    for (int i = 0; i < N; i++) {
        cr_assert_eq(mob__stack_get(pool, &st[i], i), 0, "stack %d", i);
        kinds[st[i].guard]++;
    }
    int after = maps_lines();
    cr_assert_eq(kinds[MOB__GUARD_NONE], 0);
    if (kinds[MOB__GUARD_MADVISE] == N) {
        /* One mapping per slab, and slabs are up to 1 GiB: about 10 for 6.5 GB of stacks. */
        cr_assert_lt(after - before, 64, "maps grew from %d to %d lines", before, after);
    } else {
        /* Older kernel: mprotect guards up to the budget, canaries beyond, and still far
         * from vm.max_map_count. */
        cr_assert_gt(kinds[MOB__GUARD_CANARY], 0);
        cr_assert_lt(after, 65530 / 2, "maps grew to %d lines", after);
    }
    for (int i = 0; i < N; i++)
        mob__stack_put(pool, &st[i]);
    mob__stack_pool_free(pool);
#if !defined(MOB__ASAN) /* ASan's allocator maps memory of its own meanwhile */
    cr_assert_lt(maps_lines(), before + 4, "slabs were not unmapped");
#endif
}

/* ---- canary ---------------------------------------------------------------------------- */

Test(stack, canary_notices_a_smashed_low_end)
{
    struct mob__stack_pool *pool = mob__stack_pool_new(16 * 1024, MOB__WANT_CANARY);
    struct mob__stack st;
    cr_assert_eq(mob__stack_get(pool, &st, 4), 0);
    cr_assert_eq(st.guard, MOB__GUARD_CANARY);
    cr_assert_str_eq(mob__guard_name(st.guard), "canary");
    cr_assert(mob__stack_canary_ok(&st));
    memset(st.lo, 0, 8);
    cr_assert_not(mob__stack_canary_ok(&st));
    mob__stack_put(pool, &st);
    /* The next owner gets a fresh canary. */
    cr_assert_eq(mob__stack_get(pool, &st, 5), 0);
    cr_assert(mob__stack_canary_ok(&st));
    mob__stack_put(pool, &st);
    mob__stack_pool_free(pool);
}

Test(stack, unguarded_pool_hands_out_unguarded_stacks)
{
    struct mob__stack_pool *pool = mob__stack_pool_new(16 * 1024, MOB__WANT_NONE);
    struct mob__stack st;
    cr_assert_eq(mob__stack_get(pool, &st, 0), 0);
    cr_assert_eq(st.guard, MOB__GUARD_NONE);
    cr_assert(mob__stack_canary_ok(&st));
    mob__stack_put(pool, &st);
    mob__stack_pool_free(pool);
}

/* ---- through the loop ------------------------------------------------------------------ */

static intptr_t idle_bot(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self);
    return 0;
}

static intptr_t recursing_bot(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return recurse(0);
}

static void loop_with_overflowing_bot_2(void)
{
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop)
        _exit(3);
    mob_spawn(loop, idle_bot, NULL);
    mob_spawn(loop, idle_bot, NULL);
    mob_spawn(loop, recursing_bot, NULL);
    mob_loop_run(loop);
    _exit(5);
}

Test(stack, loop_bot_overflow_names_the_bot, .timeout = 10)
{
    char buf[4096];
    int status = run_child(loop_with_overflowing_bot_2, buf, sizeof buf);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status 0x%x: %s", status,
              buf);
    const char *want = "mob: bot 2 overflowed its 65536-byte stack (fault at 0x";
    cr_assert_not_null(strstr(buf, want), "got: %s", buf);
}

#if !defined(MOB__ASAN) /* ASan moves locals to its fake stack and watches overflows itself */
/* Walks down its own stack until it is `past` bytes beyond `size` below where it started: on
 * a canary stack that is just below the low end, in the slack page under it, so the canary is
 * gone but nothing else is hit. */
static __attribute__((noinline)) int walk_down(volatile char *start, size_t size, size_t past)
{
    volatile char frame[128];
    for (int i = 0; i < 128; i++) /* every byte: the canary is only 8 of them */
        frame[i] = 1;
    if ((size_t)(start - frame) > size + past)
        return frame[0];
    return walk_down(start, size, past) + frame[0];
}

static intptr_t canary_smasher(mob_bot *self, void *arg)
{
    (void)arg;
    volatile char start = 0;
    walk_down(&start, 16 * 1024, 256);
    mob_yield(self); /* the switch away checks the canary */
    return 0;
}

Test(stack, canary_bot_that_smashes_its_canary_aborts_on_switch, .signal = SIGABRT,
     .timeout = 10)
{
    mob_loop_options o = {0};
    o.stack_size = 16 * 1024;
    o.guard = MOB_GUARD_CANARY;
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    /* The first stack of a fresh pool is slot 0 of its first slab: the page under its low
     * end belongs to that slot, so walking into it harms nobody. */
    mob_spawn(loop, canary_smasher, NULL);
    mob_spawn(loop, idle_bot, NULL);
    mob_loop_run(loop);
}
#endif
