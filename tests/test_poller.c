/* SPDX-License-Identifier: MIT */
/*
 * test_poller.c: the poller backend on its own, through platform/platform.h only (no loop).
 * The same cases run against whichever backend the build picked; `make check` runs them
 * again with POLLER=poll. Where edge- and level-triggered backends must differ, the test
 * asks mob__poller_edge() which one it has and checks the matching behaviour.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../platform/platform.h"
#include "helpers.h"

static struct mob__poller *P;
static int sp[2];

static void setup(void)
{
    cr_assert_eq(mob__poller_new(&P), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    fcntl(sp[1], F_SETFL, O_NONBLOCK);
}

static void teardown(void)
{
    mob__poller_free(P);
    close(sp[0]);
    close(sp[1]);
}

/* Collects the mask reported for `fd` by one wait (several reports for one fd are OR-ed, as
 * kqueue reports read and write separately). */
static unsigned wait_mask(int fd, int64_t timeout_ns, int *nev)
{
    struct mob__event ev[16];
    int n = mob__poller_wait(P, timeout_ns, ev, 16);
    cr_assert_geq(n, 0, "wait failed: %s", strerror(-n));
    unsigned m = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].fd == fd)
            m |= ev[i].mask;
    if (nev)
        *nev = n;
    return m;
}

TestSuite(poller, .init = setup, .fini = teardown, .timeout = 5);

Test(poller, name_matches_the_backend_built)
{
    const char *n = mob__poller_name();
    cr_assert(!strcmp(n, "epoll") || !strcmp(n, "kqueue") || !strcmp(n, "poll"), "%s", n);
    cr_assert_eq(mob__poller_edge(), strcmp(n, "poll") != 0);
    if (!strcmp(n, "poll"))
        cr_assert_eq(mob__poller_fd(P), -1);
    else
        cr_assert_geq(mob__poller_fd(P), 0);
}

Test(poller, wait_times_out_with_nothing_ready)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    int64_t t0 = mob__clock_ns();
    int n = -1;
    unsigned m = wait_mask(sp[0], 30 * 1000000, &n);
    int64_t took = mob__clock_ns() - t0;
    cr_assert_eq(n, 0);
    cr_assert_eq(m, 0u);
    cr_assert_geq(took, 29 * 1000000, "returned after %lld ns", (long long)took);
    cr_assert_leq(took, (int64_t)500 * 1000000 * test_slow_factor());
}

Test(poller, zero_timeout_returns_at_once)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    int64_t t0 = mob__clock_ns();
    int n = -1;
    wait_mask(sp[0], 0, &n);
    cr_assert_eq(n, 0);
    cr_assert_lt(mob__clock_ns() - t0, (int64_t)50 * 1000000 * test_slow_factor());
}

Test(poller, readable_after_the_peer_writes)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert_eq(wait_mask(sp[0], 0, NULL) & MOB__IN, 0u);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__IN);
}

Test(poller, fresh_socket_is_writable)
{
    unsigned want = mob__poller_edge() ? MOB__IN | MOB__OUT : MOB__OUT;
    cr_assert_eq(mob__poller_set(P, sp[0], 0, want), 0);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__OUT);
}

Test(poller, a_timeout_of_years_is_accepted)
{
    /* A timer years away gives the loop a timeout of years. Kernels cap it differently (macOS's
     * kevent refuses over 10^8 s with EINVAL, epoll_wait takes int ms): the backend clamps, and
     * waking early is harmless. */
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    struct mob__event ev[4];
    int n = mob__poller_wait(P, (int64_t)200000000 * 1000000000, ev, 4);
    cr_assert_eq(n, 1, "wait: %d (%s)", n, n < 0 ? strerror(-n) : "");
    cr_assert_eq(ev[0].fd, sp[0]);
}

Test(poller, edge_backends_report_once_level_backends_until_drained)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__IN);
    /* Nothing was read: a level backend says so again, an edge backend stays quiet until new
     * data arrives. */
    unsigned again = wait_mask(sp[0], 0, NULL) & MOB__IN;
    if (mob__poller_edge())
        cr_assert_eq(again, 0u);
    else
        cr_assert_eq(again, MOB__IN);
    /* New data is a new edge. */
    cr_assert_eq(write(sp[1], "y", 1), 1);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__IN);
    char buf[4];
    cr_assert_eq(read(sp[0], buf, sizeof buf), 2);
    cr_assert_eq(wait_mask(sp[0], 0, NULL) & MOB__IN, 0u);
}

Test(poller, data_present_before_registration_is_reported)
{
    /* The core relies on this: a bot that got EAGAIN registers and parks, and anything that
     * arrived in between must not be lost. */
    cr_assert_eq(write(sp[1], "x", 1), 1);
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__IN);
}

