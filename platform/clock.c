/* SPDX-License-Identifier: MIT */
/*
 * clock.c: the monotonic clock, the open-file limit and the parent-death signal: the small
 * things the core needs from the OS besides stacks and a poller.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <sys/resource.h>
#include <time.h>

#include "platform.h"

int64_t mob__clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mob__raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        rl.rlim_cur = want;
        /* macOS refuses more than OPEN_MAX for the soft limit even when the hard one is
         * unlimited; settle for what it accepts. */
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? (int64_t)1 << 30 : (int64_t)rl.rlim_cur;
}

int mob__set_timer_slack(int64_t ns)
{
#if defined(__linux__)
    return prctl(PR_SET_TIMERSLACK, (unsigned long)ns, 0, 0, 0) == 0 ? 0 : -errno;
#else
    (void)ns;
    return -ENOSYS;
#endif
}

int mob__die_with_parent(int sig)
{
#if defined(__linux__)
    return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0 ? 0 : -errno;
#else
    (void)sig;
    return -ENOSYS;
#endif
}
