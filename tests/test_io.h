/* SPDX-License-Identifier: MIT */
/*
 * test_io.h: what the socket tests (test_io.c, test_net.c) share: a record of what the bots of
 * one test saw, non-blocking socketpairs, and fd counting for leak checks.
 */
#ifndef MOB_TEST_IO_H
#define MOB_TEST_IO_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "mob.h"

#define MS MOB_NS_PER_MS

static inline int open_fd_count(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

static inline int fd_is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static inline void nb_socketpair(int sp[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    fcntl(sp[1], F_SETFL, O_NONBLOCK);
}

/* What the bots of one test saw. */
struct seen {
    int sp[2];
    int port, lfd;
    ssize_t rc[8];
    char buf[256];
    int64_t t[4];
    size_t written;
    mob_bot *other;
};

#endif /* MOB_TEST_IO_H */
