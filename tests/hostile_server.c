/* SPDX-License-Identifier: MIT */
/*
 * hostile_server.c: an HTTP server that misbehaves on purpose, one way per mode, for the
 * hostile-server suite (tests/test_hostile.c) and for trying `mob` by hand:
 *
 *     build/tests/hostile MODE        prints its port on the first line of stdout, then serves
 *     build/mob http://127.0.0.1:PORT/ -w 4 -d 1s --timeout 500ms
 *
 * It listens on 127.0.0.1 only, on an ephemeral port, and handles each connection in a
 * thread of its own with plain blocking calls: nothing of mob runs here, so a bug in the
 * runtime cannot hide a bug in how mob meets a bad server. It stops by itself: when its
 * parent dies (Linux), and after --lifetime seconds in any case (default 120).
 *
 * `build/tests/hostile --list` prints the modes. What each one does is in `modes[]` below.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* SIGPIPE is ignored anyway */
#endif

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Writes all of buf; returns 0, or -1 once the peer is gone. */
static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/*
 * Reads one request head (up to the blank line; mob's GET has no body). Returns 0, or -1 when
 * the peer closed or failed first. Bytes past the head stay in r for the next call.
 */
struct reader {
    char buf[8192];
    size_t have;
};

static int read_request(int fd, struct reader *r)
{
    for (;;) {
        char *end = NULL;
        for (size_t i = 0; i + 1 < r->have; i++) {
            if (r->buf[i] == '\n' && (r->buf[i + 1] == '\n' ||
                                      (r->buf[i + 1] == '\r' && i + 2 < r->have &&
                                       r->buf[i + 2] == '\n'))) {
                end = r->buf + i + (r->buf[i + 1] == '\n' ? 2 : 3);
                break;
            }
        }
        if (end) {
            size_t used = (size_t)(end - r->buf);
            memmove(r->buf, end, r->have - used);
            r->have -= used;
            return 0;
        }
        if (r->have == sizeof r->buf)
            r->have = 0; /* an absurd request: drop it and keep looking */
        ssize_t n = recv(fd, r->buf + r->have, sizeof r->buf - r->have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        r->have += (size_t)n;
    }
}

/* Waits, without reading a byte, until the peer closes (or 1 h). */
static void wait_peer_gone(int fd)
{
#ifdef POLLRDHUP
    struct pollfd p = {fd, POLLRDHUP, 0};
    while (poll(&p, 1, 3600 * 1000) < 0 && errno == EINTR)
        ;
#else
    (void)fd;
    sleep(3600);
#endif
}

/* Reads and drops everything until the peer closes. */
static void drain(int fd)
{
    char buf[4096];
    while (recv(fd, buf, sizeof buf, 0) > 0)
        ;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Answers every request on the connection with the same bytes (keep-alive). */
static void answer_each(int fd, const char *resp, size_t len)
{
    struct reader r = {.have = 0};
    while (read_request(fd, &r) == 0)
        if (send_all(fd, resp, len) < 0)
            return;
}

#define ANSWER_EACH(fd, lit) answer_each((fd), (lit), sizeof(lit) - 1)

static void m_refused(int fd)
{
    (void)fd; /* never called: the port has no listener */
}

static void m_reset(int fd)
{
    struct reader r = {.have = 0};
    if (read_request(fd, &r) < 0)
        return;
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial body");
    pause_ms(20);
    struct linger lg = {1, 0}; /* close() then sends RST instead of FIN */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void m_close(int fd)
{
    (void)fd; /* the caller closes it at once */
}

static void m_hang(int fd)
{
    drain(fd); /* reads every request, answers none */
}

static void m_drip(int fd)
{
    struct reader r = {.have = 0};
    while (read_request(fd, &r) == 0) {
        for (const char *p = ok_response; *p; p++) {
            if (send_all(fd, p, 1) < 0)
                return;
            pause_ms(1000);
        }
    }
}

static void m_noread(int fd)
{
    wait_peer_gone(fd);
}

/* A body that never ends, as fast as the peer takes it. */
static void endless(int fd, const char *head, int chunked)
{
    struct reader r = {.have = 0};
    if (read_request(fd, &r) < 0 || send_str(fd, head) < 0)
        return;
    char chunk[4096 + 16];
    size_t n = 0;
    if (chunked)
        n += (size_t)snprintf(chunk, sizeof chunk, "%x\r\n", 4096);
    memset(chunk + n, 'x', 4096);
    n += 4096;
    if (chunked) {
        memcpy(chunk + n, "\r\n", 2);
        n += 2;
    }
    while (send_all(fd, chunk, n) == 0)
        ;
}

static void m_endless_chunked(int fd)
{
    endless(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1);
}

static void m_endless_close(int fd)
{
    endless(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 0);
}

static void m_garbage(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 OK 200 \x01\x02 garbage\r\nContent-Length: 2\r\n\r\nok");
}

static void m_big_header(int fd)
{
    struct reader r = {.have = 0};
    if (read_request(fd, &r) < 0 || send_str(fd, "HTTP/1.1 200 OK\r\nX-Big: ") < 0)
        return;
    static char block[65536];
    memset(block, 'a', sizeof block);
    for (int i = 0; i < 160; i++) /* 10 MiB of one header value */
        if (send_all(fd, block, sizeof block) < 0)
            return;
    send_str(fd, "\r\nContent-Length: 2\r\n\r\nok");
    drain(fd);
}

static void m_huge_length(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\nok");
}

static void m_bad_chunk(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
}

static void m_close_after_headers(int fd)
{
    struct reader r = {.have = 0};
    if (read_request(fd, &r) == 0)
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
}

static void m_bare_lf(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
}

static void m_continue(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

static void m_204(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 204 No Content\r\n\r\n");
}

/* 204 and 304 end at the blank line whatever the fields say (RFC 9112, 6.3): the body that
 * follows is stray bytes on a connection with no request outstanding. */
static void m_204_body(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nbody");
}

static void m_304(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
}

static void m_304_body(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nbody");
}

static void m_doubled(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

static void m_ok(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

/* A text body of 3,000 bytes, "0123456789" over and over, under two header fields of its
 * own: what -vv shows of a response and where it cuts the body (tests/test_events_vv.c). */
static void m_long_body(int fd)
{
    char resp[3200];
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "X-Mob-Test: long\r\nContent-Length: 3000\r\n\r\n");
    for (int i = 0; i < 3000; i++)
        resp[n + i] = (char)('0' + i % 10);
    answer_each(fd, resp, (size_t)n + 3000);
}

/* A body of bytes no terminal should get raw: NUL, ESC (a screen-clearing sequence), 0xff. */
static void m_binary_body(int fd)
{
    ANSWER_EACH(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n\x00\x01\x1b[2Jok\xff\\");
}

/* Mode cap[:N]: a server with room for N connections at once (default 10). Those are served;
 * a connection that finds no room gets a keep-alive 503 to every request. Every answer, 200
 * or 503, goes out 1 ms after its request, so each bot's pace is the server's and the same
 * for all: the failed share of the runs follows the share of the bots past the room. */
static int cap_room = 10, cap_used;

static void m_cap(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno";
    int mine = __atomic_add_fetch(&cap_used, 1, __ATOMIC_SEQ_CST) <= cap_room;
    if (!mine)
        __atomic_sub_fetch(&cap_used, 1, __ATOMIC_SEQ_CST);
    struct reader r = {.have = 0};
    while (read_request(fd, &r) == 0) {
        pause_ms(1);
        if (send_str(fd, mine ? ok_response : busy) < 0)
            break;
    }
    if (mine)
        __atomic_sub_fetch(&cap_used, 1, __ATOMIC_SEQ_CST);
}

static const struct mode {
    const char *name;
    void (*serve)(int fd);
    const char *what;
} modes[] = {
    {"refused", m_refused, "nothing listens on the port"},
    {"reset", m_reset, "part of a response, then a TCP reset"},
    {"accept-close", m_close, "accept, then close at once"},
    {"hang", m_hang, "read every request, answer none"},
    {"drip", m_drip, "a valid response, one byte a second"},
    {"no-read", m_noread, "never read the request, never answer"},
    {"endless-chunked", m_endless_chunked, "a chunked body that never ends"},
    {"endless-close", m_endless_close, "a body delimited by close, never closed"},
    {"garbage-status", m_garbage, "a status line that is not one"},
    {"big-header", m_big_header, "a 10 MiB header field"},
    {"huge-length", m_huge_length, "a Content-Length past 2^64"},
    {"bad-chunk", m_bad_chunk, "a chunk size that is not hex"},
    {"close-after-headers", m_close_after_headers, "a head announcing 100 bytes, then close"},
    {"bare-lf", m_bare_lf, "a valid response with bare LF line ends"},
    {"continue", m_continue, "100 Continue, then 200"},
    {"204", m_204, "204 with no body"},
    {"204-body", m_204_body, "204 followed by 4 body bytes"},
    {"304", m_304, "304 with no body"},
    {"304-body", m_304_body, "304 followed by 4 body bytes"},
    {"doubled", m_doubled, "two responses to each request"},
    {"ok", m_ok, "a well-behaved server (the control)"},
    {"long-body", m_long_body, "200 with a 3,000-byte text body and two fields of its own"},
    {"binary-body", m_binary_body, "200 with a body of NUL, ESC [2J, 0xff and a backslash"},
    {"cap", m_cap, "cap[:N]: room for N connections at once (10), 503 to the rest; 1 ms each"},
    {NULL, NULL, NULL},
};

static const struct mode *mode;

static void *conn_thread(void *arg)
{
    int fd = (int)(intptr_t)arg;
    mode->serve(fd);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    int lifetime = 120;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (const struct mode *m = modes; m->name; m++)
                printf("%-20s %s\n", m->name, m->what);
            return 0;
        } else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc) {
            lifetime = atoi(argv[++i]);
        } else {
            name = argv[i];
        }
    }
    const char *param = name ? strchr(name, ':') : NULL; /* MODE:N, for cap */
    size_t nl = param ? (size_t)(param - name) : name ? strlen(name) : 0;
    for (const struct mode *m = modes; name && m->name; m++)
        if (strlen(m->name) == nl && strncmp(m->name, name, nl) == 0)
            mode = m;
    if (mode && param)
        cap_room = mode->serve == m_cap ? atoi(param + 1) : -1;
    if (cap_room < 0) {
        fprintf(stderr, "hostile: only cap takes a number (cap:N)\n");
        return 2;
    }
    if (!mode) {
        fprintf(stderr, "usage: hostile [--lifetime SECONDS] MODE (--list for the modes)\n");
        return 2;
    }
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)(lifetime > 0 ? lifetime : 120)); /* never outlives a stuck test */

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &len) < 0) {
        perror("hostile: bind");
        return 1;
    }
    if (mode->serve == m_refused) {
        /* The port was ours a moment ago and nothing listens on it now: a connect there is
         * refused (another process taking it in between is possible but unlikely). */
        close(lfd);
    } else if (listen(lfd, 1024) < 0) {
        perror("hostile: listen");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    if (mode->serve == m_refused) {
        pause();
        return 0;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                pause_ms(10); /* out of files: let connections end first */
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            perror("hostile: accept");
            return 1;
        }
        if (mode->serve == m_close) {
            close(fd);
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, &attr, conn_thread, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
}
