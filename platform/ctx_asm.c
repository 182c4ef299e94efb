/* SPDX-License-Identifier: MIT */
/*
 * ctx_asm.c: lays out the first frame of a new fiber for the asm switches, so that the first
 * mob__switch to it "returns" into mob__trampoline with entry and arg in callee-saved
 * registers. The frame layout is the one drawn at the top of switch_x86_64.S (and
 * switch_aarch64.S); keep them in step. Not built with FIBER=ucontext.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "san.h"

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
    uint64_t *sp = top - 23;
    sp[0] = (uint64_t)(uintptr_t)mob__trampoline;
    /* A new fiber starts with the ABI's default floating-point control (all exceptions
     * masked, round to nearest) and no exception flags. */
    sp[1] = (uint64_t)0x1f80 | ((uint64_t)0x037f << 32);
    sp[2] = 0;                                     /* rbp */
    sp[19] = (uint64_t)(uintptr_t)entry;
    sp[20] = (uint64_t)(uintptr_t)arg;
    sp[21] = sp[22] = 0;
    ctx->sp = sp;
}

#elif defined(__aarch64__)

const char *mob__switch_name(void) { return "asm-aarch64"; }

/* The frame drawn at the top of switch_aarch64.S: x19-x30 at +0, d8-d15 at +96, FPCR at
 * +160, 176 bytes in all. */
enum { A64_FRAME = 176, A64_X19 = 0, A64_X20 = 1, A64_X29 = 10, A64_X30 = 11, A64_FPCR = 20 };

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
    /* A new fiber starts with the ABI's default FP control, FPCR 0 (round to nearest, no
     * flush-to-zero, no traps), and no exception flags (FPSR 0, from the memset). */
    sp[A64_FPCR] = 0;
    ctx->sp = sp;
}

#else
#error "no asm context switch for this CPU: build with FIBER=ucontext"
#endif
