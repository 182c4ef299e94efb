/* SPDX-License-Identifier: MIT */
/*
 * switch_x86_64.h: the context switch for x86-64 System V, inlined into its callers.
 *
 * Why inline asm (the one place in mob that has it): a switch written as a called function
 * unbalances the CPU's return-stack buffer. The caller's `call` pushes a prediction that is
 * never consumed (the switch leaves by jumping to another stack), so every `ret` the resumed
 * bot then executes is predicted from the wrong entry. Measured here on a yield between two
 * bots through the scheduler: 22 ns with a called switch ending in `pop; jmp`, 11.5 ns with a
 * called switch ending in `ret` (which mispredicts instead whenever the two sides were
 * suspended at different call sites, e.g. host <-> bot: 11.5 ns against 7.7), and about 7 ns
 * with no call at all. So the switch is a statement, not a call: it pushes a resume label,
 * swaps stacks and ends with an indirect `jmp` to the other side's label.
 *
 * Registers: the asm names every register the ABI lets a callee keep (rbx, r12-r15) and every
 * scratch register as clobbered, so the compiler saves exactly those it has live, in the
 * enclosing function's prologue, and we only store rbp (which cannot be named as clobbered
 * with frame pointers on), the floating-point control words and the resume address.
 *
 * A suspended context, from ctx->sp upwards:
 *
 *      +0    resume address          popped and jumped to by whoever resumes us
 *      +8    MXCSR (32 bits) | x87 control word (16 bits, at +12)
 *      +16   rbp
 *      +24   128 bytes skipped       the red zone of the suspended function (the asm runs
 *                                    inside it, and leaf code may keep locals there)
 *
 * Floating point: only MXCSR's control bits (6-15: DAZ, masks, rounding, FZ) and the x87
 * control word are callee-saved. MXCSR's bits 0-5 are sticky exception flags, status that
 * differs between any two contexts that did arithmetic; reloading them would make every switch
 * pay an `ldmxcsr` that stalls the pipeline. So the resumed side compares control bits with the
 * live ones (passed across the jump in ecx/edx) and reloads only when they differ, keeping the
 * live status flags.
 *
 * New contexts start in mob__trampoline (switch_x86_64.S), laid out by mob__ctx_make
 * (ctx_asm.c).
 */
#ifndef MOB_SWITCH_X86_64_H
#define MOB_SWITCH_X86_64_H

#define MOB__SWITCH_INLINE 1

static inline __attribute__((always_inline)) void mob__switch(struct mob__ctx *from,
                                                               struct mob__ctx *to)
{
    __asm__ volatile("subq   $128, %%rsp\n\t"
                     "pushq  %%rbp\n\t"
                     "subq   $8, %%rsp\n\t"
                     "stmxcsr (%%rsp)\n\t"
                     "fnstcw 4(%%rsp)\n\t"
                     "movl   (%%rsp), %%ecx\n\t"   /* live MXCSR, for the other side */
                     "movzwl 4(%%rsp), %%edx\n\t"  /* live x87 control word */
                     "leaq   1f(%%rip), %%rax\n\t"
                     "pushq  %%rax\n\t"
                     "movq   %%rsp, (%0)\n\t"
                     "movq   (%1), %%rsp\n\t"
                     "popq   %%rax\n\t"
                     "jmp    *%%rax\n"
                     "1:\n\t"                      /* resumed: rsp at our saved MXCSR */
                     "movl   (%%rsp), %%eax\n\t"
                     "xorl   %%ecx, %%eax\n\t"
                     "testl  $0xffffffc0, %%eax\n\t"
                     "jz     2f\n\t"
                     "movl   (%%rsp), %%eax\n\t"   /* our control bits + live status flags */
                     "andl   $0xffffffc0, %%eax\n\t"
                     "andl   $0x3f, %%ecx\n\t"
                     "orl    %%ecx, %%eax\n\t"
                     "movl   %%eax, (%%rsp)\n\t"
                     "ldmxcsr (%%rsp)\n"
                     "2:\n\t"
                     "movzwl 4(%%rsp), %%eax\n\t"
                     "cmpl   %%edx, %%eax\n\t"
                     "je     3f\n\t"
                     "fldcw  4(%%rsp)\n"
                     "3:\n\t"
                     "addq   $8, %%rsp\n\t"
                     "popq   %%rbp\n\t"
                     "addq   $128, %%rsp\n\t"
                     : "+D"(from), "+S"(to)
                     :
                     : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13",
                       "r14", "r15", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
                       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                       "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",
                       "st(5)", "st(6)", "st(7)");
}

#endif /* MOB_SWITCH_X86_64_H */
