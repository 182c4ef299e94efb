/* SPDX-License-Identifier: MIT */
/*
 * 01-sequential.c: the smallest mob program. mob_run_bots() makes a loop, spawns two bots
 * running the same function, runs them until both return and frees the loop. A bot is a fiber: it
 * gives the CPU away only when it asks to (02-yield.c). These two never ask, so one thread
 * runs bot 0 to its end, then bot 1.
 *
 * This is testtoolkit's first README example, `system.run(2, system.main_loop, print_process)`.
 * Next: 02-yield.c.
 */
#include <stdio.h>

#include "mob.h"

/* Every bot runs this. `self` is the bot (its id is 0 or 1 here); `arg` is unused. */
static intptr_t print_process(mob_bot *self, void *arg)
{
    (void)arg;
    printf("process %d: %d\n", mob_bot_id(self), 1);
    printf("process %d: %d\n", mob_bot_id(self), 2);
    return 0;
}

int main(void)
{
    int rc;
    mob_run_bots(2, print_process, NULL, &rc);
    if (rc < 0)
        fprintf(stderr, "mob_run_bots: %s\n", mob_strerror(rc));
    return rc < 0;
}
