/* SPDX-License-Identifier: MIT */
/*
 * test_ws_echo.h: the WebSocket echo server the tests aim ws:// and wss:// bots at, built on
 * mob_ws_accept: every message comes back as it came, until the client closes. test_suites.c
 * runs it in a forked child beside the arena; test_wss.c runs it in a thread of its own, behind
 * the TLS test server (test_tls_server.h) forwarding to it.
 */
#ifndef MOB_TEST_WS_ECHO_H
#define MOB_TEST_WS_ECHO_H

#include "mob.h"

/* Spawns the acceptor on lfd (a listening socket the host made) in loop: one bot per
 * connection, until the acceptor is cancelled. */
void test_ws_echo_serve(mob_loop *loop, int lfd);

/* Listens on an ephemeral port of 127.0.0.1 and serves echoes from a thread with a loop of
 * its own, until the process ends. Returns the port (asserted). */
int test_ws_echo_thread(void);

#endif /* MOB_TEST_WS_ECHO_H */
