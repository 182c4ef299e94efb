/* SPDX-License-Identifier: MIT */
/* io.c: TEMPORARY stub until the socket layer lands: no fds, the poller only sleeps. */
#include <errno.h>
#include <time.h>

#include "internal.h"

int mob__io_init(mob_loop *loop) { (void)loop; return 0; }
void mob__io_fini(mob_loop *loop) { (void)loop; }

int mob__io_poll(mob_loop *loop, int64_t timeout_ns)
{
    (void)loop;
    if (timeout_ns > 0) {
        struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

int mob__io_waiters(const mob_loop *loop) { (void)loop; return 0; }
void mob__io_tick_end(mob_loop *loop) { (void)loop; }
void mob__io_bot_done(mob_bot *bot) { (void)bot; }
int mob__io_check(mob_loop *loop, int report) { (void)loop; (void)report; return 0; }
int mob__io_backend_fd(const mob_loop *loop) { (void)loop; return -1; }
const char *mob_backend_name(void) { return "none"; }
