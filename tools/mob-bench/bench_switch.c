/* SPDX-License-Identifier: MIT */
/* bench_switch.c: placeholder until the measurement lands. */
#include <stdio.h>

#include "bench.h"

int bench_switch(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mob-bench switch: not built yet\n");
    return 1;
}
