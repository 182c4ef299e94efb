/* SPDX-License-Identifier: MIT */
/*
 * bench_echo.c: TCP ping-pong on loopback. C connections (made up front with blocking
 * connect/accept on 127.0.0.1, then non-blocking, TCP_NODELAY); on each, a client bot writes
 * a 64-byte message with mob_write_all and reads the echo with mob_read, and a server bot
 * reads with mob_read and writes back what it got. Both read into a 512-byte buffer on their
 * own stack (the raw epoll loop in tools/compare/src/sel_epoll.c uses one 4 KiB buffer; with
 * 64-byte messages the size makes no difference). After --seconds (default 5) a timer bot
 * raises the stop flag; round trips are counted at the clients. --stats prints the loop's
 * switch and poll counts to stderr.
 *
 * Same mode (default): clients and servers in ONE loop on one thread. --split: the servers
 * run in a forked child with its own loop, so each round trip crosses processes (and CPUs).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "mob.h"

#define MSG_SIZE 64

struct echo {
    int conns;
    int64_t seconds_ns;
    int *cli, *srv;
    long long rtts;
    int stop, failed;
    int stats;      /* --stats: print the loop's counters to stderr */
    /* The measured window, from the timer bot's first run to its wake-up: set-up (spawning,
     * first registrations) and tear-down (closing) stay out, as in the peers' loops. */
    int64_t t0, t_end, cpu0, cpu_end;
    long long rtts0, rtts_end;
};

static int64_t proc_cpu_ns(void);

struct conn_arg {
    struct echo *e;
    int i;
};

static intptr_t client_bot(mob_bot *self, void *arg)
{
    struct conn_arg *a = arg;
    struct echo *e = a->e;
    int fd = e->cli[a->i];
    static const char msg[MSG_SIZE] = "ping";
    char buf[512];
    while (!e->stop) {
        if (mob_write_all(self, fd, msg, MSG_SIZE, MOB_FOREVER) != MSG_SIZE)
            goto fail;
        size_t got = 0;
        while (got < MSG_SIZE) {
            ssize_t n = mob_read(self, fd, buf, sizeof buf, MOB_FOREVER);
            if (n <= 0)
                goto fail;
            got += (size_t)n;
        }
        e->rtts++;
    }
    mob_close(self, fd); /* the server bot sees EOF and returns */
    return 0;
fail:
    e->failed = 1;
    mob_close(self, fd);
    return -1;
}

static intptr_t server_bot(mob_bot *self, void *arg)
{
    struct conn_arg *a = arg;
    int fd = a->e->srv[a->i];
    char buf[512];
    for (;;) {
        ssize_t n = mob_read(self, fd, buf, sizeof buf, MOB_FOREVER);
        if (n <= 0 || mob_write_all(self, fd, buf, (size_t)n, MOB_FOREVER) != n)
            break;
    }
    mob_close(self, fd);
    return 0;
}

static intptr_t timer_bot(mob_bot *self, void *arg)
{
    struct echo *e = arg;
    e->t0 = mob_clock_ns();
    e->cpu0 = proc_cpu_ns();
    e->rtts0 = e->rtts;
    mob_sleep(self, e->seconds_ns);
    e->t_end = mob_clock_ns();
    e->cpu_end = proc_cpu_ns();
    e->rtts_end = e->rtts;
    e->stop = 1;
    return 0;
}

