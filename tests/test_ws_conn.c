/* SPDX-License-Identifier: MIT */
/*
 * test_ws_conn.c: WebSocket connections in one loop: our client against our server side,
 * then each side against a hand-built hostile peer that speaks raw bytes (bad handshakes,
 * unmasked client frames, oversize frames, fragmented control frames, bad UTF-8, abrupt
 * close). Every failure must be a clean return and the right close code on the wire.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mob.h"
#include "mob_ws.h"

#define SEC MOB_NS_PER_SEC

static int64_t soon(mob_bot *self) { return mob_now(mob_bot_loop(self)) + 3 * SEC; }

struct harness {
    int lfd, port;
    /* what the server side saw */
    ssize_t srv_rc[16];
    int srv_n;
    int srv_close_code;
    uint64_t srv_pings;
    size_t srv_lens[16];
    int srv_ops[16];
    int srv_accept_rc;
    /* what the client side saw */
    int cli_rc;
    ssize_t cli_recv_rc;
    int cli_close_code;
    uint8_t raw[512];  /* bytes a raw peer read back */
    ssize_t raw_len;
};

/* Reads a raw peer's bytes until EOF or the buffer is full. */
static ssize_t read_all(mob_bot *self, int fd, uint8_t *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = mob_read(self, fd, buf + got, cap - got, soon(self));
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* ---- our client against our server ----------------------------------------------------- */

static intptr_t echo_server(mob_bot *self, void *arg)
{
    struct harness *h = arg;
    int fd = mob_accept(self, h->lfd, soon(self));
    if (fd < 0)
        return fd;
    static uint8_t buf[256 * 1024];
    mob_ws ws;
    mob_ws_request req;
    h->srv_accept_rc = mob_ws_accept(self, &ws, fd, buf, sizeof buf, &req, soon(self));
    if (h->srv_accept_rc < 0)
        return 0;
    for (;;) {
        const void *d;
        int op;
        ssize_t n = mob_ws_recv(self, &ws, &d, &op, soon(self));
        h->srv_rc[h->srv_n] = n;
        if (n < 0)
            break;
        h->srv_lens[h->srv_n] = (size_t)n;
        h->srv_ops[h->srv_n++] = op;
        mob_ws_send(self, &ws, op, d, (size_t)n, soon(self));
    }
    h->srv_close_code = ws.close_code;
    h->srv_pings = ws.pings_answered;
    mob_ws_close(self, &ws, 0, soon(self));
    return 0;
}

struct client_case {
    struct harness *h;
    int ok;
};

static intptr_t echo_client(mob_bot *self, void *arg)
{
    struct client_case *cc = arg;
    struct harness *h = cc->h;
    static uint8_t buf[256 * 1024];
    static uint8_t big[100000], text[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31);
    memset(text, 'a', sizeof text); /* valid UTF-8 */
    mob_ws ws;
    h->cli_rc = mob_ws_connect(self, &ws, "127.0.0.1", h->port, "/echo", NULL, buf, sizeof buf,
                               soon(self));
    if (h->cli_rc < 0)
        return 0;
    static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 100000};
    int ok = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int op = i % 2 ? MOB_WS_BINARY : MOB_WS_TEXT;
        const uint8_t *msg = op == MOB_WS_TEXT ? text : big;
        /* Ping before every message: the server answers, our recv drops the pong. */
        mob_ws_send(self, &ws, MOB_WS_PING, "hi", 2, soon(self));
        ssize_t w = i == 6 ? mob_ws_send_fragmented(self, &ws, op, msg, sizes[i], 7000,
                                                     soon(self))
                           : mob_ws_send(self, &ws, op, msg, sizes[i], soon(self));
        const void *d;
        int rop;
        ssize_t n = mob_ws_recv(self, &ws, &d, &rop, soon(self));
        cr_expect_eq(w, (ssize_t)sizes[i]);
        cr_expect_eq(n, (ssize_t)sizes[i], "size %zu: got %zd", sizes[i], n);
        if (n == (ssize_t)sizes[i] && rop == op && memcmp(d, msg, (size_t)n) == 0)
            ok++;
    }
    cc->ok = ok;
    h->cli_rc = mob_ws_close(self, &ws, MOB_WS_CLOSE_NORMAL, soon(self));
    return 0;
}

