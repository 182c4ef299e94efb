/* SPDX-License-Identifier: MIT */
/*
 * helpers.h: the few things several test files share: a time tolerance that MOB_TEST_SLOW=1
 * widens (libuv's UV_TEST_TIMEOUT_MULTIPLIER idea), and a loopback listener.
 */
#ifndef MOB_TEST_HELPERS_H
#define MOB_TEST_HELPERS_H

#include <stdint.h>

/* 1, or 10 when MOB_TEST_SLOW=1 is set (valgrind, qemu, a loaded machine). */
int test_slow_factor(void);

/* Asserts (cr_expect) that `got_ns` lies in [want_ns, want_ns + tol_ms * slow factor]. */
#define TIME_EXPECT(got_ns, want_ns, tol_ms)                                                   \
    cr_expect((got_ns) >= (want_ns) - 1000000 &&                                               \
                  (got_ns) <= (want_ns) + (int64_t)(tol_ms) * 1000000 * test_slow_factor(),    \
              "took %lld ns, wanted %lld ns (+%d ms)", (long long)(got_ns),                     \
              (long long)(want_ns), (int)(tol_ms))

/* A blocking TCP listener on 127.0.0.1 with an ephemeral port. Returns the fd (> 0) and sets
 * *port, or -errno. */
int test_listen_loopback(int *port);

/* The build directory of the binaries under test (env MOB_BUILD, default "build"). */
const char *test_build_dir(void);

#endif
