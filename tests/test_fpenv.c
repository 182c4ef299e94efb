/* SPDX-License-Identifier: MIT */
/*
 * test_fpenv.c: whose floating-point environment a bot runs in (mob.h, the conventions). By
 * default the thread's, shared by every bot and by the code that runs the loop; a bot spawned
 * with MOB_FPENV_OWN (or in a loop whose default it is) keeps its own across every switch:
 * rounding mode, and on x86-64 the SSE (MXCSR) and x87 exception flags each, which are
 * checked here register by register, since fetestexcept ORs the two together.
 *
 * Bots record what they see; the test asserts after the loop returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fenv.h>
#include <string.h>

#include "mob.h"

static volatile double three = 3.0, zero = 0.0;
static volatile long double three_ld = 3.0L, zero_ld = 0.0L;

/* The flags of each unit (FE_* bits: both units use the same bit positions on x86-64). */
static int sse_flags(void)
{
#if defined(__x86_64__)
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return (int)(m & FE_ALL_EXCEPT);
#else
    return fetestexcept(FE_ALL_EXCEPT);
#endif
}

static int x87_flags(void)
{
#if defined(__x86_64__)
    unsigned short sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    return sw & FE_ALL_EXCEPT;
#else
    return fetestexcept(FE_ALL_EXCEPT);
#endif
}

/* 1 / *d in double, which only the SSE unit computes, and in long double, which only the x87
 * unit does: by three it raises inexact in that unit alone, by zero divide-by-zero. */
static void sse_divide(const volatile double *d)
{
    volatile double r = 1.0 / *d;
    (void)r;
}

static void x87_divide(const volatile long double *d)
{
    volatile long double r = 1.0L / *d;
    (void)r;
}

/* 1/3 in double and long double under a rounding mode, computed here, at run time. */
static void third_under(int mode, double *d, long double *ld)
{
    fenv_t was;
    fegetenv(&was);
    fesetround(mode);
    *d = 1.0 / three;
    *ld = 1.0L / three_ld;
    fesetenv(&was); /* flags too: the divisions above raised inexact */
}

static void reset_thread_env(void)
{
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
}

/* FIBER=ucontext: every context keeps its own environment (swapcontext saves it), and a new
 * one starts at the defaults, so a bot that shares sees nothing of the thread's. */
static int per_context(void) { return strcmp(mob_switch_name(), "ucontext") == 0; }

static mob_bot *spawn_fp(mob_loop *loop, mob_bot_fn fn, void *arg, int fpenv)
{
    mob_spawn_options o;
    memset(&o, 0, sizeof o);
    o.fpenv = fpenv;
    mob_bot *b = mob_spawn_ex(loop, fn, arg, &o);
    cr_assert_not_null(b);
    return b;
}

/* ---- a bot with its own environment keeps it ------------------------------------------- */

struct seen {
    int round_at_start, flags_at_start;
    int round, sse, x87;             /* after the other bot ran */
    double third_sse;                /* 1/3 in double, rounded by this bot's mode */
    long double third_x87;           /* and in long double */
};

static struct seen seen_a, seen_b;

static void note_start(struct seen *s)
{
    s->round_at_start = fegetround();
    s->flags_at_start = sse_flags() | x87_flags();
}

/* After the other bot ran: the mode and flags, and 1/3 rounded by that mode in each unit. */
static void note_end(struct seen *s)
{
    s->round = fegetround();
    s->sse = sse_flags();
    s->x87 = x87_flags();
    s->third_sse = 1.0 / three;
    s->third_x87 = 1.0L / three_ld;
}

/* Rounds up; inexact in SSE, divide-by-zero in x87. */
static intptr_t keeper(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    note_start(s);
    fesetround(FE_UPWARD);
    feclearexcept(FE_ALL_EXCEPT);
    sse_divide(&three);
    x87_divide(&zero_ld);
    for (int i = 0; i < 3; i++)
        mob_yield(self);
    note_end(s);
    return 0;
}

/* Rounds down; clears everything, then divide-by-zero in SSE, inexact in x87. */
static intptr_t changer(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    note_start(s);
    for (int i = 0; i < 3; i++) {
        fesetround(FE_DOWNWARD);
        feclearexcept(FE_ALL_EXCEPT);
        sse_divide(&zero);
        x87_divide(&three_ld);
        mob_yield(self);
    }
    note_end(s);
    return 0;
}

