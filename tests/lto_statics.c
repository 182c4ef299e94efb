/* SPDX-License-Identifier: MIT */
/*
 * lto_statics.c: a reproducer, not part of the suite. x86-64's switch is inline asm, and GCC
 * assumes an asm statement cannot read or write a static variable whose address never
 * escapes, "memory" clobber or not. Under -flto it sees through mob_yield down to that asm,
 * concludes the yield leaves `turns` alone, and bot b keeps a stale copy: it prints
 * seen_by_b=3 instead of 6. Marking every function the switch is inlined into
 * __attribute__((noipa)) (mob__switch_to, mob__schedule, mob_yield in src/core/loop.c) fixes it.
 *
 *   gcc -std=c11 -O2 -flto -Iinclude -Isrc -Ibuild/gen -D_POSIX_C_SOURCE=200809L \
 *       tests/lto_statics.c src/core/\*.c platform/{clock,stack,san,ctx_asm,poll_epoll}.c \
 *       platform/switch_x86_64.S -lm -o /tmp/lto_statics && /tmp/lto_statics
 */
#include <stdio.h>

#include "mob.h"

static int turns;
static int seen_by_b;

static intptr_t a(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        turns++;
        mob_yield(self);
    }
    return 0;
}

static intptr_t b(mob_bot *self, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        seen_by_b += turns;
        mob_yield(self);
    }
    return 0;
}

int main(void)
{
    mob_loop *l = mob_loop_new(NULL);
    mob_spawn(l, a, NULL);
    mob_spawn(l, b, NULL);
    mob_loop_run(l);
    mob_loop_free(l);
    printf("turns=%d seen_by_b=%d (expect 3 and 6)\n", turns, seen_by_b);
    return seen_by_b != 6;
}
