/* SPDX-License-Identifier: MIT */
/*
 * ctx_asm.c: lays out the first frame of a new fiber for the asm switches, so that the first
 * mob__switch to it "returns" into mob__trampoline with entry and arg in callee-saved
 * registers. The frame layout is the one drawn at the top of switch_x86_64.S (and
 * switch_aarch64.S); keep them in step. Also the swap of a bot's own floating-point
 * environment, which the switches leave alone (platform.h). Not built with FIBER=ucontext.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "san.h"

#if defined(__GNUC__)
#define MOB__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MOB__UNLIKELY(x) (x)
#endif

void mob__trampoline(void);
void mob__fiber_returned(void);

_Static_assert(offsetof(struct mob__ctx, sp) == 0, "the asm switch stores sp at offset 0");

void mob__fiber_returned(void)
{
    fputs("mob: fiber function returned past its trampoline\n", stderr);
    abort();
}

#if defined(__x86_64__)

const char *mob__switch_name(void) { return "asm-x86_64"; }

/* The frame drawn at the top of switch_x86_64.S. */
void mob__ctx_make(struct mob__ctx *ctx, void *stack_lo, size_t size, mob__entry_fn entry,
                   void *arg)
{
#if defined(MOB__ASAN)
    mob__san_wrap(stack_lo, &size, &entry, &arg);
#endif
    uint64_t *top = (uint64_t *)(((uintptr_t)stack_lo + size) & ~(uintptr_t)15);
    uint64_t *sp = top - 22;
    sp[0] = (uint64_t)(uintptr_t)mob__trampoline;
    sp[1] = 0;                                     /* rbp */
    sp[18] = (uint64_t)(uintptr_t)entry;
    sp[19] = (uint64_t)(uintptr_t)arg;
    sp[20] = sp[21] = 0;
    ctx->sp = sp;
}

/*
 * The FP environment of a bot that has its own, laid out as fnstenv stores it in 64-bit mode
 * (28 bytes: x87 control word, status word, tag word, last instruction and operand pointers),
 * then MXCSR: what fegetenv covers on x86-64. Only the control word, the status word and
 * MXCSR carry state between switches: the tag word says "all empty" at every switch point
 * (the ABI wants the x87 stack empty at a call), and the pointers mean nothing to a program.
 */
enum { X87_CW = 0, X87_SW = 1, X87_TW = 2, MXCSR = 7 };
_Static_assert(sizeof(struct mob__fpenv) >= 32, "struct mob__fpenv holds 28 + 4 bytes");

/* The x87 status bits that are state: the six exception flags, stack fault, error summary. */
#define X87_FLAGS 0xffu

void mob__fpenv_init(struct mob__fpenv *env)
{
    memset(env, 0, sizeof *env);
    env->w[X87_CW] = 0x037f; /* all x87 exceptions masked, round to nearest, 64-bit mantissa */
    env->w[X87_SW] = 0;      /* no flags, empty stack */
    env->w[X87_TW] = 0xffff; /* every x87 register empty */
    env->w[MXCSR] = 0x1f80;  /* all SSE exceptions masked, round to nearest, no flags */
}

/*
 * Saves with three stores (fnstcw, fnstsw, stmxcsr) and loads only what differs, because the
 * whole-environment instructions are slow (fnstenv plus fldenv cost several times a whole
 * yield on this project's Intel guest; tools/PERFORMANCE.md) and because an ldmxcsr that
 * changes MXCSR stalls some Intel CPUs, and one that does not change it is not free either
 * (`mob-bench switch --case own` and `--case own-dirty` measure both).
 * x87 flags can only be written by fldenv (or cleared, by fnclex): fldenv runs only when the
 * arriving side has some, which takes long double arithmetic that raised an exception.
 */
void mob__fpenv_swap(struct mob__fpenv *save, const struct mob__fpenv *load)
{
    uint16_t cw, sw;
    __asm__ volatile("fnstcw %0\n\t"
                     "fnstsw %1\n\t"
                     "stmxcsr %2"
                     : "=m"(cw), "=m"(sw), "=m"(save->w[MXCSR]));
    save->w[X87_CW] = cw;
    save->w[X87_SW] = sw;
    if (load->w[MXCSR] != save->w[MXCSR])
        __asm__ volatile("ldmxcsr %0" : : "m"(load->w[MXCSR]) : "memory");
    if (MOB__UNLIKELY(load->w[X87_SW] & X87_FLAGS)) {
        __asm__ volatile("fldenv %0" : : "m"(*(const unsigned char(*)[28])load->w) : "memory");
        return;
    }
    if (MOB__UNLIKELY(sw & X87_FLAGS))
        __asm__ volatile("fnclex" : : : "memory");
    if (MOB__UNLIKELY(load->w[X87_CW] != cw))
        __asm__ volatile("fldcw %0" : : "m"(load->w[X87_CW]) : "memory");
}

#elif defined(__aarch64__)

const char *mob__switch_name(void) { return "asm-aarch64"; }

/* The frame drawn at the top of switch_aarch64.S: x19-x30 at +0, d8-d15 at +96, 160 bytes
 * in all. */
enum { A64_FRAME = 160, A64_X19 = 0, A64_X20 = 1, A64_X29 = 10, A64_X30 = 11 };

void mob__ctx_make(struct mob__ctx *ctx, void *stack_lo, size_t size, mob__entry_fn entry,
                   void *arg)
{
#if defined(MOB__ASAN)
    mob__san_wrap(stack_lo, &size, &entry, &arg);
#endif
    /* Top of stack, 16-byte aligned: the trampoline starts there, as AAPCS64 requires. */
    uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(top - A64_FRAME);
    memset(sp, 0, A64_FRAME);
    sp[A64_X19] = (uint64_t)(uintptr_t)entry;
    sp[A64_X20] = (uint64_t)(uintptr_t)arg;
    sp[A64_X29] = 0;                               /* frame chain ends here */
    sp[A64_X30] = (uint64_t)(uintptr_t)mob__trampoline; /* where the switch branches */
    ctx->sp = sp;
}

/* A bot's own FP environment on aarch64: FPCR (rounding, flush-to-zero, default NaN, trap
 * enables) and FPSR (the sticky exception flags), what fegetenv covers here. */
enum { A64_ENV_FPCR = 0, A64_ENV_FPSR = 1 };
_Static_assert(sizeof(struct mob__fpenv) >= 2 * sizeof(uint64_t), "FPCR and FPSR fit");

void mob__fpenv_init(struct mob__fpenv *env)
{
    /* FPCR 0: round to nearest, no flush-to-zero, no traps; FPSR 0: no flags. */
    memset(env, 0, sizeof *env);
}

/* A write to FPCR may synchronise the pipeline on some cores: skipped when unchanged. */
void mob__fpenv_swap(struct mob__fpenv *save, const struct mob__fpenv *load)
{
    uint64_t *s = (uint64_t *)(void *)save->w;
    const uint64_t *l = (const uint64_t *)(const void *)load->w;
    uint64_t fpcr, fpsr;
    __asm__ volatile("mrs %0, fpcr\n\tmrs %1, fpsr" : "=r"(fpcr), "=r"(fpsr));
    s[A64_ENV_FPCR] = fpcr;
    s[A64_ENV_FPSR] = fpsr;
    __asm__ volatile("msr fpsr, %0" : : "r"(l[A64_ENV_FPSR]) : "memory");
    if (l[A64_ENV_FPCR] != fpcr)
        __asm__ volatile("msr fpcr, %0" : : "r"(l[A64_ENV_FPCR]) : "memory");
}

#else
#error "no asm context switch for this CPU: build with FIBER=ucontext"
#endif
