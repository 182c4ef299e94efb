/* SPDX-License-Identifier: MIT */
/*
 * test_switch.c: the raw context switch, without the loop: mob__ctx_make and mob__switch
 * between the test's own stack and fibers on pool stacks. What the ABI says must survive a
 * call must survive a switch (callee-saved registers), the FP environment is the thread's
 * unless swapped with mob__fpenv_swap, stacks start aligned, and a fiber function that
 * returns aborts. Every switch goes through mob__switch_annotated, which is mob__switch itself
 * unless the build has AddressSanitizer (then it also tells ASan about the stacks). The
 * tests are plain C: register pressure comes from many live values across the
 * switch, so the compiler itself puts them in callee-saved registers.
 */
#include <criterion/criterion.h>
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "mob.h"
#include "../platform/platform.h"
#include "switch_rig.h"

static struct mob__stack_pool *pool;
static struct mob__ctx host;

static void fiber_start(struct fiber *f, mob__entry_fn fn, void *arg)
{
    if (!pool)
        pool = mob__stack_pool_new(64 * 1024, MOB__WANT_AUTO);
    cr_assert_not_null(pool);
    cr_assert_eq(mob__stack_get(pool, &f->stack, 1), 0);
    mob__ctx_make(&f->ctx, f->stack.lo, f->stack.size, fn, arg);
}

/* ---- control flow ---------------------------------------------------------------------- */

static struct fiber pp;
static int pp_count;

static void ping(void *arg)
{
    int rounds = *(int *)arg;
    for (int i = 0; i < rounds; i++) {
        pp_count++;
        sw(&pp.ctx, &host, NULL);
    }
    for (;;)
        sw(&pp.ctx, &host, NULL);
}

Test(switch, ping_pong_passes_control_back_and_forth)
{
    int rounds = 1000;
    fiber_start(&pp, ping, &rounds);
    for (int i = 0; i < rounds; i++) {
        cr_assert_eq(pp_count, i);
        sw(&host, &pp.ctx, &pp.stack);
    }
    cr_assert_eq(pp_count, rounds);
}

/* Two fibers hand control to each other directly, never through the host, as the scheduler
 * does when it knows the next bot. */
static struct fiber fa, fb;
static int trace[8], ntrace;

static void fiber_a(void *arg)
{
    (void)arg;
    trace[ntrace++] = 1;
    sw(&fa.ctx, &fb.ctx, &fb.stack);
    trace[ntrace++] = 3;
    sw(&fa.ctx, &fb.ctx, &fb.stack);
    for (;;)
        sw(&fa.ctx, &host, NULL);
}

static void fiber_b(void *arg)
{
    (void)arg;
    trace[ntrace++] = 2;
    sw(&fb.ctx, &fa.ctx, &fa.stack);
    trace[ntrace++] = 4;
    sw(&fb.ctx, &host, NULL);
    for (;;)
        sw(&fb.ctx, &host, NULL);
}

