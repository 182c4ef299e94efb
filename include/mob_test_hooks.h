/* SPDX-License-Identifier: MIT */
/*
 * mob_test_hooks.h: the one declared door into mob's internals for its own tests and for
 * mob-bench: the raw context switch and the stack pools below the loop (platform.h), and the
 * size of the loop's bot table, which a program using mob never needs. A file that includes it must define MOB_TEST_HOOKS first,
 * so the crossing is visible where it happens, and tools/check-layers.sh lets only tests/
 * and tools/mob-bench/ do it. It is not installed, and works from the source tree only.
 */
#ifndef MOB_TEST_HOOKS_H
#define MOB_TEST_HOOKS_H

#ifndef MOB_TEST_HOOKS
#error "mob_test_hooks.h is for mob's own tests and benchmarks: define MOB_TEST_HOOKS first"
#endif

#include "mob.h"
#include "../platform/platform.h"

/* The platform's stack request (enum mob__guard_want) for a public enum mob_guard value, as
 * the loop makes it (src/core/bot.c). */
int mob__guard_want(int guard);

/* How many chunk pointers the loop's table of bots has room for (src/core/bot.c): its
 * growth is observable, so a test can count the reallocations. */
int mob__bot_table_cap(const mob_loop *loop);

#endif /* MOB_TEST_HOOKS_H */
