/* SPDX-License-Identifier: MIT */
/*
 * sel_libev.c: the two selector workloads on libev (native API, default loop, epoll here).
 * Pipes: per round ev_io_stop + ev_io_set + ev_io_start on every read end, then one
 * EVRUN_NOWAIT iteration; the timed part repeats EVRUN_NOWAIT iterations. Echo: one ev_io per
 * fd, an ev_timer ends the run.
 */
#include "common.h"

#include <ev.h>

static struct ev_loop *L;
static ev_io *w;

static void pipe_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    int i = (int)(io - w);
    pipe_read(i);
}

static void pipes_arm(void)
{
    for (int i = 0; i < O.pipes; i++) {
        ev_io_stop(L, &w[i]);
        ev_io_set(&w[i], fds[2 * i], EV_READ);
        ev_io_start(L, &w[i]);
    }
    ev_run(L, EVRUN_NOWAIT);
}

static void pipes_turn(void) { ev_run(L, EVRUN_NOWAIT); }

static int pipes(void)
{
    fds = pipes_make(O.pipes);
    L = ev_default_loop(EVFLAG_AUTO);
    w = calloc((size_t)O.pipes, sizeof *w);
    for (int i = 0; i < O.pipes; i++)
        ev_io_init(&w[i], pipe_cb, fds[2 * i], EV_READ);
    return pipes_rounds("libev", pipes_arm, pipes_turn);
}

static int *cli, *srv, *got;
static long long rtts;
static char msg[MSG_SIZE], buf[4096];
static ev_io *cw, *sw;

static void cli_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    int i = (int)(io - cw);
    ssize_t r = read(cli[i], buf, sizeof buf);
    if (r <= 0)
        return;
    rtts += echo_reply(cli[i], &got[i], r, msg);
}

static void srv_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    int i = (int)(io - sw);
    ssize_t r = read(srv[i], buf, sizeof buf);
    if (r > 0 && write(srv[i], buf, (size_t)r) != r)
        die("write");
}

static void end_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)t;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static int echo(void)
{
    int n = O.conns;
    cli = calloc((size_t)n, sizeof(int));
    srv = calloc((size_t)n, sizeof(int));
    got = calloc((size_t)n, sizeof(int));
    cw = calloc((size_t)n, sizeof *cw);
    sw = calloc((size_t)n, sizeof *sw);
    echo_make(n, cli, srv);
    L = ev_default_loop(EVFLAG_AUTO);
    for (int i = 0; i < n; i++) {
        ev_io_init(&cw[i], cli_cb, cli[i], EV_READ);
        ev_io_init(&sw[i], srv_cb, srv[i], EV_READ);
        ev_io_start(L, &cw[i]);
        ev_io_start(L, &sw[i]);
    }
    ev_timer t;
    ev_timer_init(&t, end_cb, O.seconds, 0);
    ev_timer_start(L, &t);
    for (int i = 0; i < n; i++)
        if (write(cli[i], msg, MSG_SIZE) != MSG_SIZE)
            die("write");
    int64_t t0 = now_ns(), c0 = cpu_ns();
    ev_now_update(L);
    ev_run(L, 0);
    echo_print("libev", rtts, now_ns() - t0, cpu_ns() - c0);
    return 0;
}

int main(int argc, char **argv)
{
    return sel_main(argc, argv, pipes, echo);
}
