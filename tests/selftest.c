/* SPDX-License-Identifier: MIT */
/*
 * selftest.c: a dependency-free self-test of the runtime's foundations, for the legs where
 * Criterion cannot run (its runner spins forever under qemu-user, so the aarch64 leg uses
 * this; see tools/ci-aarch64.sh). It checks the raw switch (registers, alignment, the FP
 * environment left to the thread, direct fiber-to-fiber switches), the stack pool (guards,
 * the overflow message, reuse, canaries), spawn/yield/join through the public API, and a bot
 * with its own FP environment.
 * Prints one line per check and exits non-zero if any failed. The Criterion suites
 * (test_switch.c, test_stack.c) say the same things in more detail.
 */
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mob.h"
#include "../platform/platform.h"

#if defined(MOB_VALGRIND)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND RUNNING_ON_VALGRIND /* valgrind does not model MXCSR's status flags */
#else
#define UNDER_VALGRIND 0
#endif

static int failures, checks;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        checks++;                                                                              \
        if (!(cond)) {                                                                         \
            failures++;                                                                        \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                             \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
        }                                                                                      \
    } while (0)

static struct mob__stack_pool *pool;
static struct mob__ctx host;
#include "switch_rig.h"

static void fiber_start(struct fiber *f, mob__entry_fn fn, void *arg)
{
    if (mob__stack_get(pool, &f->stack, 1) != 0) {
        printf("FAIL: no stack\n");
        exit(1);
    }
    mob__ctx_make(&f->ctx, f->stack.lo, f->stack.size, fn, arg);
}

static void to_fiber(struct fiber *f) { sw(&host, &f->ctx, &f->stack); }
static void to_host(struct fiber *f) { sw(&f->ctx, &host, NULL); }

/* ---- switch ---------------------------------------------------------------------------- */

static struct fiber f1, f2;
static int order[8], norder;

static void direct_a(void *arg)
{
    (void)arg;
    order[norder++] = 1;
    sw(&f1.ctx, &f2.ctx, &f2.stack);
    order[norder++] = 3;
    for (;;)
        to_host(&f1);
}

static void direct_b(void *arg)
{
    (void)arg;
    order[norder++] = 2;
    sw(&f2.ctx, &f1.ctx, &f1.stack);
    for (;;)
        to_host(&f2);
}

static volatile uint64_t seed0 = 11;

static int live_values(struct mob__ctx *self, struct mob__ctx *other,
                       const struct mob__stack *other_stack, uint64_t seed)
{
    uint64_t a = seed * 3, b = seed * 5, c = seed * 7, d = seed * 11, e = seed * 13;
    uint64_t f = seed * 17, g = seed * 19, h = seed * 23, i = seed * 29, j = seed * 31;
    uint64_t k = seed * 37, l = seed * 41, m = seed * 43;
    double x = (double)seed * 1.5, y = (double)seed * 2.25, z = (double)seed * 3.125;
    double u = (double)seed * 4.0625, v = (double)seed * 5.5, w = (double)seed * 6.75;
    double p = (double)seed * 7.125, q = (double)seed * 8.5;
    sw(self, other, other_stack);
    __asm__ volatile("" ::: "memory");
    return a + b + c + d + e + f + g + h + i + j + k + l + m ==
               seed * (3 + 5 + 7 + 11 + 13 + 17 + 19 + 23 + 29 + 31 + 37 + 41 + 43) &&
           x + y + z + u + v + w + p + q ==
               (double)seed * (1.5 + 2.25 + 3.125 + 4.0625 + 5.5 + 6.75 + 7.125 + 8.5);
}

static int fiber_live_ok;
static uintptr_t fiber_align;
static int fiber_round0, fiber_round1, fiber_saw_flag;
static volatile double three = 3.0;

static __attribute__((noinline)) void note_align(void)
{
    _Alignas(16) volatile double v[2] = {1, 2};
    fiber_align = (uintptr_t)&v[0] % 16;
}

static void worker(void *arg)
{
    (void)arg;
    note_align();
    for (int k = 0; k < 3; k++)
        fiber_live_ok += live_values(&f1.ctx, &host, NULL, seed0 * 100 + (uint64_t)k);
    fiber_round0 = fegetround();
    fesetround(FE_DOWNWARD);
    to_host(&f1);
    fiber_round1 = fegetround();
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = 1.0 / three;
    (void)r;
    to_host(&f1);
    fiber_saw_flag = fetestexcept(FE_INEXACT) != 0;
    for (;;)
        to_host(&f1);
}

