/* SPDX-License-Identifier: MIT */
/*
 * sel_libevent.c: the two selector workloads on libevent 2 (default config, epoll here).
 * Pipes: per round event_del + event_assign + event_add on every read end, then one
 * EVLOOP_ONCE|EVLOOP_NONBLOCK iteration; the timed part repeats those iterations. Echo: one
 * persistent read event per fd; a timer event ends the run.
 */
#include "common.h"

#include <event2/event.h>

static struct event_base *B;
static struct event **ev;

static void pipe_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    int i = (int)(intptr_t)arg;
    pipe_read(i);
}

static void pipes_arm(void)
{
    for (int i = 0; i < O.pipes; i++) {
        event_del(ev[i]);
        event_assign(ev[i], B, fds[2 * i], EV_READ | EV_PERSIST, pipe_cb, (void *)(intptr_t)i);
        event_add(ev[i], NULL);
    }
    event_base_loop(B, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void pipes_turn(void) { event_base_loop(B, EVLOOP_ONCE | EVLOOP_NONBLOCK); }

static int pipes(void)
{
    fds = pipes_make(O.pipes);
    B = event_base_new();
    ev = calloc((size_t)O.pipes, sizeof *ev);
    for (int i = 0; i < O.pipes; i++)
        ev[i] = event_new(B, fds[2 * i], EV_READ | EV_PERSIST, pipe_cb, (void *)(intptr_t)i);
    return pipes_rounds("libevent", pipes_arm, pipes_turn);
}

static int *cli, *srv, *got;
static long long rtts;
static char msg[MSG_SIZE], buf[4096];

static void cli_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    int i = (int)(intptr_t)arg;
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0)
        return;
    rtts += echo_reply(fd, &got[i], r, msg);
}

static void srv_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0 && write(fd, buf, (size_t)r) != r)
        die("write");
}

static void end_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak((struct event_base *)arg);
}

static int echo(void)
{
    int n = O.conns;
    cli = calloc((size_t)n, sizeof(int));
    srv = calloc((size_t)n, sizeof(int));
    got = calloc((size_t)n, sizeof(int));
    echo_make(n, cli, srv);
    B = event_base_new();
    for (int i = 0; i < n; i++) {
        event_add(event_new(B, cli[i], EV_READ | EV_PERSIST, cli_cb, (void *)(intptr_t)i), NULL);
        event_add(event_new(B, srv[i], EV_READ | EV_PERSIST, srv_cb, NULL), NULL);
    }
    struct timeval tv = {(time_t)O.seconds, (suseconds_t)((O.seconds - (time_t)O.seconds) * 1e6)};
    event_add(evtimer_new(B, end_cb, B), &tv);
    for (int i = 0; i < n; i++)
        if (write(cli[i], msg, MSG_SIZE) != MSG_SIZE)
            die("write");
    int64_t t0 = now_ns(), c0 = cpu_ns();
    event_base_dispatch(B);
    echo_print("libevent", rtts, now_ns() - t0, cpu_ns() - c0);
    return 0;
}

int main(int argc, char **argv)
{
    return sel_main(argc, argv, pipes, echo);
}