Test(switch, fibers_switch_to_each_other_directly)
{
    fiber_start(&fa, fiber_a, NULL);
    fiber_start(&fb, fiber_b, NULL);
    sw(&host, &fa.ctx, &fa.stack);
    cr_assert_eq(ntrace, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(trace[i], i + 1);
}

/* ---- callee-saved registers ------------------------------------------------------------ */

static struct fiber rf;
static volatile uint64_t rf_seed = 7;

/* Keeps many integer and floating-point values live across a switch: more than fit in the
 * caller-saved registers, so the compiler has to keep them in callee-saved ones (rbx, rbp,
 * r12-r15; x19-x28 and d8-d15 on aarch64) or spill them to the stack. */
static int live_values_survive(struct mob__ctx *self, struct mob__ctx *other,
                               const struct mob__stack *other_stack, uint64_t seed)
{
    uint64_t a = seed * 3, b = seed * 5, c = seed * 7, d = seed * 11, e = seed * 13;
    uint64_t f = seed * 17, g = seed * 19, h = seed * 23, i = seed * 29, j = seed * 31;
    double x = (double)seed * 1.5, y = (double)seed * 2.25, z = (double)seed * 3.125;
    double u = (double)seed * 4.0625, v = (double)seed * 5.5, w = (double)seed * 6.75;
    double p = (double)seed * 7.125, q = (double)seed * 8.5;
    sw(self, other, other_stack);
    __asm__ volatile("" ::: "memory");
    uint64_t isum = a + b + c + d + e + f + g + h + i + j;
    double fsum = x + y + z + u + v + w + p + q;
    return isum == seed * (3 + 5 + 7 + 11 + 13 + 17 + 19 + 23 + 29 + 31) &&
           fsum == (double)seed * (1.5 + 2.25 + 3.125 + 4.0625 + 5.5 + 6.75 + 7.125 + 8.5);
}

static int rf_ok;

static void register_fiber(void *arg)
{
    (void)arg;
    /* Different values in the same registers on this side. */
    for (int k = 0; k < 3; k++)
        rf_ok += live_values_survive(&rf.ctx, &host, NULL, rf_seed * 1000 + (uint64_t)k);
    for (;;)
        sw(&rf.ctx, &host, NULL);
}

Test(switch, callee_saved_registers_survive_switches)
{
    fiber_start(&rf, register_fiber, NULL);
    int ok = 0;
    for (int k = 0; k < 3; k++)
        ok += live_values_survive(&host, &rf.ctx, &rf.stack, rf_seed + (uint64_t)k);
    sw(&host, &rf.ctx, &rf.stack);
    cr_assert_eq(ok, 3, "host lost values across a switch");
    cr_assert_eq(rf_ok, 3, "fiber lost values across a switch");
}

/* ---- stack alignment ------------------------------------------------------------------- */

static struct fiber af;
static uintptr_t align_seen[2];

static __attribute__((noinline)) void note_alignment(int k)
{
    /* The compiler trusts the ABI for 16-byte alignment and does not realign the frame, so a
     * misaligned entry shows up here (and would fault on movaps). */
    _Alignas(16) volatile double v[2] = {1.0, 2.0};
    align_seen[k] = (uintptr_t)&v[0] % 16;
}

static void align_fiber(void *arg)
{
    (void)arg;
    _Alignas(16) volatile char local[16];
    local[0] = 1;
    align_seen[0] = (uintptr_t)&local[0] % 16;
    note_alignment(1);
    for (;;)
        sw(&af.ctx, &host, NULL);
}

Test(switch, fiber_stack_is_16_byte_aligned)
{
    align_seen[0] = align_seen[1] = 99;
    fiber_start(&af, align_fiber, NULL);
    sw(&host, &af.ctx, &af.stack);
    cr_assert_eq(align_seen[0], 0);
    cr_assert_eq(align_seen[1], 0);
}

/* ---- floating point -------------------------------------------------------------------- */

/*
 * The asm switches leave the FP environment to the thread: a fiber runs in whatever rounding
 * and flags the context before it left, and its changes stay for the next (platform.h). The
 * ucontext switch keeps it per context (swapcontext saves it). A context that keeps its own
 * with the asm switches has it swapped by mob__fpenv_swap around its switches, as the core
 * does for a bot spawned with MOB_FPENV_OWN (test_fpenv.c tests that through the API).
 */
static struct fiber ff;
static int fiber_round_at_start, fiber_round_later;
static double fiber_third;
static long double fiber_third_ld;
static volatile double three = 3.0;
static volatile long double three_ld = 3.0L;
static int fiber_saw_inexact;

static void fp_fiber(void *arg)
{
    (void)arg;
    fiber_round_at_start = fegetround();
    fesetround(FE_DOWNWARD);
    sw(&ff.ctx, &host, NULL);
    /* The host set FE_UPWARD meanwhile. */
    fiber_round_later = fegetround();
    fiber_third = 1.0 / three;
    fiber_third_ld = 1.0L / three_ld;
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = 1.0 / three; /* inexact: sets the flag in this context */
    (void)r;
    sw(&ff.ctx, &host, NULL);
    /* The host cleared its flags meanwhile. */
    fiber_saw_inexact = fetestexcept(FE_INEXACT) != 0;
    for (;;)
        sw(&ff.ctx, &host, NULL);
}

#if !defined(MOB_FIBER_UCONTEXT)
Test(switch, fp_environment_is_the_threads)
{
    fiber_start(&ff, fp_fiber, NULL);
    fesetround(FE_UPWARD);
    sw(&host, &ff.ctx, &ff.stack);
    /* The fiber started in the host's FE_UPWARD and left its FE_DOWNWARD to the host. */
    cr_assert_eq(fiber_round_at_start, FE_UPWARD);
    cr_assert_eq(fegetround(), FE_DOWNWARD, "the switch restored the host's rounding");
    fesetround(FE_UPWARD);
    feclearexcept(FE_ALL_EXCEPT);
    sw(&host, &ff.ctx, &ff.stack);
    cr_assert_eq(fiber_round_later, FE_UPWARD, "the switch restored the fiber's rounding");
    cr_assert(fetestexcept(FE_INEXACT), "the fiber's inexact flag did not reach the host");
    feclearexcept(FE_ALL_EXCEPT);
    sw(&host, &ff.ctx, &ff.stack);
    cr_assert_not(fiber_saw_inexact, "the switch restored the fiber's flags");
    fesetround(FE_TONEAREST);
}

/* The same fiber, with its own environment swapped in and out around each switch. */
static struct mob__fpenv thread_env, fiber_env;

static void sw_in(void)
{
    mob__fpenv_swap(&thread_env, &fiber_env);
    sw(&host, &ff.ctx, &ff.stack);
}

Test(switch, fpenv_swap_keeps_a_context_environment)
{
    mob__fpenv_init(&fiber_env);
    fiber_start(&ff, fp_fiber, NULL);
    fesetround(FE_UPWARD);
    feclearexcept(FE_ALL_EXCEPT);
    sw_in();
    mob__fpenv_swap(&fiber_env, &thread_env); /* the fiber is back: its env out, ours in */
    /* A fresh environment: the defaults, whatever its creator had. */
    cr_assert_eq(fiber_round_at_start, FE_TONEAREST);
    cr_assert_eq(fegetround(), FE_UPWARD, "the fiber's FE_DOWNWARD leaked into the host");
    double up = 1.0 / three;
    long double up_ld = 1.0L / three_ld;
    feclearexcept(FE_ALL_EXCEPT);
    sw_in();
    mob__fpenv_swap(&fiber_env, &thread_env);
    cr_assert_eq(fiber_round_later, FE_DOWNWARD, "the host's FE_UPWARD leaked into the fiber");
    cr_assert_eq(fegetround(), FE_UPWARD);
    /* The modes really act on the SSE (double) and x87 (long double) units on each side. */
    cr_assert(fiber_third < up, "double division did not round per context");
    cr_assert(fiber_third_ld < up_ld, "long double division did not round per context");
    cr_assert_not(fetestexcept(FE_INEXACT), "the fiber's inexact flag leaked into the host");
    volatile double r = 1.0 / three; /* the host's own flag, which the fiber must not see go */
    (void)r;
    sw_in();
    mob__fpenv_swap(&fiber_env, &thread_env);
    cr_assert(fiber_saw_inexact, "the fiber lost its own inexact flag across a switch");
    cr_assert(fetestexcept(FE_INEXACT), "the host lost its own inexact flag across a switch");
    feclearexcept(FE_ALL_EXCEPT);
    fesetround(FE_TONEAREST);
}
#else
Test(switch, fp_environment_is_kept_per_context_by_swapcontext)
{
    fiber_start(&ff, fp_fiber, NULL);
    fesetround(FE_UPWARD);
    sw(&host, &ff.ctx, &ff.stack);
    cr_assert_eq(fiber_round_at_start, FE_TONEAREST);
    cr_assert_eq(fegetround(), FE_UPWARD, "the fiber's FE_DOWNWARD leaked into the host");
    feclearexcept(FE_ALL_EXCEPT);
    sw(&host, &ff.ctx, &ff.stack);
    cr_assert_eq(fiber_round_later, FE_DOWNWARD, "the host's FE_UPWARD leaked into the fiber");
    cr_assert_not(fetestexcept(FE_INEXACT), "the fiber's inexact flag leaked into the host");
    volatile double r = 1.0 / three;
    (void)r;
    sw(&host, &ff.ctx, &ff.stack);
    cr_assert(fiber_saw_inexact, "the fiber lost its own inexact flag across a switch");
    cr_assert(fetestexcept(FE_INEXACT), "the host lost its own inexact flag across a switch");
    feclearexcept(FE_ALL_EXCEPT);
    fesetround(FE_TONEAREST);
}
#endif

/* ---- the trap -------------------------------------------------------------------------- */

static struct fiber tf;

static void returning_fiber(void *arg) { (void)arg; }

Test(switch, fiber_function_that_returns_aborts, .signal = SIGABRT)
{
    fiber_start(&tf, returning_fiber, NULL);
    sw(&host, &tf.ctx, &tf.stack);
}

Test(switch, name_names_the_switch)
{
    const char *n = mob__switch_name();
    cr_assert(!strcmp(n, "asm-x86_64") || !strcmp(n, "asm-aarch64") || !strcmp(n, "ucontext"));
#if defined(MOB_FIBER_UCONTEXT)
    cr_assert_str_eq(n, "ucontext");
#endif
}