static void check_switch(void)
{
    fiber_start(&f1, direct_a, NULL);
    fiber_start(&f2, direct_b, NULL);
    to_fiber(&f1);
    CHECK(norder == 3 && order[0] == 1 && order[1] == 2 && order[2] == 3,
          "direct fiber-to-fiber order %d %d %d", order[0], order[1], order[2]);
    mob__stack_put(pool, &f1.stack);
    mob__stack_put(pool, &f2.stack);

    fiber_start(&f1, worker, NULL);
    int host_ok = 0;
    for (int k = 0; k < 3; k++)
        host_ok += live_values(&host, &f1.ctx, &f1.stack, seed0 + (uint64_t)k);
    CHECK(host_ok == 3, "host values survived %d of 3 switches", host_ok);
    CHECK(fiber_align == 0, "aligned local at offset %lu", (unsigned long)fiber_align);

    /* The asm switches leave the FP environment to the thread; swapcontext keeps it per
     * context (platform.h). */
    int per_context = !strcmp(mob__switch_name(), "ucontext");
    fesetround(FE_UPWARD);
    to_fiber(&f1); /* the fiber reads its rounding, sets FE_DOWNWARD, comes back */
    CHECK(fiber_live_ok == 3, "fiber values survived %d of 3 switches", fiber_live_ok);
    CHECK(fiber_round0 == (per_context ? FE_TONEAREST : FE_UPWARD),
          "new fiber starts with rounding %d", fiber_round0);
    CHECK(fegetround() == (per_context ? FE_UPWARD : FE_DOWNWARD), "host rounding became %d",
          fegetround());
    fesetround(FE_UPWARD);
    feclearexcept(FE_ALL_EXCEPT);
    to_fiber(&f1); /* reads its rounding, sets the inexact flag, comes back */
    CHECK(fiber_round1 == (per_context ? FE_DOWNWARD : FE_UPWARD), "fiber rounding became %d",
          fiber_round1);
    CHECK(UNDER_VALGRIND || (fetestexcept(FE_INEXACT) == 0) == per_context,
          "the fiber's inexact flag %s the host", per_context ? "leaked into" : "did not reach");
    feclearexcept(FE_ALL_EXCEPT);
    to_fiber(&f1);
    CHECK(UNDER_VALGRIND || fiber_saw_flag == per_context, "the fiber's own inexact flag: %d",
          fiber_saw_flag);
    fesetround(FE_TONEAREST);
    mob__stack_put(pool, &f1.stack);
}

/* ---- stacks ---------------------------------------------------------------------------- */

static struct mob__ctx deep_ctx;

static __attribute__((noinline)) int recurse(volatile int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    if (depth < 0)
        return 0;
    return recurse(depth + 1) + frame[0];
}

static void overflow_entry(void *arg)
{
    (void)arg;
    recurse(0);
    sw(&deep_ctx, &host, NULL);
}

static void check_overflow(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        mob__stack_install_overflow_handler();
        struct mob__stack st;
        if (mob__stack_get(pool, &st, 42) != 0)
            _exit(3);
        if (st.guard == MOB__GUARD_CANARY || st.guard == MOB__GUARD_NONE)
            _exit(4);
        mob__ctx_make(&deep_ctx, st.lo, st.size, overflow_entry, NULL);
        sw(&host, &deep_ctx, &st);
        _exit(5);
    }
    close(fds[1]);
    char buf[1024];
    size_t len = 0;
    ssize_t r;
    while (len + 1 < sizeof buf && (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "overflow child status 0x%x",
          status);
    char want[128];
    snprintf(want, sizeof want, "mob: bot 42 overflowed its %zu-byte stack (fault at 0x",
             mob__stack_pool_size(pool));
    CHECK(strstr(buf, want) != NULL, "overflow message: '%s'", buf);
}

static void check_stacks(void)
{
    struct mob__stack a, b;
    CHECK(mob__stack_get(pool, &a, 1) == 0, "get");
    CHECK(a.guard == MOB__GUARD_MADVISE || a.guard == MOB__GUARD_MPROTECT,
          "guard is %s", mob__guard_name(a.guard));
    printf("     stacks guarded by %s\n", mob__guard_name(a.guard));
    char *mid = (char *)a.lo + a.size / 2;
    memset(mid, 0x5a, 64);
    void *lo = a.lo;
    mob__stack_put(pool, &a);
    CHECK(mob__stack_get(pool, &b, 2) == 0 && b.lo == lo, "freed stack not reused");
    CHECK(mid[0] == 0x5a && mid[63] == 0x5a, "reused stack was cleared");
    mob__stack_put(pool, &b);

    struct mob__stack_pool *cp = mob__stack_pool_new(16 * 1024, MOB__WANT_CANARY);
    struct mob__stack c;
    CHECK(cp && mob__stack_get(cp, &c, 3) == 0, "canary pool");
    CHECK(c.guard == MOB__GUARD_CANARY && mob__stack_canary_ok(&c), "fresh canary");
    memset(c.lo, 0, 8);
    CHECK(!mob__stack_canary_ok(&c), "smashed canary not noticed");
    mob__stack_put(cp, &c);
    mob__stack_pool_free(cp);
    check_overflow();
}

/* ---- the public API -------------------------------------------------------------------- */

#if !defined(MOB_SELFTEST_NO_LOOP)
static char log_buf[64];
static int log_len;

