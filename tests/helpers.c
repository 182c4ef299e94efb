/* SPDX-License-Identifier: MIT */
/* helpers.c: see helpers.h. */
#include <stdlib.h>

#include "helpers.h"

int64_t test_slow_factor(void)
{
    const char *s = getenv("MOB_TEST_SLOW");
    return s && *s && *s != '0' ? 10 : 1;
}

const char *test_build_dir(void)
{
    const char *b = getenv("MOB_BUILD");
    return b && *b ? b : "build";
}
