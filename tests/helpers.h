/* SPDX-License-Identifier: MIT */
/*
 * helpers.h: what the test files share: a timing tolerance that a slow machine can widen
 * (MOB_TEST_SLOW=1 multiplies it by 10, as libuv's UV_TEST_TIMEOUT_MULTIPLIER does), a loop
 * runner that asserts a clean end, and the build directory of the tools under test.
 */
#ifndef MOB_TEST_HELPERS_H
#define MOB_TEST_HELPERS_H

#include <stdint.h>

#include "mob.h"

/* Multiplier for time tolerances: 1, or 10 when MOB_TEST_SLOW is set. */
int64_t test_slow_factor(void);

/* Asserts (with cr_expect) that `actual_ns` is within [expected, expected + slack*factor]. */
#define TIME_EXPECT(actual_ns, expected_ns, slack_ns)                                          \
    cr_expect((actual_ns) >= (expected_ns) &&                                                  \
                  (actual_ns) <= (expected_ns) + (slack_ns) * test_slow_factor(),              \
              "took %lld ns, expected %lld ns (+%lld)", (long long)(actual_ns),                 \
              (long long)(expected_ns), (long long)(slack_ns) * test_slow_factor())

/* The build directory (env MOB_BUILD, default "build"). */
const char *test_build_dir(void);

#endif
