/* SPDX-License-Identifier: MIT */
/* embed_horde.c: the bots of embed_horde.h. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "embed_horde.h"

#define MS MOB_NS_PER_MS

static intptr_t sleeper(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    int64_t t0 = mob_clock_ns();
    if (mob_sleep(self, 30 * MS) == 0)
        h->slept_ns = mob_clock_ns() - t0;
    return 0;
}

static intptr_t writer(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    mob_sleep(self, 20 * MS);
    mob_write_all(self, h->sv[1], "ping", 4, MOB_FOREVER);
    return 0;
}

static intptr_t reader(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    h->n = mob_read(self, h->sv[0], h->got, sizeof h->got - 1, MOB_FOREVER);
    return 0;
}

static intptr_t talker(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    mob_sleep(self, 10 * MS);
    mob_send(self, h->listener_id, 1, "hello", 6);
    return 0;
}

static intptr_t listener(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    mob_msg m;
    if (mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.len <= sizeof h->heard)
        memcpy(h->heard, m.data, m.len);
    return 0;
}

static intptr_t host_waiter(mob_bot *self, void *arg)
{
    struct horde *h = arg;
    mob_msg m;
    if (mob_recv(self, &m, NULL, MOB_FOREVER) == 0 && m.from == -1)
        h->host_heard = 1;
    return 0;
}

void horde_spawn(mob_loop *loop, struct horde *h)
{
    memset(h, 0, sizeof *h);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, h->sv), 0);
    mob_spawn(loop, sleeper, h);
    mob_spawn(loop, writer, h);
    mob_spawn(loop, reader, h);
    h->listener_id = mob_bot_id(mob_spawn(loop, listener, h));
    mob_spawn(loop, talker, h);
    h->waiter_id = mob_bot_id(mob_spawn(loop, host_waiter, h));
}

void horde_host_post(mob_loop *loop, struct horde *h)
{
    cr_assert_eq(mob_post(loop, h->waiter_id, 2, "host", 4), 1);
}

void horde_check(struct horde *h)
{
    cr_assert_geq(h->slept_ns, 30 * MS, "the sleeper slept %lld ns", (long long)h->slept_ns);
    cr_assert_eq(h->n, 4);
    cr_assert_str_eq(h->got, "ping");
    cr_assert_str_eq(h->heard, "hello");
    cr_assert(h->host_heard);
    /* Both ends were waited on by bots: close them through mob so the loop forgets them. */
    cr_assert_eq(mob_close(NULL, h->sv[0]), 0);
    cr_assert_eq(mob_close(NULL, h->sv[1]), 0);
}