static void check_keeper(const struct seen *s)
{
    cr_assert_eq(s->round_at_start, FE_TONEAREST, "an own environment starts at the defaults");
    cr_assert_eq(s->flags_at_start, 0, "an own environment starts with no flags");
    cr_assert_eq(s->round, FE_UPWARD, "the other bot's rounding leaked in");
    cr_assert_eq(s->sse, FE_INEXACT, "SSE flags 0x%x, expected only its own inexact", s->sse);
    cr_assert_eq(s->x87, FE_DIVBYZERO, "x87 flags 0x%x, expected only its own divide-by-zero",
                 s->x87);
    double d, down;
    long double ld, down_ld;
    third_under(FE_UPWARD, &d, &ld);
    third_under(FE_DOWNWARD, &down, &down_ld);
    cr_assert(d > down && ld > down_ld, "%a %a %La %La", d, down, ld, down_ld);
    cr_assert(s->third_sse == d, "the SSE unit did not round up");
    cr_assert(s->third_x87 == ld, "the x87 unit did not round up");
}

static void check_changer(const struct seen *s)
{
    cr_assert_eq(s->round, FE_DOWNWARD, "the other bot's rounding leaked in");
    cr_assert_eq(s->sse, FE_DIVBYZERO, "SSE flags 0x%x", s->sse);
    cr_assert_eq(s->x87, FE_INEXACT, "x87 flags 0x%x", s->x87);
    double d;
    long double ld;
    third_under(FE_DOWNWARD, &d, &ld);
    cr_assert(s->third_sse == d, "the SSE unit did not round down");
    cr_assert(s->third_x87 == ld, "the x87 unit did not round down");
}

/* The keeper and the changer in a loop made with lo, each spawned with its fpenv (-1: plain
 * mob_spawn, the loop's default), run to the end; then what each saw is checked. */
static void keeper_and_changer(const mob_loop_options *lo, int keeper_env, int changer_env)
{
    mob_loop *loop = mob_loop_new(lo);
    cr_assert_not_null(loop);
    if (keeper_env < 0)
        cr_assert_not_null(mob_spawn(loop, keeper, &seen_a));
    else
        spawn_fp(loop, keeper, &seen_a, keeper_env);
    if (changer_env < 0)
        cr_assert_not_null(mob_spawn(loop, changer, &seen_b));
    else
        spawn_fp(loop, changer, &seen_b, changer_env);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    check_keeper(&seen_a);
    check_changer(&seen_b);
}

Test(fpenv, own_env_survives_a_bot_sharing_the_threads)
{
    reset_thread_env();
    keeper_and_changer(NULL, MOB_FPENV_OWN, MOB_FPENV_DEFAULT);
    if (per_context()) {
        cr_assert_eq(fegetround(), FE_TONEAREST);
        cr_assert_eq(sse_flags() | x87_flags(), 0);
    } else {
        /* The sharing bot changed the thread's environment: the host sees it (inexact too,
         * from the divisions the changer made after recording its flags). */
        cr_assert_eq(fegetround(), FE_DOWNWARD);
        cr_assert_eq(sse_flags(), FE_DIVBYZERO | FE_INEXACT);
        cr_assert_eq(x87_flags(), FE_INEXACT);
    }
    reset_thread_env();
}

Test(fpenv, two_own_envs_keep_apart)
{
    reset_thread_env();
    fesetround(FE_TOWARDZERO);
    sse_divide(&three);
    keeper_and_changer(NULL, MOB_FPENV_OWN, MOB_FPENV_OWN);
    cr_assert_eq(seen_b.round_at_start, FE_TONEAREST, "not the thread's FE_TOWARDZERO");
    cr_assert_eq(seen_b.flags_at_start, 0, "not the thread's inexact flag");
    /* Neither touched the thread's environment. */
    cr_assert_eq(fegetround(), FE_TOWARDZERO);
    cr_assert_eq(sse_flags(), FE_INEXACT);
    cr_assert_eq(x87_flags(), 0);
    reset_thread_env();
}

Test(fpenv, loop_default_gives_every_bot_its_own)
{
    reset_thread_env();
    mob_loop_options lo;
    memset(&lo, 0, sizeof lo);
    lo.fpenv = MOB_FPENV_OWN;
    keeper_and_changer(&lo, -1, -1);
    cr_assert_eq(fegetround(), FE_TONEAREST);
    cr_assert_eq(sse_flags() | x87_flags(), 0);
    reset_thread_env();
}

