/* SPDX-License-Identifier: MIT */
/*
 * dial.c: the one "connect, then TLS when asked" step of every client in src/proto (the HTTP
 * client, the WebSocket client), so that https:// and wss:// open their connections the same
 * way: a TCP (or Unix) connect, then, when the caller's mob_tls_conn carries a context, the
 * handshake over the new socket with the bot's last session offered for resumption. Where it
 * failed comes back as a phase, because a reset during the handshake is a TLS failure while
 * the same errno on an established connection is a read failure.
 *
 * Read next: src/proto/tls.c (the handshake), src/proto/http_client.c and ws_conn.c (callers).
 */
#include "mob_tls.h"

int mob_tls_dial(mob_bot *self, mob_tls_conn *t, const struct sockaddr *addr, socklen_t addrlen,
                 const mob_connect_options *copt, const char *server_name, int64_t deadline,
                 int *phase)
{
    int where = MOB_PHASE_CONNECT;
    int fd = mob_connect(self, addr, addrlen, copt, deadline);
    if (fd >= 0 && t && t->ctx) {
        where = MOB_PHASE_TLS;
        int rc = mob_tls_handshake(self, t, fd, server_name, deadline);
        if (rc < 0) {
            /* Frees the failed connection but keeps the session: a later dial may resume. */
            mob_tls_close(self, t);
            mob_close(self, fd);
            fd = rc;
        }
    }
    if (phase)
        *phase = where;
    return fd;
}
