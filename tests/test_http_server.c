/* SPDX-License-Identifier: MIT */
/*
 * test_http_server.c: the in-process HTTP server of the client tests (test_http_server.h).
 * No tests here; test_http_client.c drives it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mob.h"
#include "mob_http.h"
#include "test_http_server.h"

struct test_http_server srv;

static const char BIG_LEN[] = "100000";
#define SEC_NS MOB_NS_PER_SEC

static int send_str(mob_bot *self, int fd, const char *s)
{
    return (int)mob_write_all(self, fd, s, strlen(s), mob_now(mob_bot_loop(self)) +
                                                          5 * MOB_NS_PER_SEC);
}

/*
 * The latency-truth server's "answer after exactly 2 ms": mob_sleep to just before the due
 * time, then watch the clock for the rest, blocking the loop thread on purpose (the client
 * under test is parked in its read meanwhile). mob_sleep alone wakes 20-80 us late here (a
 * VM's wake-up from epoll_wait), more than the client's whole share of the 3% budget, and the
 * client is under test here, not the timer.
 */
#define EXACT_MARGIN_NS (300 * MOB_NS_PER_US)

static void wait_exactly(mob_bot *self, int64_t due)
{
    if (due - mob_clock_ns() > EXACT_MARGIN_NS)
        mob_sleep_until(self, due - EXACT_MARGIN_NS);
    while (mob_clock_ns() < due)
        ;
}

/* Answers one request. Returns 0 to keep the connection, 1 to close it. */
static int respond(mob_bot *self, int fd, const mob_http_request_head *rq)
{
    char path[64];
    size_t n = rq->target_len < sizeof path - 1 ? rq->target_len : sizeof path - 1;
    memcpy(path, rq->target, n);
    path[n] = '\0';
    if (!strcmp(path, "/len")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    } else if (!strcmp(path, "/sleep")) {
        int64_t t0 = mob_clock_ns();
        wait_exactly(self, t0 + srv.sleep_ns);
        if (srv.ndelay < (int)(sizeof srv.delay / sizeof srv.delay[0]))
            srv.delay[srv.ndelay++] = mob_clock_ns() - t0;
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    } else if (!strcmp(path, "/head")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    } else if (!strcmp(path, "/chunked")) {
        /* In pieces, with pauses, so the client gets them in separate reads. */
        send_str(self, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhel");
        mob_sleep(self, MOB_NS_PER_MS);
        send_str(self, fd, "lo\r\n6\r\n world\r\n");
        mob_sleep(self, MOB_NS_PER_MS);
        send_str(self, fd, "0\r\nTrailer: t\r\n\r\n");
    } else if (!strcmp(path, "/big")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: ");
        send_str(self, fd, BIG_LEN);
        send_str(self, fd, "\r\n\r\n");
        static char body[BIG_SIZE];
        for (size_t i = 0; i < sizeof body; i++)
            body[i] = (char)('a' + i % 26);
        for (size_t off = 0; off < sizeof body; off += sizeof body / 4) {
            mob_write_all(self, fd, body + off, sizeof body / 4,
                          mob_now(mob_bot_loop(self)) + 5 * MOB_NS_PER_SEC);
            mob_sleep(self, MOB_NS_PER_MS / 2);
        }
    } else if (!strcmp(path, "/close")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        return 1;
    } else if (!strcmp(path, "/eof")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\n\r\nuntil ");
        mob_sleep(self, MOB_NS_PER_MS);
        send_str(self, fd, "close");
        return 1;
    } else if (!strcmp(path, "/idle-close")) {
        /* A keep-alive response, then the server drops the connection anyway, as a server
         * does when its keep-alive timeout passes between two requests. */
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        return 1;
    } else if (!strcmp(path, "/404")) {
        send_str(self, fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
    } else if (!strcmp(path, "/cut")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        return 1;
    } else if (!strcmp(path, "/cut-chunked")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        return 1;
    } else if (!strcmp(path, "/garbage")) {
        send_str(self, fd, "SSH-2.0-OpenSSH_9.6\r\n");
    } else if (!strcmp(path, "/bad-chunk")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    } else if (!strcmp(path, "/extra")) {
        send_str(self, fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
    } else if (!strcmp(path, "/interim")) {
        send_str(self, fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                           "Link: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
                           "\r\nok");
    } else if (!strcmp(path, "/fat-head")) {
        static const char first[] = "HTTP/1.1 200 OK\r\nX-Fat: ";
        static const char last[] = "\r\nContent-Length: 0\r\n\r\n";
        char head[700];
        memset(head, 'f', sizeof head);
        memcpy(head, first, sizeof first - 1);
        memcpy(head + sizeof head - (sizeof last - 1), last, sizeof last - 1);
        mob_write_all(self, fd, head, sizeof head, mob_now(mob_bot_loop(self)) + 5 * SEC_NS);
    } else if (!strcmp(path, "/never")) {
        /* Silence: the handler goes back to reading and sees EOF when the client gives up. */
    } else {
        send_str(self, fd, "HTTP/1.1 500 Unknown Path\r\nContent-Length: 0\r\n\r\n");
    }
    return 0;
}

/* One connection: parse requests with the parser under test, answer each. */
static intptr_t handler(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    char buf[4096];
    size_t end = 0;
    for (;;) {
        mob_http_header hdrs[16];
        mob_http_request_head rq = {.f = {.headers = hdrs, .max_headers = 16}};
        size_t last = 0;
        int n;
        while ((n = mob_http_parse_request(buf, end, last, &rq)) == -2) {
            last = end;
            ssize_t r = mob_read(self, fd, buf + end, sizeof buf - end,
                                 mob_now(mob_bot_loop(self)) + 10 * MOB_NS_PER_SEC);
            if (r <= 0)
                return 0; /* the client closed: done */
            end += (size_t)r;
        }
        if (n < 0)
            return 0;
        size_t used = (size_t)n;
        if (rq.f.body == MOB_HTTP_BODY_LENGTH)
            used += (size_t)rq.f.content_length; /* tests send small bodies in one piece */
        srv.requests++;
        int close_it = respond(self, fd, &rq);
        if (close_it || used > end)
            return 0; /* the fd is closed when the bot returns */
        memmove(buf, buf + used, end - used);
        end -= used;
    }
}

intptr_t test_http_server_main(mob_bot *self, void *arg)
{
    (void)arg;
    int lfd = mob_tcp_listen(self, "127.0.0.1", 0, 128);
    if (lfd < 0)
        return lfd;
    srv.port = mob_local_port(lfd);
    for (;;) {
        int fd = mob_accept(self, lfd, MOB_FOREVER);
        if (fd < 0)
            return 0; /* cancelled by the client when it is done */
        srv.accepts++;
        mob_fd_release(self, fd);
        mob_spawn(mob_bot_loop(self), handler, (void *)(intptr_t)fd);
    }
}
