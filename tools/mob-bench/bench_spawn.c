/* SPDX-License-Identifier: MIT */
/* bench_spawn.c: placeholder until the measurement lands. */
#include <stdio.h>

#include "bench.h"

int bench_spawn(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mob-bench spawn: not built yet\n");
    return 1;
}
