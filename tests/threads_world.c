/* SPDX-License-Identifier: MIT */
/*
 * threads_world.c: two threads, each creating, running and freeing its own loop at the same
 * time, ROUNDS times: a TCP echo server bot and CLIENTS client bots (sockets), a collector that
 * the clients mail (mailboxes), short sleeps (timers). Shared by tests/test_threads.c
 * (Criterion) and tests/tsan_threads.c, the ThreadSanitizer build's own program (Criterion's
 * runner does not start under TSan: its shared arena cannot be mapped there).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mob.h"
#include "threads_world.h"

#define CLIENTS 8
#define ROUNDS 5

struct world {
    int id;
    int lfd, port;
    int echoed;     /* round trips the clients saw right */
    int mail;       /* messages the collector got from the clients */
    int leaks;
    int rounds_done;
};

static intptr_t echo_conn(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    char buf[64];
    ssize_t n;
    while ((n = mob_read(self, fd, buf, sizeof buf, MOB_FOREVER)) > 0)
        if (mob_write_all(self, fd, buf, (size_t)n, MOB_FOREVER) < 0)
            break;
    return 0;
}

static intptr_t server(mob_bot *self, void *arg)
{
    struct world *w = arg;
    for (int i = 0; i < CLIENTS; i++) {
        int fd = mob_accept(self, w->lfd, MOB_FOREVER);
        if (fd < 0)
            return 1;
        mob_fd_release(self, fd);
        mob_spawn(mob_bot_loop(self), echo_conn, (void *)(intptr_t)fd);
    }
    mob_join_children(self, MOB_FOREVER);
    return 0;
}

static intptr_t collector(mob_bot *self, void *arg)
{
    struct world *w = arg;
    mob_msg m;
    for (int i = 0; i < CLIENTS; i++)
        if (mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.len == sizeof(int) &&
            *(const int *)m.data == w->id)
            w->mail++;
    return 0;
}

static intptr_t client(mob_bot *self, void *arg)
{
    struct world *w = arg;
    mob_loop *loop = mob_bot_loop(self);
    mob_sleep(self, (mob_bot_id(self) % 3) * MOB_NS_PER_MS);
    int fd = mob_tcp_connect(self, "127.0.0.1", w->port, NULL, mob_now(loop) + MOB_NS_PER_SEC);
    if (fd < 0)
        return 1;
    char msg[32], back[32];
    int len = snprintf(msg, sizeof msg, "world %d bot %d", w->id, mob_bot_id(self));
    if (mob_write_all(self, fd, msg, (size_t)len, MOB_FOREVER) == len &&
        mob_read_exact(self, fd, back, (size_t)len, mob_now(loop) + MOB_NS_PER_SEC) == len &&
        memcmp(msg, back, (size_t)len) == 0)
        w->echoed++;
    mob_send(self, 1, 0, &w->id, sizeof w->id); /* bot 1 is the collector */
    mob_close(self, fd);
    return 0;
}

static void *world_main(void *arg)
{
    struct world *w = arg;
    for (int r = 0; r < ROUNDS; r++) {
        mob_loop *loop = mob_loop_new(NULL);
        if (!loop)
            return NULL;
        w->lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 64);
        w->port = mob_local_port(w->lfd);
        mob_spawn(loop, server, w);
        mob_spawn(loop, collector, w);
        for (int i = 0; i < CLIENTS; i++)
            mob_spawn(loop, client, w);
        if (mob_loop_run(loop) == 0)
            w->rounds_done++;
        /* The host's listener, which the server waited on: forgotten by this thread's loop
         * (and only by it) and closed. */
        if (mob_close(NULL, w->lfd) != 0)
            w->leaks++;
        w->leaks += mob_loop_free(loop);
    }
    return NULL;
}


int threads_two_worlds(char *err, size_t errlen)
{
    struct world w[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].id = 100 + i;
    }
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, world_main, &w[i]) != 0) {
            snprintf(err, errlen, "pthread_create failed");
            return -1;
        }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        if (w[i].rounds_done != ROUNDS || w[i].echoed != CLIENTS * ROUNDS ||
            w[i].mail != CLIENTS * ROUNDS || w[i].leaks != 0) {
            snprintf(err, errlen, "world %d: %d rounds of %d, %d echoes and %d letters of %d, "
                     "%d leaks", i, w[i].rounds_done, ROUNDS, w[i].echoed, w[i].mail,
                     CLIENTS * ROUNDS, w[i].leaks);
            return -1;
        }
    }
    return 0;
}
