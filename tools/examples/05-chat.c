/* SPDX-License-Identifier: MIT */
/*
 * 05-chat.c: bots that talk over sockets and through mailboxes in one program. Bot 0 is a
 * tiny chat server: it listens on 127.0.0.1 (any free port), tells the clients the port
 * through their mailboxes, and starts one session bot per connection (a bot may spawn bots).
 * A session reads lines from its client and hands each to the server bot's mailbox; the
 * server writes it to every other client. Clients speak in turn: bot 2 speaks once it has
 * heard bot 1, bot 3 once it has heard bots 1 and 2.
 *
 * Every socket call looks blocking to the bot: it tries the system call and, if the socket is
 * not ready, parks the bot until the loop's poller says it is. The whole thing runs in
 * lockstep mode, so the order of the printed lines is fixed: each tick runs the bots in id
 * order and polls the sockets once at its end.
 *
 * Next: 06-generator.c.
 */
#include <stdio.h>
#include <string.h>

#include "mob.h"

#define CLIENTS 3 /* bots 1..3; bot 0 is the server, sessions get ids 4.. */
#define TIMEOUT (5 * MOB_NS_PER_SEC)

enum { PORT = 1, LINE = 2 }; /* mailbox message kinds */

/* What a session hands to the server: which connection spoke, and the line. */
struct line_msg {
    int fd;
    char text[64];
};

static int client_fds[CLIENTS];

/* One per connection: socket lines in, mailbox messages out. */
static intptr_t session(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd); /* closed when this bot returns */
    char storage[256];
    mob_rbuf rb;
    mob_rbuf_init(&rb, fd, storage, sizeof storage);
    char *line;
    ssize_t n;
    while ((n = mob_read_line(self, &rb, &line, mob_now(mob_bot_loop(self)) + TIMEOUT)) >= 0) {
        struct line_msg m = {.fd = fd};
        snprintf(m.text, sizeof m.text, "%s", line);
        mob_send(self, 0, LINE, &m, sizeof m); /* to the server bot */
    }
    return 0; /* -ENODATA: the client hung up */
}

static intptr_t server(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop *loop = mob_bot_loop(self);
    int lfd = mob_tcp_listen(self, "127.0.0.1", 0, 16);
    if (lfd < 0)
        return lfd;
    int port = mob_local_port(lfd);
    printf("server: listening, telling %d clients the port by mailbox\n", CLIENTS);
    mob_send_all(self, PORT, &port, sizeof port);

    for (int i = 0; i < CLIENTS; i++) {
        int fd = mob_accept(self, lfd, mob_now(loop) + TIMEOUT);
        if (fd < 0)
            return fd;
        client_fds[i] = fd;
        mob_spawn(loop, session, (void *)(intptr_t)fd);
    }

    /* Relay: every line a session hands over goes to every other client. */
    for (int said = 0; said < CLIENTS; said++) {
        mob_msg m;
        if (mob_recv(self, &m, NULL, mob_now(loop) + TIMEOUT) < 0)
            return -1;
        const struct line_msg *lm = m.data;
        printf("server: relaying \"%s\"\n", lm->text);
        char out[80];
        int len = snprintf(out, sizeof out, "%s\n", lm->text);
        for (int i = 0; i < CLIENTS; i++)
            if (client_fds[i] != lm->fd)
                mob_write_all(self, client_fds[i], out, (size_t)len, mob_now(loop) + TIMEOUT);
    }
    printf("server: done\n");
    return 0;
}

static intptr_t client(mob_bot *self, void *arg)
{
    (void)arg;
    mob_loop *loop = mob_bot_loop(self);
    int me = mob_bot_id(self);
    int from_server[] = {0};
    mob_filter f = {.from = from_server, .nfrom = 1};
    mob_msg m;
    if (mob_recv(self, &m, &f, mob_now(loop) + TIMEOUT) < 0 || m.kind != PORT)
        return -1;
    int port = *(const int *)m.data;
    int fd = mob_tcp_connect(self, "127.0.0.1", port, NULL, mob_now(loop) + TIMEOUT);
    if (fd < 0)
        return fd;
    printf("bot %d: connected\n", me);

    char storage[256];
    mob_rbuf rb;
    mob_rbuf_init(&rb, fd, storage, sizeof storage);
    for (int turn = 1; turn <= CLIENTS; turn++) {
        if (turn == me) {
            char say[64];
            int len = snprintf(say, sizeof say, "hello from bot %d\n", me);
            printf("bot %d: says \"hello from bot %d\"\n", me, me);
            mob_write_all(self, fd, say, (size_t)len, mob_now(loop) + TIMEOUT);
        } else {
            char *line;
            if (mob_read_line(self, &rb, &line, mob_now(loop) + TIMEOUT) < 0)
                return -1;
            printf("bot %d: heard \"%s\"\n", me, line);
        }
    }
    return 0; /* fd is closed for us: its session sees the end of the stream */
}

int main(void)
{
    mob_loop_options opt = {.mode = MOB_LOCKSTEP};
    mob_loop *loop = mob_loop_new(&opt);
    if (!loop)
        return 1;
    mob_spawn(loop, server, NULL);
    for (int i = 0; i < CLIENTS; i++)
        mob_spawn(loop, client, NULL);
    int rc = mob_loop_run(loop);
    for (int i = 0; i <= CLIENTS; i++)
        if (mob_bot_result(mob_bot_get(loop, i)) != 0)
            rc = -1;
    return (mob_loop_free(loop) != 0 || rc != 0);
}