static void setup_listener(mob_loop **loop, struct harness *h)
{
    *loop = mob_loop_new(NULL);
    cr_assert(*loop);
    memset(h, 0, sizeof *h);
    h->lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    cr_assert_geq(h->lfd, 0);
    h->port = mob_local_port(h->lfd);
}

Test(ws_conn, client_and_server_echo_every_size_with_pings_fragments_and_close,
     .timeout = 10)
{
    mob_loop *loop;
    struct harness h;
    setup_listener(&loop, &h);
    struct client_case cc = {&h, 0};
    mob_spawn(loop, echo_server, &h);
    mob_spawn(loop, echo_client, &cc);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, h.lfd);
    cr_assert_eq(h.srv_accept_rc, 0);
    cr_assert_eq(cc.ok, 7, "echoed %d of 7 messages", cc.ok);
    cr_assert_eq(h.srv_n, 7);
    cr_assert_eq(h.srv_lens[6], 100000u, "fragments were reassembled");
    cr_assert_eq(h.srv_pings, 7u);
    cr_assert_eq(h.srv_rc[7], -ENODATA, "the server saw a clean close");
    cr_assert_eq(h.srv_close_code, MOB_WS_CLOSE_NORMAL);
    cr_assert_eq(h.cli_rc, 0, "the client's close was answered");
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---- hostile client against our server ------------------------------------------------- */

static intptr_t plain_server(mob_bot *self, void *arg)
{
    struct harness *h = arg;
    int fd = mob_accept(self, h->lfd, soon(self));
    if (fd < 0)
        return fd;
    static uint8_t buf[4096];
    mob_ws ws;
    h->srv_accept_rc = mob_ws_accept(self, &ws, fd, buf, sizeof buf, NULL, soon(self));
    if (h->srv_accept_rc < 0) {
        mob_close(self, fd);
        return 0;
    }
    const void *d;
    h->srv_rc[0] = mob_ws_recv(self, &ws, &d, NULL, soon(self));
    h->srv_close_code = ws.close_code;
    mob_ws_close(self, &ws, 0, mob_now(mob_bot_loop(self)) + SEC / 10);
    return 0;
}

struct raw_client {
    struct harness *h;
    const char *request;    /* NULL: a valid handshake */
    const uint8_t *frames;
    size_t frames_len;
    int abrupt;             /* close without reading anything */
};