static int connect_all(struct echo *e)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0) {
        perror("mob-bench echo: listen");
        return -1;
    }
    int one = 1;
    for (int i = 0; i < e->conns; i++) {
        e->cli[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (e->cli[i] < 0 || connect(e->cli[i], (struct sockaddr *)&a, sizeof a) < 0 ||
            (e->srv[i] = accept(l, NULL, NULL)) < 0) {
            perror("mob-bench echo: connect");
            close(l);
            return -1;
        }
        int fds[2] = {e->cli[i], e->srv[i]};
        for (int k = 0; k < 2; k++) {
            setsockopt(fds[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            fcntl(fds[k], F_SETFL, O_NONBLOCK);
        }
    }
    close(l);
    return 0;
}

static int64_t proc_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Runs the server half (when `servers`) and/or the client half in a fresh loop. */
static int run_loop(struct echo *e, struct conn_arg *args, int clients, int servers)
{
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop)
        return -1;
    for (int i = 0; i < e->conns; i++) {
        if (servers)
            mob_spawn(loop, server_bot, &args[i]);
        if (clients)
            mob_spawn(loop, client_bot, &args[i]);
    }
    if (clients)
        mob_spawn(loop, timer_bot, e);
    int rc = mob_loop_run(loop);
    if (e->stats) {
        mob_loop_stats st;
        mob_loop_get_stats(loop, &st);
        fprintf(stderr, "mob-bench echo: %lld switches, %lld polls, %lld steps\n",
                (long long)st.switches,
                (long long)st.polls, (long long)st.ticks);
    }
    if (mob_loop_free(loop) != 0)
        rc = -1;
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: mob-bench echo [--conns C] [--seconds S] [--split] [--json] [--stats]\n");
    return 2;
}

/* One measurement: e->conns connections for e->seconds_ns. Returns 0, or 1 on failure. */
static int echo_one(struct echo *ep, int split, int json)
{
    struct echo e = *ep;
    /* The fd limit is raised by mob_loop_new; raise it here too, before the sockets. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    e.cli = calloc((size_t)e.conns, sizeof(int));
    e.srv = calloc((size_t)e.conns, sizeof(int));
    struct conn_arg *args = calloc((size_t)e.conns, sizeof *args);
    for (int i = 0; i < e.conns; i++)
        args[i] = (struct conn_arg){&e, i};
    if (connect_all(&e) < 0)
        return 1;

    pid_t child = -1;
    if (split) {
        fflush(stdout);
        child = fork();
        if (child < 0) {
            perror("mob-bench echo: fork");
            return 1;
        }
        if (child == 0) {
            for (int i = 0; i < e.conns; i++)
                close(e.cli[i]);
            _exit(run_loop(&e, args, 0, 1) < 0 ? 1 : 0);
        }
        for (int i = 0; i < e.conns; i++)
            close(e.srv[i]);
    }
    int rc = run_loop(&e, args, 1, !split);
    if (split) {
        int st = 0;
        waitpid(child, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = -1;
    }
    if (rc < 0 || e.failed) {
        fprintf(stderr, "mob-bench echo: run failed\n");
        return 1;
    }
    double wall = (double)(e.t_end - e.t0), cpu = (double)(e.cpu_end - e.cpu0);
    long long rtts = e.rtts_end - e.rtts0;
    double per_s = rtts / (wall / 1e9);
    if (json)
        printf("{\"bench\":\"echo\",\"impl\":\"mob\",\"backend\":\"%s\",\"mode\":\"%s\","
               "\"conns\":%d,\"seconds\":%.2f,\"rtt_per_s\":%.0f,\"ns_rtt\":%.0f,"
               "\"cpu_ns_rtt\":%.0f}\n",
               mob_backend_name(), split ? "split" : "same", e.conns, wall / 1e9, per_s,
               rtts ? wall / (double)rtts : 0, rtts ? cpu / (double)rtts : 0);
    else
        printf("echo %s, %d connection%s (%s): %.0f round trips/s, %.0f ns/round trip, "
               "%.0f CPU ns/round trip (%s process)\n",
               split ? "split" : "same loop", e.conns, e.conns == 1 ? "" : "s",
               mob_backend_name(), per_s, rtts ? wall / (double)rtts : 0,
               rtts ? cpu / (double)rtts : 0, split ? "client" : "whole");
    free(e.cli);
    free(e.srv);
    free(args);
    return 0;
}

/* Without --conns, the three sizes the issue asks for, one line each. */
int bench_echo(int argc, char **argv)
{
    struct echo e = {.conns = 0, .seconds_ns = 5 * MOB_NS_PER_SEC};
    int json = 0, split = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--split"))
            split = 1;
        else if (!strcmp(argv[i], "--stats"))
            e.stats = 1;
        else if ((v = bench_flag(argc, argv, &i, "--conns")))
            e.conns = atoi(v);
        else if ((v = bench_flag(argc, argv, &i, "--seconds")))
            e.seconds_ns = (int64_t)(atof(v) * 1e9);
        else
            return usage();
    }
    if (e.conns < 0 || e.seconds_ns <= 0)
        return usage();
    if (e.conns > 0)
        return echo_one(&e, split, json);
    static const int sizes[] = {1, 100, 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        e.conns = sizes[k];
        if (echo_one(&e, split, json) != 0)
            return 1;
    }
    return 0;
}
