/* SPDX-License-Identifier: MIT */
/*
 * 02-yield.c: taking turns. mob_yield() stops the bot where it is and lets the others run;
 * the bot resumes right after the call on its next turn, with its stack (locals, call chain)
 * intact. With one yield between the two prints, bot 0 prints its first line, bot 1 its
 * first, then both their second lines: cooperative threading on one thread.
 *
 * Both scheduling modes give this order. In the default free-running mode, mob_yield puts the
 * bot at the back of the ready queue; in lockstep mode (MOB_LOCKSTEP, testtoolkit's
 * main_loop) it ends the bot's part of the current tick, and each tick runs the bots in id
 * order. testtoolkit's second README example. Next: 03-talk.c.
 */
#include <stdio.h>

#include "mob.h"

static intptr_t print_process(mob_bot *self, void *arg)
{
    (void)arg;
    printf("process %d: %d\n", mob_bot_id(self), 1);
    mob_yield(self); /* testtoolkit's bare `yield` */
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
