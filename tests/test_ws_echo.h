/* SPDX-License-Identifier: MIT */
/*
 * test_ws_echo.h: the WebSocket echo server the tests aim ws:// and wss:// bots at, built on
 * mob_ws_accept: every message comes back as it came, until the client closes. test_suites.c
 * runs it in a forked child beside the arena; test_wss.c and test_ws_close.c run it in a
 * thread of its own (for wss://, behind the TLS test server (test_tls_server.h) forwarding to
 * it). The thread's server counts how its connections ended, so that the tests can tell
 * whether every client said goodbye and with which close code.
 */
#ifndef MOB_TEST_WS_ECHO_H
#define MOB_TEST_WS_ECHO_H

#include "mob.h"

/* How the thread's server behaves after the opening handshake. */
enum test_ws_echo_mode {
    TEST_WS_ECHO,  /* echoes, answers a close with a close */
    TEST_WS_MUTE,  /* echoes, but answers a close with nothing: it holds the connection until
                      the client leaves (a server that never completes the closing handshake) */
    TEST_WS_DEAF   /* never reads again, with the smallest receive buffer: the client's
                      writes fill the socket */
};

/* How the thread's connections ended so far. A close is counted under its code; `abnormal`
 * is a stream that ended without a close frame (what a server logs as 1006). */
struct test_ws_closes {
    int opened;     /* handshakes answered */
    int ended;      /* connections that ended, whichever way */
    int normal;     /* 1000 */
    int going_away; /* 1001 */
    int other;      /* any other code, or a close without one */
    int abnormal;   /* no close frame */
};

/* Spawns the acceptor on lfd (a listening socket the host made) in loop: one bot per
 * connection, until the acceptor is cancelled. */
void test_ws_echo_serve(mob_loop *loop, int lfd);

/* Listens on an ephemeral port of 127.0.0.1 and serves echoes from a thread with a loop of
 * its own, until the process ends. Returns the port (asserted). */
int test_ws_echo_thread(void);
/* The same in one of the modes above (one mode per test process). */
int test_ws_echo_thread_mode(enum test_ws_echo_mode mode);

/* The thread's counts, once every connection opened so far has ended or 3 s have passed. */
struct test_ws_closes test_ws_echo_closes(void);

#endif /* MOB_TEST_WS_ECHO_H */
