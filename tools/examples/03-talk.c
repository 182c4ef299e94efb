/* SPDX-License-Identifier: MIT */
/*
 * 03-talk.c: bots talking to each other. Four bots pair up in groups (bot p joins group p/2).
 * The even bot of each pair sends "Hello" to its group, which reaches the odd bot (a sender
 * never receives its own message); the odd bot waits for it and prints it.
 *
 * This runs in lockstep mode, testtoolkit's deterministic main loop: in each tick every bot
 * runs to its next yield in id order, and a message sent in a tick is seen from the next
 * tick on, whatever the order of sender and receiver. So both sends print before both
 * receives. (In free-running mode a message is delivered at once, and bot 1 would print right
 * after bot 0.) testtoolkit's test_example. Next: 04-echo.c (sockets).
 */
#include <stdio.h>

#include "mob.h"

static intptr_t talk(mob_bot *self, void *arg)
{
    (void)arg;
    int me = mob_bot_id(self), group = me / 2;

    /* Groups are plain integers; joining takes effect at once. */
    mob_group_join(self, group);
    mob_yield(self); /* end of tick 1: every bot has joined */

    if (me % 2 == 0) {
        int members[4];
        int n = mob_group_members(mob_bot_loop(self), group, members, 4);
        mob_send_group(self, group, 0, "Hello", 5); /* a copy goes to each other member */
        for (int i = 0; i < n; i++)
            if (members[i] != me)
                printf("process %d: sent \"Hello\" to process %d\n", me, members[i]);
    } else {
        /* Poll, as testtoolkit does. mob_recv(self, &m, NULL, MOB_FOREVER) would sleep until
         * the message arrives instead. */
        while (!mob_has_message(self, NULL))
            mob_yield(self);
        mob_msg m;
        mob_try_recv(self, &m, NULL); /* m.data stays valid until our next receive */
        printf("process %d: received \"%.*s\" from process %d\n", me, (int)m.len,
               (const char *)m.data, m.from);
    }
    return 0;
}

int main(void)
{
    mob_run_bots_options opt = {.mode = MOB_LOCKSTEP};
    int rc;
    mob_run_bots(4, talk, &opt, &rc);
    if (rc < 0)
        fprintf(stderr, "mob_run_bots: %s\n", mob_strerror(rc));
    return rc < 0;
}
