/* SPDX-License-Identifier: MIT */
/*
 * test_run_server.c: the server the load-layer tests aim at, run by mob itself in a forked
 * child (so the runner under test owns its process and its loop). One bot per connection.
 * It echoes what it reads; a request starting with "GET " is answered as HTTP once its head is
 * complete. Each answer waits `delay_ns` first (busy-waiting on the clock, to be exact to the
 * microsecond), and answers due inside [stall_at, stall_at + stall_len) from the server's
 * start are held until the stall ends. Shared by test_run_*.c through test_run_server.h-less
 * prototypes (see run_server_start).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "mob.h"

struct run_server {
    int64_t delay_ns, stall_at_ns, stall_len_ns;
    int64_t start;
    int lfd;
};

static struct run_server srv;

static void answer_wait(mob_bot *self)
{
    int64_t now = mob_clock_ns();
    int64_t s0 = srv.start + srv.stall_at_ns, s1 = s0 + srv.stall_len_ns;
    if (srv.stall_len_ns > 0 && now >= s0 && now < s1)
        mob_sleep_until(self, s1);
    if (srv.delay_ns > 0) {
        /* Sleep most of it (the loop's timers have millisecond grain), spin the rest. */
        int64_t until = mob_clock_ns() + srv.delay_ns, nap = srv.delay_ns - 300000;
        if (nap > 0) {
            struct timespec ts = {0, (long)nap};
            nanosleep(&ts, NULL);
        }
        while (mob_clock_ns() < until)
            ;
    }
}

static intptr_t conn_bot(mob_bot *self, void *arg)
{
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    char buf[4096];
    size_t have = 0;
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (;;) {
        ssize_t n = mob_read(self, fd, buf + have, sizeof buf - have, MOB_FOREVER);
        if (n <= 0)
            break;
        have += (size_t)n;
        if (have >= 4 && memcmp(buf, "GET ", 4) == 0) {
            /* Answer every complete head in the buffer (pipelining works too). */
            char *end;
            while ((end = strstr(buf, "\r\n\r\n")) && end < buf + have) {
                answer_wait(self);
                if (mob_write_all(self, fd, resp, sizeof resp - 1, MOB_FOREVER) < 0)
                    return 0;
                size_t used = (size_t)(end + 4 - buf);
                memmove(buf, buf + used, have - used);
                have -= used;
                buf[have] = 0;
            }
            if (have == sizeof buf)
                break;
            buf[have] = 0;
            continue;
        }
        answer_wait(self);
        if (mob_write_all(self, fd, buf, have, MOB_FOREVER) < 0)
            break;
        have = 0;
    }
    return 0;
}

static intptr_t accept_bot(mob_bot *self, void *arg)
{
    (void)arg;
    for (;;) {
        int fd = mob_accept(self, srv.lfd, MOB_FOREVER);
        if (fd < 0) {
            if (fd == -ECANCELED)
                return 0;
            continue;
        }
        mob_fd_release(self, fd);
        mob_bot *b = mob_spawn(mob_bot_loop(self), conn_bot, (void *)(intptr_t)fd);
        if (!b)
            close(fd);
    }
}

/* Starts the server in a child process. Returns its pid and sets *port. */
pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);
pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns)
{
    int lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 1024);
    cr_assert_geq(lfd, 0, "listen: %s", mob_strerror(lfd));
    *port = mob_local_port(lfd);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* Never outlive the test: a failed cr_assert ends the test process without calling
         * run_server_stop, and an orphaned server would hold the runner's pipes open. */
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        alarm(60);
        srv.lfd = lfd;
        srv.delay_ns = delay_ns;
        srv.stall_at_ns = stall_at_ns;
        srv.stall_len_ns = stall_len_ns;
        srv.start = mob_clock_ns();
        mob_loop *loop = mob_loop_new(NULL);
        if (!loop)
            _exit(3);
        mob_spawn(loop, accept_bot, NULL);
        mob_loop_run(loop);
        _exit(0);
    }
    close(lfd);
    return pid;
}

void run_server_stop(pid_t pid);
void run_server_stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
