/* SPDX-License-Identifier: MIT */
/* msg.c: TEMPORARY stub until mailboxes and groups land. */
#include "internal.h"

int mob__msg_init(mob_loop *loop) { (void)loop; return 0; }
void mob__msg_fini(mob_loop *loop) { (void)loop; }
void mob__msg_tick_end(mob_loop *loop) { (void)loop; }
void mob__msg_bot_done(mob_bot *bot) { (void)bot; }