static intptr_t talker(mob_bot *self, void *arg)
{
    const char *name = arg;
    for (int i = 0; i < 3; i++) {
        log_buf[log_len++] = name[0];
        mob_yield(self);
    }
    return mob_bot_id(self) + 1;
}

static intptr_t parent(mob_bot *self, void *arg)
{
    (void)arg;
    mob_bot *kid = mob_spawn(mob_bot_loop(self), talker, "c");
    intptr_t res = -1;
    int rc = mob_join(self, kid, &res, MOB_FOREVER);
    return rc == 0 ? res * 10 : rc;
}

static void check_api(void)
{
    mob_loop *loop = mob_loop_new(NULL);
    CHECK(loop != NULL, "mob_loop_new");
    if (!loop)
        return;
    mob_bot *a = mob_spawn(loop, talker, "a");
    mob_bot *b = mob_spawn(loop, talker, "b");
    CHECK(a && b, "mob_spawn");
    CHECK(mob_loop_run(loop) == 0, "mob_loop_run");
    log_buf[log_len] = '\0';
    CHECK(!strcmp(log_buf, "ababab"), "yield order '%s'", log_buf);
    CHECK(mob_bot_result(a) == 1 && mob_bot_result(b) == 2, "results");
    mob_bot *p = mob_spawn(loop, parent, NULL);
    CHECK(mob_loop_run(loop) == 0, "mob_loop_run with join");
    CHECK(mob_bot_result(p) == 40, "join result %ld", (long)mob_bot_result(p));
    CHECK(mob_loop_free(loop) == 0, "mob_loop_free reported leaks");
}

/* A bot with its own FP environment (MOB_FPENV_OWN) keeps its rounding and flags while a bot
 * that shares the thread's changes them; the thread's is back when the loop returns. */
struct fp_seen {
    int round, inexact, divbyzero;
};

static intptr_t fp_own(mob_bot *self, void *arg)
{
    struct fp_seen *s = arg;
    fesetround(FE_UPWARD);
    volatile double r = 1.0 / three; /* inexact */
    (void)r;
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    s->round = fegetround();
    s->inexact = fetestexcept(FE_INEXACT) != 0;
    s->divbyzero = fetestexcept(FE_DIVBYZERO) != 0;
    return 0;
}

static volatile double zero = 0.0;

static intptr_t fp_shared(mob_bot *self, void *arg)
{
    struct fp_seen *s = arg;
    for (int i = 0; i < 3; i++) {
        fesetround(FE_DOWNWARD);
        feclearexcept(FE_ALL_EXCEPT);
        volatile double r = 1.0 / zero; /* divide-by-zero */
        (void)r;
        mob_yield(self);
    }
    s->round = fegetround();
    s->inexact = fetestexcept(FE_INEXACT) != 0;
    s->divbyzero = fetestexcept(FE_DIVBYZERO) != 0;
    return 0;
}

static void check_fpenv(void)
{
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    mob_loop *loop = mob_loop_new(NULL);
    CHECK(loop != NULL, "mob_loop_new");
    if (!loop)
        return;
    struct fp_seen own = {0}, shared = {0};
    mob_spawn_options o = {.fpenv = MOB_FPENV_OWN};
    CHECK(mob_spawn_ex(loop, fp_own, &own, &o) && mob_spawn(loop, fp_shared, &shared), "spawn");
    CHECK(mob_loop_run(loop) == 0, "mob_loop_run");
    CHECK(mob_loop_free(loop) == 0, "mob_loop_free reported leaks");
    CHECK(own.round == FE_UPWARD, "own rounding became %d", own.round);
    CHECK(UNDER_VALGRIND || (own.inexact && !own.divbyzero), "own flags: inexact %d, divbyzero %d",
          own.inexact, own.divbyzero);
    CHECK(shared.round == FE_DOWNWARD, "shared rounding became %d", shared.round);
    CHECK(UNDER_VALGRIND || (!shared.inexact && shared.divbyzero),
          "shared flags: inexact %d, divbyzero %d", shared.inexact, shared.divbyzero);
    /* The sharing bot's changes are the thread's (not with ucontext: per context there). */
    int per_context = !strcmp(mob__switch_name(), "ucontext");
    CHECK(fegetround() == (per_context ? FE_TONEAREST : FE_DOWNWARD), "host rounding %d",
          fegetround());
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
}
#endif

int main(void)
{
    printf("mob selftest: switch %s\n", mob__switch_name());
    pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    if (!pool) {
        printf("FAIL: no stack pool\n");
        return 1;
    }
    check_switch();
    printf("%-4s switch\n", failures ? "FAIL" : "ok");
    int before = failures;
    check_stacks();
    printf("%-4s stacks\n", failures > before ? "FAIL" : "ok");
#if !defined(MOB_SELFTEST_NO_LOOP)
    before = failures;
    check_api();
    printf("%-4s spawn/yield/join\n", failures > before ? "FAIL" : "ok");
    before = failures;
    check_fpenv();
    printf("%-4s own FP environment\n", failures > before ? "FAIL" : "ok");
#endif
    mob__stack_pool_free(pool);
    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
