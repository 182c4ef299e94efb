/* SPDX-License-Identifier: MIT */
/*
 * switch_aarch64.S: the context switch for AAPCS64 (Linux, the BSDs, macOS).
 *
 *   void mob__switch(struct mob__ctx *from, struct mob__ctx *to);   x0 = from, x1 = to
 *   void mob__ctx_make(...);                                        (in platform/ctx_asm.c)
 *
 * Everything AAPCS64 calls callee-saved is stored on the stack being left, and only the
 * stack pointer is kept in *from. A saved context (160 bytes, sp stays 16-byte aligned):
 *
 *      higher addresses
 *      +------------------+
 *      | d14 | d15        |  +144   low 64 bits of v8-v15 are callee-saved, the rest is not
 *      | d12 | d13        |  +128
 *      | d10 | d11        |  +112
 *      | d8  | d9         |  +96
 *      | x29 | x30 (lr)   |  +80    x30: where mob__switch was called from (or the trampoline)
 *      | x27 | x28        |  +64
 *      | x25 | x26        |  +48
 *      | x23 | x24        |  +32
 *      | x21 | x22        |  +16
 *      | x19 | x20        |  +0     a new context: x19 = entry, x20 = arg
 *      +------------------+  <- ctx->sp
 *
 * tools/gdb/mob.py reads this layout to show a parked bot's backtrace.
 *
 * Floating point: FPCR (rounding mode, flush-to-zero, default NaN, trap enables) and FPSR (the
 * sticky exception flags) are left alone, as MXCSR and the x87 words are on x86-64: the FP
 * environment belongs to the thread, and a bot that asked for its own has it swapped by the
 * core around its switches (mob__fpenv_swap in ctx_asm.c, called from src/core/sched.h).
 *
 * The switch ends with `ret`, although the asm style rule says `br`: the rule holds for
 * x86-64's inline switch, not for a called one. `bl mob__switch` pushes a return prediction;
 * `br x30` would leave it there for good, so every later `ret` of the resumed side would be
 * predicted from the wrong entry (as measured on x86-64 with the same design; see
 * platform/switch_x86_64.h). `ret` consumes it, and predicts right whenever both
 * sides were suspended at the same call site, which is the common case: every bot switches
 * from the scheduler's one call site. `ret` is also what BTI (-mbranch-protection) allows
 * without a landing pad at every resume address.
 */

#if defined(__APPLE__)
#define SYM(x) _##x
#define TYPE(x)
#define SIZE(x)
#define HIDDEN(x) .private_extern SYM(x)
#else
#define SYM(x) x
#define TYPE(x) .type x, %function
#define SIZE(x) .size x, .-x
#define HIDDEN(x) .hidden x
#endif

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define BTI_C hint #34 /* bti c: target of a call */
#define BTI_JC hint #38 /* bti jc: target of a call or a jump */
#else
#define BTI_C
#define BTI_JC
#endif

    .text

    .globl SYM(mob__switch)
    HIDDEN(mob__switch)
    TYPE(SYM(mob__switch))
    .p2align 4
SYM(mob__switch):
    BTI_C
    sub     sp, sp, #160
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mov     x10, sp
    str     x10, [x0]
    ldr     x10, [x1]
    mov     sp, x10                 /* now on the target's stack */
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #160
    ret
    SIZE(SYM(mob__switch))

/*
 * First frame of every fiber: mob__ctx_make leaves entry in x19, its argument in x20, a zero
 * frame pointer (so backtraces end here) and points x30 here. sp is 16-byte aligned. entry
 * never returns; if it does, mob__fiber_returned aborts.
 */
    .globl SYM(mob__trampoline)
    HIDDEN(mob__trampoline)
    TYPE(SYM(mob__trampoline))
    .p2align 4
SYM(mob__trampoline):
    .cfi_startproc
    .cfi_undefined x30
    BTI_JC /* reached by the switch's ret, which needs none; harmless */
    mov     x0, x20
    blr     x19
    bl      SYM(mob__fiber_returned)
    brk     #0
    .cfi_endproc
    SIZE(SYM(mob__trampoline))

#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
/* GNU property note: this object is BTI/PAC clean, so the linker may keep the binary's
 * marking (an object without it turns BTI off for the whole program). */
#define FEATURE_BTI 1
#define FEATURE_PAC 2
#if defined(__ARM_FEATURE_BTI_DEFAULT) && defined(__ARM_FEATURE_PAC_DEFAULT)
#define FEATURES (FEATURE_BTI | FEATURE_PAC)
#elif defined(__ARM_FEATURE_BTI_DEFAULT)
#define FEATURES FEATURE_BTI
#else
#define FEATURES FEATURE_PAC
#endif
    .section .note.gnu.property, "a"
    .p2align 3
    .word   4
    .word   16
    .word   5                       /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .word   0xc0000000              /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .word   4
    .word   FEATURES
    .word   0
#endif
#endif