static const char valid_request[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";

static intptr_t raw_client_main(mob_bot *self, void *arg)
{
    struct raw_client *rc = arg;
    struct harness *h = rc->h;
    int fd = mob_tcp_connect(self, "127.0.0.1", h->port, NULL, soon(self));
    if (fd < 0)
        return fd;
    const char *req = rc->request ? rc->request : valid_request;
    mob_write_all(self, fd, req, strlen(req), soon(self));
    if (!rc->request) {
        /* Skip the 101 head. */
        uint8_t head[512];
        size_t got = 0;
        while (got < sizeof head) {
            ssize_t n = mob_read(self, fd, head + got, 1, soon(self));
            if (n <= 0)
                break;
            got++;
            if (got >= 4 && !memcmp(head + got - 4, "\r\n\r\n", 4))
                break;
        }
    }
    if (rc->frames_len)
        mob_write_all(self, fd, rc->frames, rc->frames_len, soon(self));
    if (!rc->abrupt)
        h->raw_len = read_all(self, fd, h->raw, sizeof h->raw);
    mob_close(self, fd);
    return 0;
}

/* Runs our server against one raw client; returns the harness. */
static void run_raw_client(struct harness *h, const char *request, const void *frames,
                           size_t len, int abrupt)
{
    mob_loop *loop;
    setup_listener(&loop, h);
    struct raw_client rc = {h, request, frames, len, abrupt};
    mob_spawn(loop, plain_server, h);
    mob_spawn(loop, raw_client_main, &rc);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, h->lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* The close code of the first close frame the raw client read back (after any data). */
static int raw_close_code(const struct harness *h)
{
    size_t i = 0;
    while (i + 2 <= (size_t)h->raw_len) {
        mob_ws_frame f;
        int hl = mob_ws_frame_decode(h->raw + i, (size_t)h->raw_len - i, &f);
        if (hl < 0)
            return -1;
        if (f.opcode == MOB_WS_CLOSE && f.len >= 2)
            return h->raw[i + hl] << 8 | h->raw[i + hl + 1];
        i += (size_t)hl + f.len;
    }
    return -1;
}

Test(ws_conn, server_rejects_a_bad_handshake_with_400, .timeout = 5)
{
    struct harness h;
    run_raw_client(&h,
                   "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   NULL, 0, 0);
    cr_assert_eq(h.srv_accept_rc, -EPROTO);
    cr_assert(h.raw_len > 12 && !memcmp(h.raw, "HTTP/1.1 400", 12));
}

Test(ws_conn, server_rejects_a_head_that_never_ends, .timeout = 5)
{
    static char junk[MOB_WS_MAX_HANDSHAKE + 64];
    memset(junk, 'A', sizeof junk - 1);
    struct harness h;
    run_raw_client(&h, junk, NULL, 0, 0);
    cr_assert_eq(h.srv_accept_rc, -EMSGSIZE);
    cr_assert(h.raw_len > 12 && !memcmp(h.raw, "HTTP/1.1 400", 12));
}

Test(ws_conn, server_closes_1002_on_an_unmasked_client_frame, .timeout = 5)
{
    struct harness h;
    run_raw_client(&h, NULL, "\x82\x03" "abc", 5, 0);
    cr_assert_eq(h.srv_rc[0], -EPROTO);
    cr_assert_eq(raw_close_code(&h), MOB_WS_CLOSE_PROTOCOL);
}

Test(ws_conn, server_closes_1009_on_an_oversize_frame_without_reading_it, .timeout = 5)
{
    /* A masked binary frame announcing 1 MiB; only the header is ever sent. */
    static const uint8_t f[] = {0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4};
    struct harness h;
    run_raw_client(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.srv_rc[0], -EMSGSIZE);
    cr_assert_eq(raw_close_code(&h), MOB_WS_CLOSE_TOO_BIG);
}

Test(ws_conn, server_closes_1002_on_a_fragmented_ping, .timeout = 5)
{
    static const uint8_t f[] = {0x09, 0x80, 1, 2, 3, 4};
    struct harness h;
    run_raw_client(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.srv_rc[0], -EPROTO);
    cr_assert_eq(raw_close_code(&h), MOB_WS_CLOSE_PROTOCOL);
}

Test(ws_conn, server_closes_1002_on_a_continuation_without_a_start, .timeout = 5)
{
    static const uint8_t f[] = {0x80, 0x80, 1, 2, 3, 4};
    struct harness h;
    run_raw_client(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.srv_rc[0], -EPROTO);
    cr_assert_eq(raw_close_code(&h), MOB_WS_CLOSE_PROTOCOL);
}

Test(ws_conn, server_closes_1007_on_text_that_is_not_utf8, .timeout = 5)
{
    uint8_t f[] = {0x81, 0x82, 1, 2, 3, 4, 0xc0, 0xaf};
    const uint8_t mask[4] = {1, 2, 3, 4};
    mob_ws_mask(f + 6, 2, mask, 0);
    struct harness h;
    run_raw_client(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.srv_rc[0], -EPROTO);
    cr_assert_eq(raw_close_code(&h), MOB_WS_CLOSE_BAD_DATA);
}

Test(ws_conn, server_reports_an_abrupt_close_mid_frame_as_epipe, .timeout = 5)
{
    static const uint8_t f[] = {0x82, 0x8a, 1, 2, 3, 4, 'x', 'y'}; /* 10 announced, 2 sent */
    struct harness h;
    run_raw_client(&h, NULL, f, sizeof f, 1);
    cr_assert_eq(h.srv_rc[0], -EPIPE);
    cr_assert_eq(h.srv_close_code, MOB_WS_CLOSE_ABNORMAL);
}

/* ---- hostile server against our client ------------------------------------------------- */

struct raw_server {
    struct harness *h;
    const char *response;   /* NULL: a correct 101 */
    const uint8_t *frames;
    size_t frames_len;
    int abrupt;             /* close right after the frames, reading nothing */
};

static intptr_t raw_server_main(mob_bot *self, void *arg)
{
    struct raw_server *rs = arg;
    struct harness *h = rs->h;
    int fd = mob_accept(self, h->lfd, soon(self));
    if (fd < 0)
        return fd;
    char req[2048];
    size_t got = 0;
    mob_ws_request r;
    int hl;
    while ((hl = mob_ws_parse_request(req, got, &r, NULL)) == -EAGAIN && got < sizeof req) {
        ssize_t n = mob_read(self, fd, req + got, sizeof req - got, soon(self));
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    char resp[4096];
    if (rs->response)
        strcpy(resp, rs->response);
    else if (hl > 0)
        mob_ws_build_response(resp, sizeof resp, r.key, r.key_len);
    mob_write_all(self, fd, resp, strlen(resp), soon(self));
    if (rs->frames_len)
        mob_write_all(self, fd, rs->frames, rs->frames_len, soon(self));
    if (!rs->abrupt)
        h->raw_len = read_all(self, fd, h->raw, sizeof h->raw);
    mob_close(self, fd);
    return 0;
}

static intptr_t plain_client(mob_bot *self, void *arg)
{
    struct harness *h = arg;
    static uint8_t buf[4096];
    mob_ws ws;
    h->cli_rc = mob_ws_connect(self, &ws, "127.0.0.1", h->port, "/", NULL, buf, sizeof buf,
                               soon(self));
    if (h->cli_rc < 0)
        return 0;
    const void *d;
    h->cli_recv_rc = mob_ws_recv(self, &ws, &d, NULL, soon(self));
    h->cli_close_code = ws.close_code;
    mob_ws_close(self, &ws, 0, mob_now(mob_bot_loop(self)) + SEC / 10);
    return 0;
}

static void run_raw_server(struct harness *h, const char *response, const void *frames,
                           size_t len, int abrupt)
{
    mob_loop *loop;
    setup_listener(&loop, h);
    struct raw_server rs = {h, response, frames, len, abrupt};
    mob_spawn(loop, raw_server_main, &rs);
    mob_spawn(loop, plain_client, h);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, h->lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(ws_conn, client_rejects_a_non_101_answer, .timeout = 5)
{
    struct harness h;
    run_raw_server(&h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, 0, 0);
    cr_assert_eq(h.cli_rc, -EPROTO);
}

Test(ws_conn, client_rejects_a_wrong_accept_key, .timeout = 5)
{
    struct harness h;
    run_raw_server(&h,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                   "\r\n",
                   NULL, 0, 0);
    cr_assert_eq(h.cli_rc, -EPROTO);
}

Test(ws_conn, client_closes_1002_on_a_masked_server_frame, .timeout = 5)
{
    static const uint8_t f[] = {0x82, 0x81, 1, 2, 3, 4, 'x'};
    struct harness h;
    run_raw_server(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.cli_rc, 0);
    cr_assert_eq(h.cli_recv_rc, -EPROTO);
    /* Our client masks its close frame: unmask before reading the code. */
    mob_ws_frame fr;
    int hl = mob_ws_frame_decode(h.raw, (size_t)h.raw_len, &fr);
    cr_assert_gt(hl, 0);
    cr_assert_eq(fr.opcode, MOB_WS_CLOSE);
    cr_assert(fr.masked, "a client's frames are masked");
    mob_ws_mask(h.raw + hl, (size_t)fr.len, fr.mask, 0);
    cr_assert_eq(h.raw[hl] << 8 | h.raw[hl + 1], MOB_WS_CLOSE_PROTOCOL);
}

Test(ws_conn, client_sees_the_server_close_code_and_frames_sent_with_the_101, .timeout = 5)
{
    /* A close frame right behind the 101 head, in the same write. */
    static const uint8_t f[] = {0x88, 0x02, 0x03, 0xe9};
    struct harness h;
    run_raw_server(&h, NULL, f, sizeof f, 0);
    cr_assert_eq(h.cli_rc, 0);
    cr_assert_eq(h.cli_recv_rc, -ENODATA);
    cr_assert_eq(h.cli_close_code, MOB_WS_CLOSE_GOING_AWAY);
}

Test(ws_conn, client_reports_an_abrupt_close_as_epipe, .timeout = 5)
{
    static const uint8_t f[] = {0x82, 0x7e, 0x01}; /* the stream ends inside the length */
    struct harness h;
    run_raw_server(&h, NULL, f, sizeof f, 1);
    cr_assert_eq(h.cli_rc, 0);
    cr_assert_eq(h.cli_recv_rc, -EPIPE);
    cr_assert_eq(h.cli_close_code, MOB_WS_CLOSE_ABNORMAL);
}

static intptr_t small_client(mob_bot *self, void *arg)
{
    struct harness *h = arg;
    static uint8_t buf[512];
    mob_ws ws;
    h->cli_rc = mob_ws_connect(self, &ws, "127.0.0.1", h->port, "/", NULL, buf, sizeof buf,
                               soon(self));
    return 0;
}

Test(ws_conn, client_with_a_small_buffer_refuses_a_head_that_does_not_fit, .timeout = 5)
{
    static char head[2048];
    strcpy(head, "HTTP/1.1 101 Switching Protocols\r\nX-Junk: ");
    memset(head + strlen(head), 'j', sizeof head - strlen(head) - 1);
    mob_loop *loop;
    struct harness h;
    setup_listener(&loop, &h);
    struct raw_server rs = {&h, head, NULL, 0, 1};
    mob_spawn(loop, raw_server_main, &rs);
    mob_spawn(loop, small_client, &h);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, h.lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_eq(h.cli_rc, -EMSGSIZE);
}

static intptr_t small_server(mob_bot *self, void *arg)
{
    struct harness *h = arg;
    int fd = mob_accept(self, h->lfd, soon(self));
    if (fd < 0)
        return fd;
    static uint8_t buf[512];
    mob_ws ws;
    h->srv_accept_rc = mob_ws_accept(self, &ws, fd, buf, sizeof buf, NULL, soon(self));
    mob_close(self, fd);
    return 0;
}

Test(ws_conn, server_with_a_small_buffer_answers_400_to_a_head_that_does_not_fit,
     .timeout = 5)
{
    static char req[1024];
    strcpy(req, "GET / HTTP/1.1\r\nX-Junk: ");
    memset(req + strlen(req), 'j', sizeof req - strlen(req) - 1);
    mob_loop *loop;
    struct harness h;
    setup_listener(&loop, &h);
    struct raw_client rc = {&h, req, NULL, 0, 0};
    mob_spawn(loop, small_server, &h);
    mob_spawn(loop, raw_client_main, &rc);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, h.lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_eq(h.srv_accept_rc, -EMSGSIZE);
    cr_assert(h.raw_len > 12 && !memcmp(h.raw, "HTTP/1.1 400", 12));
}
