/* SPDX-License-Identifier: MIT */
/* bench_echo.c: placeholder until the measurement lands. */
#include <stdio.h>

#include "bench.h"

int bench_echo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mob-bench echo: not built yet\n");
    return 1;
}
