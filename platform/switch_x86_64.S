/* SPDX-License-Identifier: MIT */
/*
 * switch_x86_64.S: the first frame of every fiber on x86-64 System V. The switch itself is an
 * inline statement in switch_x86_64.h (read its top comment for why, and for the frame layout
 * of a suspended context).
 *
 * A new context, laid out by mob__ctx_make (ctx_asm.c), is a suspended context whose resume
 * address is mob__trampoline, with two more words above the red-zone gap:
 *
 *      sp+0    mob__trampoline       popped and jumped to by the first switch
 *      sp+8    rbp = 0               ends frame-pointer backtraces
 *      sp+16   128 bytes gap
 *      sp+144  entry
 *      sp+152  arg
 *      sp+160  padding, to the 16-aligned top
 *
 * No floating-point state here: a new bot runs in the thread's FP environment, or in its own
 * when it asked for one, which the core loads before the first switch to it (sched.h).
 *
 * After the pops below rsp is 16-byte aligned, so `call` gives entry the alignment the ABI
 * promises (rsp % 16 == 8 at its first instruction). entry never returns; if it does,
 * mob__fiber_returned aborts with a message.
 */

#if defined(__APPLE__)
#define SYM(x) _##x
#define TYPE(x)
#define SIZE(x)
#define HIDDEN(x) .private_extern SYM(x)
#else
#define SYM(x) x
#define TYPE(x) .type x, @function
#define SIZE(x) .size x, .-x
#define HIDDEN(x) .hidden x
#endif

#if defined(__CET__)
#define ENDBR endbr64
#else
#define ENDBR
#endif

    .text
    .globl SYM(mob__trampoline)
    HIDDEN(mob__trampoline)
    TYPE(mob__trampoline)
    .p2align 4
SYM(mob__trampoline):
    .cfi_startproc
    .cfi_undefined rip
    ENDBR
    popq    %rbp
    addq    $128, %rsp
    popq    %rax
    popq    %rdi
    callq   *%rax
    callq   SYM(mob__fiber_returned)
    ud2
    .cfi_endproc
    SIZE(mob__trampoline)

#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack,"",@progbits
#endif
