/* SPDX-License-Identifier: MIT */
/*
 * common.h: what the selector comparison programs share (sel_epoll.c, sel_libev.c,
 * sel_libevent.c, sel_libuv.c): flags, the fd set-up of both workloads, timing and the one
 * JSON line each run prints. Header-only so each program is one compiler call in
 * tools/compare-selectors.sh. The workloads are those of tools/mob-bench/bench_pipes.c and
 * bench_echo.c, described in /work/shared/reference/anchors-selector.md.
 *
 *   sel_X pipes --pipes N --active A --writes W --rounds R
 *   sel_X echo  --conns C --seconds S
 */
#ifndef SEL_COMMON_H
#define SEL_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 64

struct opts {
    int pipes, active, writes, rounds; /* pipes */
    int conns;                         /* echo */
    double seconds;
};

static struct opts O = {1000, 1, 100, 25, 1, 5.0};

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void parse(int argc, char **argv, int first)
{
    for (int i = first; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--pipes"))
            O.pipes = atoi(v);
        else if (!strcmp(k, "--active"))
            O.active = atoi(v);
        else if (!strcmp(k, "--writes"))
            O.writes = atoi(v);
        else if (!strcmp(k, "--rounds"))
            O.rounds = atoi(v);
        else if (!strcmp(k, "--conns"))
            O.conns = atoi(v);
        else if (!strcmp(k, "--seconds"))
            O.seconds = atof(v);
        else {
            fprintf(stderr, "unknown flag %s\n", k);
            exit(2);
        }
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* Pipes: fds[2i] is the read end of pair i, fds[2i+1] its write end. */
static int *pipes_make(int n)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int *fds = malloc(sizeof(int) * 2 * (size_t)n);
    for (int i = 0; i < n; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[2 * i]) < 0)
            die("socketpair");
        nonblock(fds[2 * i]);
        nonblock(fds[2 * i + 1]);
    }
    return fds;
}

/* The chain state every implementation shares: fds from pipes_make, events counted this round,
 * tokens in flight, writes left to pass on. */
static int *fds, count, fired, writes;

/* The read callback's work, the same for every implementation: take pair i's byte and pass a
 * token to pair i+1 while writes remain (libevent's test/bench.c). */
static void pipe_read(int i)
{
    char c;
    if (read(fds[2 * i], &c, 1) != 1)
        return;
    count++;
    if (writes > 0) {
        int next = (i + 1) % O.pipes;
        if (write(fds[2 * next + 1], "e", 1) != 1)
            die("write");
        writes--;
        fired++;
    }
}

/* Per-round results of the pipes workload. */
struct pipes_result {
    double *us, *setup, *cpu;
};

static struct pipes_result pipes_alloc(void)
{
    struct pipes_result r;
    r.us = calloc((size_t)O.rounds, sizeof(double));
    r.setup = calloc((size_t)O.rounds, sizeof(double));
    r.cpu = calloc((size_t)O.rounds, sizeof(double));
    return r;
}

static void pipes_print(const char *impl, struct pipes_result *r)
{
    double mn = 1e300, mx = 0;
    for (int i = 0; i < O.rounds; i++) {
        mn = r->us[i] < mn ? r->us[i] : mn;
        mx = r->us[i] > mx ? r->us[i] : mx;
    }
    double med = median(r->us, O.rounds);
    printf("{\"bench\":\"pipes\",\"impl\":\"%s\",\"pipes\":%d,\"active\":%d,\"writes\":%d,"
           "\"rounds\":%d,\"us_round\":%.1f,\"us_min\":%.1f,\"us_max\":%.1f,\"ns_event\":%.0f,"
           "\"setup_us\":%.1f,\"cpu_us\":%.1f}\n",
           impl, O.pipes, O.active, O.writes, O.rounds, med, mn, mx,
           med * 1000 / (O.active + O.writes), median(r->setup, O.rounds),
           median(r->cpu, O.rounds));
}

/* The pipes workload's rounds, the same for every implementation: arm() re-registers every
 * pipe and gives the loop one non-blocking turn (timed as setup); then O.active tokens start
 * and turn() runs one non-blocking turn of the loop until every chain has ended. */
static inline int pipes_rounds(const char *impl, void (*arm)(void), void (*turn)(void))
{
    struct pipes_result r = pipes_alloc();
    int space = O.pipes / O.active;
    for (int round = 0; round < O.rounds; round++) {
        int64_t s0 = now_ns();
        arm();
        r.setup[round] = (now_ns() - s0) / 1e3;
        for (int i = 0; i < O.active; i++)
            if (write(fds[2 * (i * space) + 1], "e", 1) != 1)
                die("write");
        fired = O.active;
        count = 0;
        writes = O.writes;
        int64_t t0 = now_ns(), c0 = cpu_ns();
        while (count < fired)
            turn();
        r.us[round] = (now_ns() - t0) / 1e3;
        r.cpu[round] = (cpu_ns() - c0) / 1e3;
    }
    pipes_print(impl, &r);
    return 0;
}

/* Echo: C connected pairs over loopback, made with blocking calls, then non-blocking.
 * cli[i] and srv[i] are the two ends of connection i. */
static void echo_make(int n, int *cli, int *srv)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        die("listen");
    int one = 1;
    for (int i = 0; i < n; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(cli[i], (struct sockaddr *)&a, sizeof a) < 0)
            die("connect");
        srv[i] = accept(l, NULL, NULL);
        if (srv[i] < 0)
            die("accept");
        setsockopt(cli[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        nonblock(cli[i]);
        nonblock(srv[i]);
    }
    close(l);
}

static void echo_print(const char *impl, long long rtts, int64_t wall_ns, int64_t cpu)
{
    printf("{\"bench\":\"echo\",\"impl\":\"%s\",\"mode\":\"same\",\"conns\":%d,\"seconds\":%.2f,"
           "\"rtt_per_s\":%.0f,\"ns_rtt\":%.0f,\"cpu_ns_rtt\":%.0f}\n",
           impl, O.conns, wall_ns / 1e9, rtts / (wall_ns / 1e9),
           rtts ? (double)wall_ns / (double)rtts : 0, rtts ? (double)cpu / (double)rtts : 0);
}

/* The echo client's share of r bytes read on fd: each whole message back is a round trip,
 * answered with the next message. Returns the round trips completed. */
static inline long long echo_reply(int fd, int *got, ssize_t r, const char *msg)
{
    long long n = 0;
    *got += (int)r;
    while (*got >= MSG_SIZE) {
        *got -= MSG_SIZE;
        n++;
        if (write(fd, msg, MSG_SIZE) != MSG_SIZE)
            die("write");
    }
    return n;
}

/* Every implementation's command line: "pipes" or "echo", then the shared options. */
static inline int sel_main(int argc, char **argv, int (*pipes)(void), int (*echo)(void))
{
    if (argc < 2)
        return 2;
    parse(argc, argv, 2);
    return !strcmp(argv[1], "pipes") ? pipes() : !strcmp(argv[1], "echo") ? echo() : 2;
}

#endif
