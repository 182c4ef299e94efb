/* SPDX-License-Identifier: MIT */
/*
 * ws_echo.c: the built-in WebSocket echo bot behind `mob ws://HOST:PORT/PATH`. Each step
 * sends one message and waits for the same bytes back; the CLI times the steps, counts the
 * errors by class and keeps one mob_ws_echo per bot between steps.
 *
 * Read next: src/proto/ws_conn.c (the connection it drives).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mob_ws.h"

int mob_ws_echo_step(mob_bot *self, mob_ws_echo *st, const mob_ws_echo_options *opt,
                     int64_t deadline, int64_t *latency_ns)
{
    mob_loop *loop = mob_bot_loop(self);
    int64_t timeout = opt->timeout_ns > 0 ? opt->timeout_ns : 5 * MOB_NS_PER_SEC;
    size_t size = opt->message_size ? opt->message_size : 32;
    if (size > sizeof st->msg)
        size = sizeof st->msg;
    int64_t t0 = mob_now(loop);
    if (deadline <= 0)
        deadline = t0 + timeout;
    *latency_ns = 0;
    if (!st->connected) {
        int rc = mob_ws_connect(self, &st->ws, opt->host, opt->port,
                                opt->path ? opt->path : "/", NULL, st->buf, sizeof st->buf,
                                deadline);
        if (rc < 0)
            return rc;
        st->connected = 1;
    }
    /* A message that changes every step, so a stale echo cannot pass for a fresh one. */
    int n = snprintf(st->msg, sizeof st->msg, "mob %llu ", (unsigned long long)st->seq++);
    for (size_t i = (size_t)n; i < size; i++)
        st->msg[i] = (char)('a' + i % 26);
    int op = opt->binary ? MOB_WS_BINARY : MOB_WS_TEXT;
    ssize_t w = mob_ws_send(self, &st->ws, op, st->msg, size, deadline);
    const void *d = NULL;
    int rop = 0;
    ssize_t r = w < 0 ? w : mob_ws_recv(self, &st->ws, &d, &rop, deadline);
    int rc = 0;
    if (r < 0)
        rc = (int)r;
    else if ((size_t)r != size || rop != op || memcmp(d, st->msg, size) != 0)
        rc = -EBADMSG;
    if (rc < 0) {
        /* A bad echo is the peer's fault (1002); anything else, the end of the run
         * included, is us going away (1001). */
        int code = rc == -EBADMSG ? MOB_WS_CLOSE_PROTOCOL : MOB_WS_CLOSE_GOING_AWAY;
        mob_ws_close(self, &st->ws, code, mob_now(loop) + MOB_NS_PER_SEC / 10);
        st->connected = 0;
        return rc;
    }
    *latency_ns = mob_now(loop) - t0;
    return 0;
}

void mob_ws_echo_finish(mob_bot *self, mob_ws_echo *st)
{
    if (!st->connected)
        return;
    mob_ws_close(self, &st->ws, MOB_WS_CLOSE_NORMAL,
                 mob_now(mob_bot_loop(self)) + MOB_NS_PER_SEC);
    st->connected = 0;
}
