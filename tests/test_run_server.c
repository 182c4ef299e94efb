/* SPDX-License-Identifier: MIT */
/*
 * test_run_server.c: the server the load-layer tests aim at, run by mob itself in a forked
 * child (so the runner under test owns its process and its loop). One bot per connection.
 * It echoes what it reads; a request starting with "GET " is answered as HTTP once its head is
 * complete. Each answer waits `delay_ns` first (busy-waiting on the clock, to be exact to the
 * microsecond), and answers due inside [stall_at, stall_at + stall_len) from the server's
 * start are held until the stall ends. Declared in test_run.h; the fork, the accept loop and
 * test_child_stop are helpers.c's.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

struct run_server {
    int64_t delay_ns, stall_at_ns, stall_len_ns;
    int64_t start;
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

/* In the child, before its loop: the stall is timed from the server's start. */
static void server_init(void)
{
    srv.start = mob_clock_ns();
}

/* Starts the server in a child process. Returns its pid and sets *port. */
pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);
pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns)
{
    srv.delay_ns = delay_ns;
    srv.stall_at_ns = stall_at_ns;
    srv.stall_len_ns = stall_len_ns;
    return test_server_fork(port, conn_bot, server_init);
}
