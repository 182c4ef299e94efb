/* SPDX-License-Identifier: MIT */
/*
 * gdb_bots.c: the program tools/gdb/test.sh stops under gdb to check tools/gdb/mob.py. Seven
 * bots, each waiting on something different when bot 6 calls stop_here() (where gdb has a
 * breakpoint): a sleep, an fd, an event, the mailbox, a join, a deep stack, and bot 6 itself
 * running. Then bot 6 wakes or cancels them all and the program prints "gdb_bots: done" and
 * exits 0, which shows that looking at the bots left the process as it was. Runs the same
 * without gdb.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mob.h"

static int sv[2];
static mob_event *ev;
static mob_bot *bots[7];

/* gdb puts its breakpoint here; noinline keeps the symbol and the call. */
__attribute__((noinline)) void stop_here(void);
__attribute__((noinline)) void stop_here(void) { __asm__ volatile("" ::: "memory"); }

static intptr_t sleeper(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_sleep(self, 60 * MOB_NS_PER_SEC);
}

static intptr_t reader(mob_bot *self, void *arg)
{
    (void)arg;
    char buf[16];
    ssize_t n = mob_read(self, sv[0], buf, sizeof buf, MOB_FOREVER);
    mob_close(self, sv[0]);
    return n;
}

static intptr_t waiter(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_event_wait(self, ev, MOB_FOREVER);
}

static intptr_t receiver(mob_bot *self, void *arg)
{
    (void)arg;
    mob_msg m;
    return mob_recv(self, &m, NULL, MOB_FOREVER);
}

static intptr_t joiner(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_join(self, bots[0], NULL, MOB_FOREVER);
}

/* Recursion that the optimiser keeps: each frame has a buffer it reads after the call. */
__attribute__((noinline)) static int dive(mob_bot *self, int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth == 0)
        return mob_event_wait(self, ev, MOB_FOREVER) + pad[0];
    return dive(self, depth - 1) + pad[0];
}

static intptr_t diver(mob_bot *self, void *arg)
{
    (void)arg;
    return dive(self, 5);
}

static intptr_t stopper(mob_bot *self, void *arg)
{
    (void)arg;
    mob_yield(self); /* the others run to their waits */
    stop_here();
    mob_send(self, 3, 0, "x", 1);
    if (write(sv[1], "x", 1) != 1)
        return -1;
    mob_event_set(ev);
    mob_cancel(bots[0]);
    return 0;
}

int main(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
        return perror("socketpair"), 1;
    mob_loop *loop = mob_loop_new(NULL);
    ev = mob_event_new(loop);
    mob_bot_fn fns[7] = {sleeper, reader, waiter, receiver, joiner, diver, stopper};
    for (int i = 0; i < 7; i++)
        bots[i] = mob_spawn(loop, fns[i], NULL);
    int rc = mob_loop_run(loop);
    mob_event_free(ev);
    int leaks = mob_loop_free(loop);
    printf("gdb_bots: %s\n", rc == 0 && leaks == 0 ? "done" : "FAILED");
    return rc == 0 && leaks == 0 ? 0 : 1;
}
