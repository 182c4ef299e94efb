/* SPDX-License-Identifier: MIT */
/*
 * test_live_procs.c: what the live-view tests (test_live.c, test_view.c) do from outside: start
 * the mob binary as a process, wait for it, and talk HTTP to what it serves on 127.0.0.1.
 * Declared in test_live.h.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "test_live.h"

/* A port nobody listens on right now. */
int live_free_port(void)
{
    int port, fd = test_listen_loopback(&port);
    cr_assert_geq(fd, 0);
    close(fd);
    return port;
}

/* Starts build/mob with args; stdout and stderr go to files named after tag. */
pid_t live_start(const char *tag, const char *const *args)
{
    char bin[512], out[256];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    const char *argv[64] = {bin};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        snprintf(out, sizeof out, "/tmp/mob-live-%d-%s.out", (int)getppid(), tag);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        snprintf(out, sizeof out, "/tmp/mob-live-%d-%s.err", (int)getppid(), tag);
        int fe = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        alarm(60);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int live_wait(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int live_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* GET path; the whole response in buf. Returns its length, or -1 when nobody answers. */
int live_http_get(int port, const char *path, char *buf, size_t cap)
{
    int fd = live_connect(port);
    if (fd < 0)
        return -1;
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    ssize_t r;
    while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(fd);
    return (int)len;
}

/* Polls until port answers HTTP (the server is up), at most 5 s. */
void live_wait_http(int port)
{
    char buf[256];
    for (int i = 0; i < 100; i++) {
        if (live_http_get(port, "/nothing", buf, sizeof buf) > 0)
            return;
        test_nap_ms(50);
    }
    cr_assert_fail("nothing answers on port %d", port);
}
