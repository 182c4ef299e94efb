/* SPDX-License-Identifier: MIT */
/*
 * sel_libuv.c: the two selector workloads on libuv. Pipes: a uv_poll_t per read end, per
 * round uv_poll_stop + uv_poll_start(UV_READABLE), then one UV_RUN_NOWAIT iteration; the timed
 * part repeats UV_RUN_NOWAIT. Echo: uv_tcp_open on the same fds, uv_read_start, and
 * uv_try_write with a uv_write fallback (as anchors-selector.md did); a uv_timer stops the run.
 */
#include "common.h"

#include <uv.h>

static uv_loop_t *L;
static uv_poll_t *p;

static void pipe_cb(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    int i = (int)(h - p);
    pipe_read(i);
}

static void pipes_arm(void)
{
    for (int i = 0; i < O.pipes; i++) {
        uv_poll_stop(&p[i]);
        uv_poll_start(&p[i], UV_READABLE, pipe_cb);
    }
    uv_run(L, UV_RUN_NOWAIT);
}

static void pipes_turn(void) { uv_run(L, UV_RUN_NOWAIT); }

static int pipes(void)
{
    fds = pipes_make(O.pipes);
    L = uv_default_loop();
    p = calloc((size_t)O.pipes, sizeof *p);
    for (int i = 0; i < O.pipes; i++)
        uv_poll_init(L, &p[i], fds[2 * i]);
    return pipes_rounds("libuv", pipes_arm, pipes_turn);
}

struct conn {
    uv_tcp_t tcp;
    int client;
    int got;
};

static long long rtts;
static char msg[MSG_SIZE], rbuf[4096];

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)h;
    (void)hint;
    *b = uv_buf_init(rbuf, sizeof rbuf);
}

static void write_done(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

/* uv_try_write first; what does not go out goes through a copied uv_write. */
static void send_bytes(struct conn *c, const char *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len)
        return;
    if (n < 0)
        n = 0;
    uv_write_t *req = malloc(sizeof *req + len - (size_t)n);
    char *copy = (char *)(req + 1);
    memcpy(copy, data + n, len - (size_t)n);
    b = uv_buf_init(copy, (unsigned)(len - (size_t)n));
    uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct conn *c = (struct conn *)s;
    if (nread <= 0)
        return;
    if (!c->client) {
        send_bytes(c, b->base, (size_t)nread);
        return;
    }
    c->got += (int)nread;
    while (c->got >= MSG_SIZE) {
        c->got -= MSG_SIZE;
        rtts++;
        send_bytes(c, msg, MSG_SIZE);
    }
}

static void end_cb(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static int echo(void)
{
    int n = O.conns;
    int *cli = calloc((size_t)n, sizeof(int)), *srv = calloc((size_t)n, sizeof(int));
    echo_make(n, cli, srv);
    L = uv_default_loop();
    struct conn *cc = calloc((size_t)n, sizeof *cc), *sc = calloc((size_t)n, sizeof *sc);
    for (int i = 0; i < n; i++) {
        uv_tcp_init(L, &cc[i].tcp);
        uv_tcp_open(&cc[i].tcp, cli[i]);
        cc[i].client = 1;
        uv_tcp_init(L, &sc[i].tcp);
        uv_tcp_open(&sc[i].tcp, srv[i]);
        uv_read_start((uv_stream_t *)&cc[i].tcp, alloc_cb, read_cb);
        uv_read_start((uv_stream_t *)&sc[i].tcp, alloc_cb, read_cb);
    }
    uv_timer_t t;
    uv_timer_init(L, &t);
    uv_update_time(L);
    uv_timer_start(&t, end_cb, (uint64_t)(O.seconds * 1000), 0);
    for (int i = 0; i < n; i++)
        send_bytes(&cc[i], msg, MSG_SIZE);
    int64_t t0 = now_ns(), c0 = cpu_ns();
    uv_run(L, UV_RUN_DEFAULT);
    echo_print("libuv", rtts, now_ns() - t0, cpu_ns() - c0);
    return 0;
}

int main(int argc, char **argv)
{
    return sel_main(argc, argv, pipes, echo);
}
