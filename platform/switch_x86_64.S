/* SPDX-License-Identifier: MIT */
/*
 * switch_x86_64.S: the context switch for x86-64 System V (Linux, the BSDs, macOS).
 *
 *   void mob__switch(struct mob__ctx *from, struct mob__ctx *to);   rdi = from, rsi = to
 *   void mob__ctx_make(struct mob__ctx *ctx, void *stack_lo, size_t size,
 *                      mob__entry_fn entry, void *arg);            (in platform/ctx_asm.c)
 *
 * Everything the ABI calls callee-saved is pushed on the stack being left, and only the stack
 * pointer is stored in *from. A saved context therefore looks like this, growing down:
 *
 *      higher addresses
 *      +------------------+
 *      | return address   |  +56   where mob__switch was called from (or the trampoline)
 *      | rbp              |  +48
 *      | rbx              |  +40
 *      | r12              |  +32
 *      | r13              |  +24
 *      | r14              |  +16
 *      | r15              |  +8
 *      | x87 CW | MXCSR   |  +0    fnstcw at +4 (16 bits), stmxcsr at +0 (32 bits)
 *      +------------------+  <- ctx->sp
 *
 * Floating point: only MXCSR's control bits (6-15: DAZ, masks, rounding, FZ) and the x87
 * control word are callee-saved. MXCSR's bits 0-5 are sticky exception flags: they are status,
 * they differ between any two contexts that did arithmetic, and reloading them would make
 * every switch pay an `ldmxcsr` that stalls the pipeline. So the switch compares control bits
 * and reloads only when they differ, keeping the live status flags.
 *
 * The switch ends with `pop; jmp *reg`, not `ret`: a `ret` onto another stack misses the
 * return-stack buffer every time (21 ns against 4 ns measured on this class of machine).
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

#define MXCSR_STATUS 0x3f

    .text

    .globl SYM(mob__switch)
    HIDDEN(mob__switch)
    TYPE(mob__switch)
    .p2align 4
SYM(mob__switch):
    ENDBR
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    subq    $8, %rsp
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movl    (%rsp), %ecx            /* live MXCSR, kept for the compare below */
    movzwl  4(%rsp), %edx           /* live x87 control word */
    movq    %rsp, (%rdi)
    movq    (%rsi), %rsp            /* now on the target's stack */
    movl    (%rsp), %eax
    xorl    %ecx, %eax
    testl   $~MXCSR_STATUS, %eax    /* do the control bits differ? */
    jz      1f
    movl    (%rsp), %eax            /* target's control bits + live status flags */
    andl    $~MXCSR_STATUS, %eax
    andl    $MXCSR_STATUS, %ecx
    orl     %ecx, %eax
    movl    %eax, (%rsp)
    ldmxcsr (%rsp)
1:
    movzwl  4(%rsp), %eax
    cmpl    %edx, %eax
    je      2f
    fldcw   4(%rsp)
2:
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    popq    %rcx
    jmp     *%rcx
    SIZE(mob__switch)

/*
 * First frame of every fiber: mob__ctx_make leaves entry in r12 and its argument in r13, and
 * points the saved return address here. The stack is 16-byte aligned at this label, so the
 * call below gives entry the alignment the ABI promises (rsp % 16 == 8 at its first
 * instruction). entry never returns; if it does, mob__fiber_returned aborts.
 */
    .globl SYM(mob__trampoline)
    HIDDEN(mob__trampoline)
    TYPE(mob__trampoline)
    .p2align 4
SYM(mob__trampoline):
    .cfi_startproc
    .cfi_undefined rip
    ENDBR
    movq    %r13, %rdi
    callq   *%r12
    callq   SYM(mob__fiber_returned)
    ud2
    .cfi_endproc
    SIZE(mob__trampoline)

#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack,"",@progbits
#endif
