/* SPDX-License-Identifier: MIT */
/*
 * switch_x86_64.h: the context switch for x86-64 System V, inlined into its callers.
 *
 * Why inline asm (with MOB__GOTO_IF_NE in platform.h, the only asm in mob's C): a switch
 * written as a called function unbalances the CPU's return-stack buffer. The caller's `call`
 * pushes a prediction that is never consumed (the switch leaves by jumping to another stack),
 * so every `ret` the resumed bot then executes is predicted from the wrong entry; a called
 * switch ending in `ret` mispredicts instead whenever the two sides were suspended at
 * different call sites (host <-> bot). Either costs a yield several times what the switch
 * itself does (`mob-bench switch --case 2`; the figures of the three designs are in
 * tools/PERFORMANCE.md). So the switch is a statement, not a call: it pushes a resume label,
 * swaps stacks and ends with an indirect `jmp` to the other side's label.
 *
 * Registers: the asm names every register the ABI lets a callee keep (rbx, r12-r15) and every
 * scratch register as clobbered, so the compiler saves exactly those it has live, in the
 * enclosing function's prologue, and we only store rbp (which cannot be named as clobbered
 * with frame pointers on) and the resume address. One value does come back in a register:
 * every switch passes `to` in rsi, so on resuming, rsi holds the context being resumed, our
 * own; returning it lets a caller find its bot after the switch without keeping a copy on
 * the stack (mob__switch_resume in platform.h).
 *
 * A suspended context, from ctx->sp upwards:
 *
 *      +0    resume address          popped and jumped to by whoever resumes us
 *      +8    rbp
 *      +16   128 bytes skipped       the red zone of the suspended function (the asm runs
 *                                    inside it, and leaf code may keep locals there);
 *                                    not when built with MOB__NO_RED_ZONE
 *
 * MOB__NO_RED_ZONE says the file is compiled with -mno-red-zone, so no code of it keeps
 * anything below the stack pointer and the switch need not step over those 128 bytes: two
 * instructions fewer on every switch (`mob-bench switch --case 2`). The Makefile
 * builds src/core and platform, where every switch of the library is, that way; a file
 * compiled otherwise (a vendor's own build, mob-bench's raw switches) keeps the gap. Both
 * layouts can meet in one program: whoever resumes a context only pops its resume address,
 * and the code there undoes what its own switch pushed.
 *
 * tools/gdb/mob.py reads this layout to show a parked bot's backtrace (tools/gdb/test.sh),
 * and tells the two apart by the instruction at the resume address.
 *
 * Floating point: the switch does not touch MXCSR or the x87 control and status words. The FP
 * environment belongs to the thread and every context shares it (as in minicoro, libco, marl
 * and Go), unless a bot asked for its own at spawn: then the core calls mob__fpenv_swap
 * (ctx_asm.c) around the switches into and out of that bot only (src/core/sched.h). Why: a
 * switch that keeps MXCSR per context runs `stmxcsr`, which nothing overlaps (about half of
 * a yield on the AMD Zen 4 this was first measured on: `mob-bench switch --case fpenv`), and
 * on some Intel CPUs an `ldmxcsr` that changes the register stalls the pipeline, which a
 * context whose inexact flag is set pays on every switch (`--case own-dirty`; the figures are
 * in tools/PERFORMANCE.md, "Fibers").
 *
 * New contexts start in mob__trampoline (switch_x86_64.S), laid out by mob__ctx_make
 * (ctx_asm.c).
 */
#ifndef MOB_SWITCH_X86_64_H
#define MOB_SWITCH_X86_64_H

#define MOB__SWITCH_INLINE 1

#ifdef MOB__NO_RED_ZONE
#define MOB__RZ_SUB ""
#define MOB__RZ_ADD ""
#else
#define MOB__RZ_SUB "subq   $128, %%rsp\n\t"
#define MOB__RZ_ADD "addq   $128, %%rsp\n\t"
#endif

/* Returns the context it resumed, as mob__switch_resume says (platform.h). */
static inline __attribute__((always_inline)) struct mob__ctx *mob__switch(struct mob__ctx *from,
                                                                          struct mob__ctx *to)
{
    __asm__ volatile(MOB__RZ_SUB
                     "pushq  %%rbp\n\t"
                     "leaq   1f(%%rip), %%rax\n\t"
                     "pushq  %%rax\n\t"
                     "movq   %%rsp, (%0)\n\t"
                     "movq   (%1), %%rsp\n\t"
                     "popq   %%rax\n\t"
                     "jmp    *%%rax\n"
                     "1:\n\t"                      /* resumed: rsp at our saved rbp */
                     "popq   %%rbp\n\t"
                     MOB__RZ_ADD
                     : "+D"(from), "+S"(to)
                     :
                     : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13",
                       "r14", "r15", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
                       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                       "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",
                       "st(5)", "st(6)", "st(7)");
    return to; /* rsi: whoever resumed us passed our own context as its `to` */
}

#endif /* MOB_SWITCH_X86_64_H */
