/* SPDX-License-Identifier: MIT */
/*
 * 07-virtual-clock.c: testing long timeouts in no time. With .virtual_clock set, mob_now() is
 * the loop's own clock rather than the system's. When no bot can run and no socket is
 * awaited, the loop jumps straight to the next deadline, so bots that sleep for half an hour
 * wake at once, in deadline order, and each sees the time it asked for. (A test can also move
 * the clock itself with mob_clock_advance: aioloop-proxy's advance_time.) The last example.
 */
#include <stdio.h>

#include "mob.h"

#define MINUTE (60 * MOB_NS_PER_SEC)

static intptr_t sleeper(mob_bot *self, void *arg)
{
    int64_t minutes = (intptr_t)arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_sleep(self, minutes * MINUTE);
    printf("bot %d woke at minute %ld\n", mob_bot_id(self), (long)(mob_now(loop) / MINUTE));
    return 0;
}

int main(void)
{
    mob_loop_options opt = {.virtual_clock = 1, .virtual_start = 0};
    mob_loop *loop = mob_loop_new(&opt);
    if (!loop)
        return 1;
    int64_t t0 = mob_clock_ns(); /* the real clock, for comparison */

    /* Spawned in one order, woken in deadline order. */
    mob_spawn(loop, sleeper, (void *)(intptr_t)30);
    mob_spawn(loop, sleeper, (void *)(intptr_t)10);
    mob_spawn(loop, sleeper, (void *)(intptr_t)20);
    mob_loop_run(loop);

    int64_t real = mob_clock_ns() - t0;
    printf("virtual time passed: %ld minutes\n", (long)(mob_now(loop) / MINUTE));
    printf("real time passed: %s\n", real < MOB_NS_PER_SEC ? "under a second" : "too long!");
    return mob_loop_free(loop) != 0;
}
