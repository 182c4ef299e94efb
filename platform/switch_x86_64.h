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
 * Floating point: MXCSR and the x87 control word are saved on the way out and reloaded on the
 * way in, unconditionally, so each context keeps its own rounding mode, masks, DAZ/FZ and its
 * own sticky exception flags (the same semantics as Boost.Context and glibc's swapcontext).
 * Why not compare and skip the reload: on this project's reference CPU (AMD Zen 4) the cost of
 * a switch is `stmxcsr`, about 4.3 ns on its own, and any instruction that reads its result
 * (a compare) waits for it; an unconditional `ldmxcsr` from our own frame does not, and was
 * measured 1.2 ns cheaper per switch, with clean or differing flags alike
 * (tools/compare-switch.sh, "raw switch").
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
                     "leaq   1f(%%rip), %%rax\n\t"
                     "pushq  %%rax\n\t"
                     "movq   %%rsp, (%0)\n\t"
                     "movq   (%1), %%rsp\n\t"
                     "popq   %%rax\n\t"
                     "jmp    *%%rax\n"
                     "1:\n\t"                      /* resumed: rsp at our saved MXCSR */
                     "ldmxcsr (%%rsp)\n\t"
                     "fldcw  4(%%rsp)\n\t"
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
