/* SPDX-License-Identifier: MIT */
/*
 * test_ws_echo.c: the WebSocket echo server of test_ws_echo.h. Each connection is a bot of its
 * own that owns its fd; the acceptor hands every accepted fd over.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "mob_ws.h"
#include "test_ws_echo.h"

static enum test_ws_echo_mode mode; /* the thread's; the forked server echoes */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct test_ws_closes seen;   /* guarded by mu */

static void count(int *field)
{
    pthread_mutex_lock(&mu);
    (*field)++;
    pthread_mutex_unlock(&mu);
}

/* Counts how a connection ended: mob_ws_recv's last return says it. */
static void count_end(ssize_t n, int code)
{
    if (n != -ENODATA)
        count(&seen.abnormal);
    else if (code == MOB_WS_CLOSE_NORMAL)
        count(&seen.normal);
    else if (code == MOB_WS_CLOSE_GOING_AWAY)
        count(&seen.going_away);
    else
        count(&seen.other);
    count(&seen.ended);
}

/* The mute server's close reply: dropped. */
static int send_nothing(void *ud, const void *bytes, size_t len)
{
    (void)ud, (void)bytes, (void)len;
    return 0;
}

static intptr_t echo_conn(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    uint8_t buf[16384];
    mob_ws ws;
    if (mob_ws_accept(self, &ws, fd, buf, sizeof buf, NULL, MOB_FOREVER) < 0)
        return 0;
    count(&seen.opened);
    if (mode == TEST_WS_DEAF) {
        mob_sleep_until(self, MOB_FOREVER);
        return 0;
    }
    if (mode == TEST_WS_MUTE)
        ws.send_fn = send_nothing; /* only control frames go through it */
    ssize_t n;
    for (;;) {
        const void *d;
        int op;
        n = mob_ws_recv(self, &ws, &d, &op, MOB_FOREVER);
        if (n < 0 || mob_ws_send(self, &ws, op, d, (size_t)n, MOB_FOREVER) < 0)
            break;
    }
    count_end(n, ws.close_code);
    if (mode == TEST_WS_MUTE) {
        while (mob_read(self, fd, buf, sizeof buf, MOB_FOREVER) > 0) /* until the client goes */
            ;
        mob_close(self, fd);
        return 0;
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

int test_ws_echo_thread_mode(enum test_ws_echo_mode m)
{
    mode = m;
    int lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 128);
    cr_assert_geq(lfd, 0, "listen: %s", mob_strerror(lfd));
    if (m == TEST_WS_DEAF) {
        int one = 1; /* the kernel rounds it up to its least; accepted sockets inherit it */
        setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
    }
    int port = mob_local_port(lfd);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, echo_thread, (void *)(intptr_t)lfd), 0);
    pthread_detach(t);
    return port;
}

int test_ws_echo_thread(void)
{
    return test_ws_echo_thread_mode(TEST_WS_ECHO);
}

struct test_ws_closes test_ws_echo_closes(void)
{
    struct test_ws_closes c;
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&mu);
        c = seen;
        pthread_mutex_unlock(&mu);
        if (c.ended >= c.opened)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return c;
}
