/* SPDX-License-Identifier: MIT */
/*
 * test_ws_echo.c: the WebSocket echo server of test_ws_echo.h. Each connection is a bot of its
 * own that owns its fd; the acceptor hands every accepted fd over.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "mob_ws.h"
#include "test_ws_echo.h"

static intptr_t echo_conn(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    uint8_t buf[16384];
    mob_ws ws;
    if (mob_ws_accept(self, &ws, fd, buf, sizeof buf, NULL, MOB_FOREVER) < 0)
        return 0;
    for (;;) {
        const void *d;
        int op;
        ssize_t n = mob_ws_recv(self, &ws, &d, &op, MOB_FOREVER);
        if (n < 0 || mob_ws_send(self, &ws, op, d, (size_t)n, MOB_FOREVER) < 0)
            break;
    }
    mob_ws_close(self, &ws, 0, mob_now(mob_bot_loop(self)) + MOB_NS_PER_SEC / 10);
    return 0;
}

static intptr_t echo_acceptor(mob_bot *self, void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = mob_accept(self, lfd, MOB_FOREVER);
        if (fd == -ECANCELED)
            break;
        if (fd < 0)
            continue;
        mob_fd_release(self, fd);
        mob_spawn(mob_bot_loop(self), echo_conn, (void *)(intptr_t)fd);
    }
    return 0;
}

void test_ws_echo_serve(mob_loop *loop, int lfd)
{
    mob_spawn(loop, echo_acceptor, (void *)(intptr_t)lfd);
}

/* The thread's loop is made here: a loop belongs to the thread that creates it. */
static void *echo_thread(void *arg)
{
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop)
        return NULL;
    test_ws_echo_serve(loop, (int)(intptr_t)arg);
    mob_loop_run(loop);
    return NULL;
}

int test_ws_echo_thread(void)
{
    int lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 128);
    cr_assert_geq(lfd, 0, "listen: %s", mob_strerror(lfd));
    int port = mob_local_port(lfd);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, echo_thread, (void *)(intptr_t)lfd), 0);
    pthread_detach(t);
    return port;
}
