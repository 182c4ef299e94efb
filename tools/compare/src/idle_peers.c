/* SPDX-License-Identifier: MIT */
/*
 * idle_peers.c: the yardsticks for `mob-bench idle` written in C: an event loop watching N
 * sockets of its own for input, where nothing ever arrives, for S seconds. Two loops:
 *   poll   a plain poll(2) loop over the N descriptors, waking at most every 0.5 s (the
 *          bound testtoolkit's select and mob's idle ticks use);
 *   libuv  one uv_poll_t per socket (UV_READABLE) and a uv_timer that closes them all after
 *          S seconds: libuv blocks in epoll_wait until then.
 * Two cases, as mob-bench idle's: N listening TCP sockets on 127.0.0.1, and N connected
 * socketpairs (their other ends kept open). The time measured starts before the sockets are
 * registered, as mob's starts before its bots register theirs. Prints, per case, the CPU
 * time (user + system) over the wall time in percent and the number of wake-ups.
 * Built and run by tools/compare-idle.sh; not part of mob.
 *
 * usage: idle_peers poll|libuv [--sockets N] [--seconds S]
 * output: "listeners <cpu %> <wake-ups>\nconnected-in <cpu %> <wake-ups>\n"
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static int listener(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* ---- poll ------------------------------------------------------------------------------- */

static long poll_loop(const int *fds, int n, double until)
{
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    long wakeups = 0;
    for (int i = 0; p && i < n; i++)
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    for (double t = now_s(); p && t < until; t = now_s()) {
        int ms = (int)((until - t) * 1000) + 1;
        if (poll(p, (nfds_t)n, ms < 500 ? ms : 500) > 0)
            return -1; /* something arrived: not idle */
        wakeups++;
    }
    free(p);
    return p ? wakeups : -1;
}

/* ---- libuv ------------------------------------------------------------------------------ */

struct uvidle {
    uv_poll_t *polls;
    int n;
    long wakeups;
    int readable;
};

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    ((struct uvidle *)h->data)->readable = 1;
}

static void on_prepare(uv_prepare_t *h)
{
    ((struct uvidle *)h->data)->wakeups++; /* runs once per loop iteration */
}

static void on_stop(uv_timer_t *t)
{
    struct uvidle *u = t->data;
    for (int i = 0; i < u->n; i++)
        uv_close((uv_handle_t *)&u->polls[i], NULL);
    uv_close((uv_handle_t *)t, NULL);
    uv_stop(t->loop);
}

static long uv_loop_once(const int *fds, int n, double seconds)
{
    uv_loop_t loop;
    uv_timer_t stop;
    uv_prepare_t prep;
    struct uvidle u = {.polls = calloc((size_t)n, sizeof(uv_poll_t)), .n = n};
    if (!u.polls || uv_loop_init(&loop) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        uv_poll_init(&loop, &u.polls[i], fds[i]);
        u.polls[i].data = &u;
        uv_poll_start(&u.polls[i], UV_READABLE, on_readable);
    }
    uv_timer_init(&loop, &stop);
    stop.data = &u;
    uv_timer_start(&stop, on_stop, (uint64_t)(seconds * 1000), 0);
    uv_prepare_init(&loop, &prep);
    prep.data = &u;
    uv_prepare_start(&prep, on_prepare);
    uv_unref((uv_handle_t *)&prep);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&prep, NULL);
    uv_run(&loop, UV_RUN_DEFAULT); /* the close callbacks */
    uv_loop_close(&loop);
    free(u.polls);
    return u.readable ? -1 : u.wakeups;
}

/* ---- driver ----------------------------------------------------------------------------- */

static int one_case(int use_uv, int connected, int n, double seconds)
{
    int *fds = calloc((size_t)n * 2, sizeof *fds);
    if (!fds)
        return -1;
    int made = 0, rc = 0;
    for (; made < n; made++) {
        if (connected) {
            rc = socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[2 * made]) < 0 ? -1 : 0;
        } else {
            fds[2 * made] = listener();
            fds[2 * made + 1] = -1;
            rc = fds[2 * made] < 0 ? -1 : 0;
        }
        if (rc < 0)
            break; /* fds[2 * made] is not ours to close */
    }
    /* The loop watches one end of each: every other fd of the array. */
    int *watched = calloc((size_t)n, sizeof *watched);
    for (int i = 0; rc == 0 && watched && i < n; i++)
        watched[i] = fds[2 * i];
    if (rc == 0 && watched) {
        double c0 = cpu_s(), t0 = now_s();
        long w = use_uv ? uv_loop_once(watched, n, seconds) : poll_loop(watched, n, t0 + seconds);
        double wall = now_s() - t0;
        if (w < 0)
            rc = -1;
        else
            printf("%s %.3f %ld\n", connected ? "connected-in" : "listeners",
                   100.0 * (cpu_s() - c0) / wall, w);
    }
    for (int i = 0; i < 2 * made; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    free(watched);
    return watched ? rc : -1;
}

int main(int argc, char **argv)
{
    int n = 1000;
    double seconds = 2;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sockets"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else
            n = -1;
    }
    if (argc < 2 || argc % 2 != 0 || n < 1 || n > 9000 || seconds <= 0 ||
        (strcmp(argv[1], "poll") && strcmp(argv[1], "libuv"))) {
        fprintf(stderr, "usage: idle_peers poll|libuv [--sockets N] [--seconds S]\n");
        return 2;
    }
    int use_uv = !strcmp(argv[1], "libuv");
    if (one_case(use_uv, 0, n, seconds) < 0 || one_case(use_uv, 1, n, seconds) < 0) {
        fprintf(stderr, "idle_peers: a measurement failed\n");
        return 1;
    }
    return 0;
}
