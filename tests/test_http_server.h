/* SPDX-License-Identifier: MIT */
/*
 * test_http_server.h: the in-process HTTP server that test_http_client.c aims at, made of
 * bots on 127.0.0.1. It answers by request path (see respond() in test_http_server.c), so
 * each test picks the behaviour it needs: content-length, chunked in pieces, close, idle
 * close, 404, a cut body, garbage, silence, a 2 ms delay.
 */
#ifndef MOB_TEST_HTTP_SERVER_H
#define MOB_TEST_HTTP_SERVER_H

#include "mob.h"

#define BIG_SIZE 100000 /* the body of /big */

/* What the server saw, and its knobs; one server per test process. */
struct test_http_server {
    int port;            /* set once it listens */
    mob_bot *acceptor;
    int accepts;
    int requests;
    int64_t sleep_ns;    /* for /sleep */
    int64_t delay[1024]; /* for /sleep: how long the server really took, request to answer */
    int ndelay;
};
extern struct test_http_server srv;

/* The acceptor bot: listens on an ephemeral port of 127.0.0.1 and spawns a handler per
 * connection until it is cancelled. */
intptr_t test_http_server_main(mob_bot *self, void *arg);

#endif /* MOB_TEST_HTTP_SERVER_H */
