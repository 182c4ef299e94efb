/* SPDX-License-Identifier: MIT */
/*
 * tcp.c: the suite behind `mob tcp://HOST:PORT`: echo bots. Each run writes --size bytes (a
 * fixed pattern) on the bot's connection and reads them back, checking every byte; the
 * connection is opened on the first run and after any failure. A wrong byte is a protocol
 * failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

/* One tcp:// target and its suite (ud points back here): several targets, several kinds. */
struct tcp_target {
    mob_suite suite;
    char host[256];
    int port;
    unsigned char *pattern;  /* made by the global setup, freed by its teardown */
    size_t size; /* --size (mob_suite_args), read when the suite is chosen */
};

struct tcp_state {
    int fd;
};

static int tcp_global_setup(const mob_options *o, void **ud)
{
    (void)o;
    struct tcp_target *tcp = *ud;
    tcp->pattern = MOB_MALLOC(tcp->size);
    if (!tcp->pattern)
        return -ENOMEM;
    for (size_t i = 0; i < tcp->size; i++)
        tcp->pattern[i] = (unsigned char)('a' + i % 26);
    return 0;
}

static int tcp_global_teardown(const mob_options *o, void *ud)
{
    (void)o;
    struct tcp_target *tcp = ud;
    MOB_FREE(tcp->pattern);
    tcp->pattern = NULL;
    return 0;
}

static int tcp_bot_setup(mob_worker *w)
{
    ((struct tcp_state *)w->state)->fd = -1;
    return 0;
}

static int fail(mob_worker *w, struct tcp_state *st, int rc, int cls)
{
    if (st->fd >= 0)
        mob_close(w->bot, st->fd);
    st->fd = -1;
    if (rc == -ECANCELED || rc == -ETIMEDOUT)
        return rc; /* the runner classifies these */
    return cls;
}

static int tcp_echo(mob_worker *w)
{
    struct tcp_state *st = w->state;
    const struct tcp_target *tcp = w->ud;
    if (st->fd < 0) {
        int fd = mob_tcp_connect(w->bot, tcp->host, tcp->port, NULL, w->deadline);
        if (fd < 0)
            return fail(w, st, fd, MOB_FAIL_CONNECT);
        st->fd = fd;
    }
    ssize_t r = mob_write_all(w->bot, st->fd, tcp->pattern, tcp->size, w->deadline);
    if (r < 0)
        return fail(w, st, (int)r, MOB_FAIL_WRITE);
    unsigned char buf[2048];
    size_t got = 0;
    while (got < tcp->size) {
        size_t want = tcp->size - got < sizeof buf ? tcp->size - got : sizeof buf;
        r = mob_read(w->bot, st->fd, buf, want, w->deadline);
        if (r <= 0)
            return fail(w, st, (int)r, MOB_FAIL_READ);
        if (memcmp(buf, tcp->pattern + got, (size_t)r) != 0)
            return fail(w, st, 0, MOB_FAIL_PROTOCOL);
        got += (size_t)r;
    }
    return 0;
}

static const mob_scenario tcp_scenarios[] = {
    {"echo", tcp_echo, 1, 0},
    {NULL, NULL, 0, 0},
};

/* The target into tcp; 0, or -1 with a message in err. */
static int tcp_make(void *instance, const char *target, const mob_suite_args *args, char *err,
                    size_t errlen)
{
    struct tcp_target *tcp = instance;
    if (mob__suite_host_port(target + 6, tcp->host, sizeof tcp->host, &tcp->port, NULL, 0) < 0) {
        snprintf(err, errlen, "bad URL '%s' (want tcp://HOST:PORT)", target);
        return -1;
    }
    if (mob__suite_resolve(tcp->host, tcp->port, target, err, errlen) < 0)
        return -1;
    tcp->size = args->payload_size ? args->payload_size : 64;
    tcp->suite = (mob_suite){
        .name = "tcp-echo",
        .scenarios = tcp_scenarios,
        .global_setup = tcp_global_setup,
        .global_teardown = tcp_global_teardown,
        .bot_setup = tcp_bot_setup,
        .state_size = sizeof(struct tcp_state),
        .ud = tcp,
        .release = mob__suite_release,
    };
    return 0;
}

const mob_suite *mob__suite_tcp(const char *target, const mob_suite_args *args, char *err,
                                size_t errlen)
{
    return mob__suite_new(sizeof(struct tcp_target), tcp_make, NULL, target, args, err,
                          errlen);
}