Test(poller, removed_fd_is_no_longer_reported)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert_eq(mob__poller_set(P, sp[0], MOB__IN, 0), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    int n = -1;
    wait_mask(sp[0], 20 * 1000000, &n);
    cr_assert_eq(n, 0);
    /* Removing twice, or an fd never added, is harmless. */
    cr_assert_eq(mob__poller_set(P, sp[0], MOB__IN, 0), 0);
}

Test(poller, changing_interest_to_out_only_stops_read_reports)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    cr_assert_eq(mob__poller_set(P, sp[0], MOB__IN, MOB__OUT), 0);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    unsigned m = wait_mask(sp[0], 1000000000, NULL);
    cr_assert_eq(m, MOB__OUT);
}

Test(poller, hangup_wakes_both_directions)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN | MOB__OUT), 0);
    wait_mask(sp[0], 0, NULL); /* consume the initial writable report */
    close(sp[1]);
    sp[1] = -1;
    unsigned m = wait_mask(sp[0], 1000000000, NULL);
    cr_assert_eq(m & MOB__IN, MOB__IN, "mask %u", m);
    cr_assert_eq(m & MOB__HUP, MOB__HUP, "mask %u", m);
    char c;
    cr_assert_eq(read(sp[0], &c, 1), 0); /* EOF: the read reports the cause */
}

Test(poller, reports_at_most_max_and_the_rest_next_time)
{
    enum { N = 8 };
    int pairs[N][2];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]), 0);
        fcntl(pairs[i][0], F_SETFL, O_NONBLOCK);
        cr_assert_eq(mob__poller_set(P, pairs[i][0], 0, MOB__IN), 0);
        cr_assert_eq(write(pairs[i][1], "x", 1), 1);
    }
    struct mob__event ev[N];
    int seen[N] = {0}, total = 0;
    for (int round = 0; round < 4 && total < N; round++) {
        int n = mob__poller_wait(P, 1000000000, ev, 3);
        cr_assert(n > 0 && n <= 3, "n = %d", n);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < N; k++)
                if (ev[i].fd == pairs[k][0] && !seen[k]) {
                    seen[k] = 1;
                    total++;
                    char c;
                    cr_assert_eq(read(pairs[k][0], &c, 1), 1);
                }
    }
    cr_assert_eq(total, N, "only %d of %d fds reported", total, N);
    for (int i = 0; i < N; i++) {
        mob__poller_set(P, pairs[i][0], MOB__IN, 0);
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
}

Test(poller, many_fds_register_and_report_the_right_one)
{
    enum { N = 500 };
    int pairs[N][2];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]), 0);
        cr_assert_eq(mob__poller_set(P, pairs[i][0], 0, MOB__IN), 0);
    }
    cr_assert_eq(write(pairs[N - 7][1], "x", 1), 1);
    struct mob__event ev[8];
    int n = mob__poller_wait(P, 1000000000, ev, 8);
    cr_assert_eq(n, 1);
    cr_assert_eq(ev[0].fd, pairs[N - 7][0]);
    cr_assert_eq(ev[0].mask & MOB__IN, MOB__IN);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(mob__poller_set(P, pairs[i][0], MOB__IN, 0), 0);
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
}

/* Closes sp[0] behind the poller's back and makes a new socket take the same number, as
 * happens when the core's view of an fd is stale. Returns the new socket's peer. */
static int reuse_sp0_number(void)
{
    int old = sp[0], q[2];
    close(sp[0]);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, q), 0);
    cr_assert_eq(q[0], old, "the number was not reused: the test proves nothing");
    fcntl(q[0], F_SETFL, O_NONBLOCK);
    sp[0] = q[0]; /* teardown closes it */
    return q[1];
}

Test(poller, a_reused_fd_number_gets_its_whole_interest_back)
{
    /* The kernel forgot the old file's registration at close; the core still believes IN is
     * registered and only asks for OUT more. Reads on the new file must be reported anyway. */
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN), 0);
    int peer = reuse_sp0_number();
    cr_assert_eq(mob__poller_set(P, sp[0], MOB__IN, MOB__IN | MOB__OUT), 0);
    wait_mask(sp[0], 0, NULL); /* the initial writable report */
    cr_assert_eq(write(peer, "x", 1), 1);
    cr_assert(wait_mask(sp[0], 1000000000, NULL) & MOB__IN);
    close(peer);
}

Test(poller, dropping_a_direction_the_kernel_already_forgot_is_not_an_error)
{
    cr_assert_eq(mob__poller_set(P, sp[0], 0, MOB__IN | MOB__OUT), 0);
    int peer = reuse_sp0_number();
    cr_assert_eq(mob__poller_set(P, sp[0], MOB__IN | MOB__OUT, MOB__OUT), 0);
    cr_assert_eq(write(peer, "x", 1), 1);
    cr_assert_eq(wait_mask(sp[0], 1000000000, NULL), MOB__OUT);
    close(peer);
}
