/* SPDX-License-Identifier: MIT */
/*
 * sel_epoll.c: the two selector workloads written straight on epoll, as the floor the
 * libraries and mob are compared with. Pipes: level-triggered, re-armed each round with
 * EPOLL_CTL_DEL + EPOLL_CTL_ADD per fd, a 1024-event buffer, data.u32 = pair index (as in
 * anchors-selector.md). Echo: level-triggered, every fd registered once for EPOLLIN.
 */
#include "common.h"

#include <sys/epoll.h>

static int ep;

static void pipes_iter(void)
{
    struct epoll_event ev[1024];
    int n = epoll_wait(ep, ev, 1024, 0);
    for (int k = 0; k < n; k++)
        pipe_read((int)ev[k].data.u32);
}

static void pipes_arm(void)
{
    for (int i = 0; i < O.pipes; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[2 * i], &e);
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[2 * i], &e);
    }
    pipes_iter();
}

static void pipes_turn(void) { pipes_iter(); }

static int pipes(void)
{
    fds = pipes_make(O.pipes);
    ep = epoll_create1(0);
    return pipes_rounds("epoll", pipes_arm, pipes_turn);
}

static char msg[MSG_SIZE];

static int echo(void)
{
    int n = O.conns;
    int *cli = calloc((size_t)n, sizeof(int)), *srv = calloc((size_t)n, sizeof(int));
    int *got = calloc((size_t)n, sizeof(int));
    echo_make(n, cli, srv);
    ep = epoll_create1(0);
    /* data.u32: connection index, top bit set for the server end. */
    for (int i = 0; i < n; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cli[i], &e);
        e.data.u32 = (uint32_t)i | 0x80000000u;
        epoll_ctl(ep, EPOLL_CTL_ADD, srv[i], &e);
    }
    for (int i = 0; i < n; i++)
        if (write(cli[i], msg, MSG_SIZE) != MSG_SIZE)
            die("write");
    long long rtts = 0;
    int64_t t0 = now_ns(), c0 = cpu_ns(), end = t0 + (int64_t)(O.seconds * 1e9), t;
    struct epoll_event ev[1024];
    char buf[4096];
    while ((t = now_ns()) < end) {
        int k = epoll_wait(ep, ev, 1024, (int)((end - t) / 1000000) + 1);
        for (int j = 0; j < k; j++) {
            uint32_t d = ev[j].data.u32;
            int i = (int)(d & 0x7fffffffu);
            if (d & 0x80000000u) {
                ssize_t r = read(srv[i], buf, sizeof buf);
                if (r > 0 && write(srv[i], buf, (size_t)r) != r)
                    die("write");
            } else {
                ssize_t r = read(cli[i], buf, sizeof buf);
                if (r <= 0)
                    continue;
                rtts += echo_reply(cli[i], &got[i], r, msg);
            }
        }
    }
    echo_print("epoll", rtts, now_ns() - t0, cpu_ns() - c0);
    return 0;
}

int main(int argc, char **argv)
{
    return sel_main(argc, argv, pipes, echo);
}
