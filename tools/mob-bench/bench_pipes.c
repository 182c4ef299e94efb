/* SPDX-License-Identifier: MIT */
/* bench_pipes.c: placeholder until the measurement lands. */
#include <stdio.h>

#include "bench.h"

int bench_pipes(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mob-bench pipes: not built yet\n");
    return 1;
}
