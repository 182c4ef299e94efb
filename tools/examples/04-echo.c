/* SPDX-License-Identifier: MIT */
/*
 * 04-echo: testtoolkit's server example. Two bots in lockstep: bot 0 listens on 127.0.0.1
 * (an ephemeral port), bot 1 connects and sends "hello world", bot 0 prints what it received.
 *
 * Bot 0 polls readiness the testtoolkit way, without blocking: mob_watch an fd, then look at
 * mob_ready once per tick (the snapshot the loop took after the previous tick). Bot 1 uses the
 * blocking style instead: mob_tcp_connect and mob_write_all park the bot until done. Both
 * styles mix freely in one loop.
 */
#include <stdio.h>
#include <string.h>

#include "mob.h"

static int port; /* bot 0 publishes its port here in tick 1; bot 1 runs after it */

static intptr_t server(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop *loop = mob_bot_loop(self);
    int lfd = mob_tcp_listen(self, "127.0.0.1", 0, 8);
    if (lfd < 0)
        return lfd;
    port = mob_local_port(lfd);
    printf("bot 0: listening on 127.0.0.1\n");
    mob_watch(self, lfd);
    while (!(mob_ready(loop, lfd) & MOB_IN)) /* testtoolkit's is_readable */
        mob_yield(self);
    int fd = mob_accept(self, lfd, MOB_NOW); /* ready: does not wait */
    mob_unwatch(self, lfd);
    if (fd < 0)
        return fd;
    mob_watch(self, fd);
    char msg[64];
    size_t got = 0;
    while (got < strlen("hello world")) {
        mob_yield(self);
        if (mob_ready(loop, fd) & MOB_IN) {
            ssize_t n = mob_read(self, fd, msg + got, sizeof msg - 1 - got, MOB_NOW);
            if (n <= 0)
                return n;
            got += (size_t)n;
        }
    }
    msg[got] = '\0';
    printf("bot 0: received \"%s\"\n", msg);
    mob_unwatch(self, fd);
    return 0; /* lfd and fd are closed with the bot */
}

static intptr_t client(mob_bot *self, void *arg)
{
    (void)arg;
    int64_t deadline = mob_now(mob_bot_loop(self)) + 2 * MOB_NS_PER_SEC;
    int fd = mob_tcp_connect(self, "127.0.0.1", port, NULL, deadline);
    if (fd < 0)
        return fd;
    if (mob_write_all(self, fd, "hello world", 11, deadline) != 11)
        return -1;
    printf("bot 1: sent \"hello world\"\n");
    mob_yield(self);
    return 0;
}

int main(void)
{
    mob_loop *loop = mob_loop_new(&(mob_loop_options){.mode = MOB_LOCKSTEP});
    mob_spawn(loop, server, NULL);
    mob_spawn(loop, client, NULL);
    int rc = mob_loop_run(loop);
    int failed = mob_bot_result(mob_bot_get(loop, 0)) != 0 ||
                 mob_bot_result(mob_bot_get(loop, 1)) != 0;
    return mob_loop_free(loop) != 0 || rc != 0 || failed;
}