/* ---- bots that share: the thread's environment ----------------------------------------- */

static int shared_round_seen, shared_flags_seen;

static intptr_t set_up_and_yield(mob_bot *self, void *arg)
{
    (void)arg;
    fesetround(FE_UPWARD);
    sse_divide(&three);
    mob_yield(self);
    return 0;
}

static intptr_t look(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    shared_round_seen = fegetround();
    shared_flags_seen = fetestexcept(FE_ALL_EXCEPT);
    return 0;
}

/*
 * The documented default: one bot's rounding mode and flags are the next bot's and the
 * host's. With FIBER=ucontext every context keeps its own (swapcontext saves it), and a new
 * one starts at the defaults: the test states that too.
 */
Test(fpenv, default_bots_share_the_threads_environment)
{
    reset_thread_env();
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_not_null(loop);
    mob_spawn(loop, set_up_and_yield, NULL);
    mob_spawn(loop, look, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    int round = fegetround(), flags = fetestexcept(FE_ALL_EXCEPT);
    reset_thread_env();
    if (per_context()) {
        cr_assert_eq(shared_round_seen, FE_TONEAREST);
        cr_assert_eq(shared_flags_seen, 0);
        cr_assert_eq(round, FE_TONEAREST);
        cr_assert_eq(flags, 0);
    } else {
        cr_assert_eq(shared_round_seen, FE_UPWARD, "the next bot did not share the rounding");
        cr_assert_eq(shared_flags_seen, FE_INEXACT, "the next bot did not share the flag");
        cr_assert_eq(round, FE_UPWARD, "the host did not share the rounding");
        cr_assert_eq(flags, FE_INEXACT, "the host did not share the flag");
    }
}

/* ---- the thread's environment, kept while own-environment bots run --------------------- */

static int sharer_round, sharer_sse, sharer_x87;

static intptr_t sharer(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self); /* the keeper has set its own by now */
    sharer_round = fegetround();
    sharer_sse = sse_flags();
    sharer_x87 = x87_flags();
    fesetround(FE_TOWARDZERO); /* a change to the thread's, for the host to see */
    return 0;
}

Test(fpenv, thread_env_is_restored_around_own_bots)
{
    reset_thread_env();
    fesetround(FE_DOWNWARD);
    x87_divide(&three_ld);
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_not_null(loop);
    spawn_fp(loop, keeper, &seen_a, MOB_FPENV_OWN);
    mob_spawn(loop, sharer, NULL);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
    check_keeper(&seen_a);
    if (per_context()) {
        cr_assert_eq(sharer_round, FE_TONEAREST);
        cr_assert_eq(sharer_sse | sharer_x87, 0);
        cr_assert_eq(fegetround(), FE_DOWNWARD, "the host's own rounding was not restored");
        cr_assert_eq(sse_flags(), 0);
        cr_assert_eq(x87_flags(), FE_INEXACT);
        reset_thread_env();
        return;
    }
    cr_assert_eq(sharer_round, FE_DOWNWARD, "the thread's rounding was not restored");
    cr_assert_eq(sharer_sse, 0, "the keeper's SSE flags leaked to the thread");
    cr_assert_eq(sharer_x87, FE_INEXACT, "the thread's x87 flags were lost");
    /* The keeper returned last: its switch to the host put the thread's environment back. */
    cr_assert_eq(fegetround(), FE_TOWARDZERO);
    cr_assert_eq(sse_flags(), 0);
    cr_assert_eq(x87_flags(), FE_INEXACT);
    reset_thread_env();
}

/* ---- bad options ----------------------------------------------------------------------- */

static intptr_t nothing(mob_bot *self, void *arg)
{
    (void)self;
    (void)arg;
    return 0;
}

Test(fpenv, out_of_range_options_are_refused)
{
    mob_loop_options lo;
    memset(&lo, 0, sizeof lo);
    lo.fpenv = 7;
    errno = 0;
    cr_assert_null(mob_loop_new(&lo));
    cr_assert_eq(errno, EINVAL);
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_not_null(loop);
    mob_spawn_options o;
    memset(&o, 0, sizeof o);
    o.fpenv = -1;
    errno = 0;
    cr_assert_null(mob_spawn_ex(loop, nothing, NULL, &o));
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mob_bot_count(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}
