/* SPDX-License-Identifier: MIT */
/*
 * tsan_bare_switch.c: linked before libmob.a into tsan_threads_bare (make test-tsan), this
 * definition replaces platform/san.c's: the same switch, not announced to ThreadSanitizer.
 * It exists only to show that the program fails without the annotations.
 */
#define MOB_TEST_HOOKS /* the raw switch */
#include "mob_test_hooks.h"

MOB__SWITCHES void mob__switch_annotated(struct mob__ctx *from, struct mob__ctx *to,
                                         const struct mob__stack *to_stack, int from_done)
{
    (void)to_stack;
    (void)from_done;
    mob__switch(from, to);
}
