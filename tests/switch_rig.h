/* SPDX-License-Identifier: MIT */
/*
 * switch_rig.h: the raw-switch rig that test_switch.c (Criterion) and selftest.c (the
 * dependency-free self-test) share: sw(), the one way their fibers switch, and a fiber (a
 * context and its pool stack). Include after platform/platform.h.
 */
#ifndef MOB_TEST_SWITCH_RIG_H
#define MOB_TEST_SWITCH_RIG_H

/*
 * Every switch in the tests that include this goes through sw(), a call the optimiser may not
 * see through, as the core's do (mob__switch_to). On x86-64 the switch is inline asm, and GCC
 * assumes an asm statement cannot touch a static variable whose address never escapes,
 * "memory" clobber or not; but a switch runs other code, which may. Inlined, it let GCC keep
 * test_switch.c's `ntrace` in a register across a switch (its direct-switch test caught it).
 */
#if defined(__clang__)
#define MOB_OPAQUE __attribute__((noinline))
#else
#define MOB_OPAQUE __attribute__((noinline, noipa))
#endif
static MOB_OPAQUE void sw(struct mob__ctx *from, struct mob__ctx *to,
                          const struct mob__stack *to_stack)
{
    mob__switch_annotated(from, to, to_stack, 0);
}

struct fiber {
    struct mob__ctx ctx;
    struct mob__stack stack;
};

#endif
