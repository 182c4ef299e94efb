/* SPDX-License-Identifier: MIT */
/*
 * bench.h: what the mob-bench subcommands share. Each subcommand lives in its own file
 * (bench_switch.c, bench_spawn.c, bench_pipes.c, bench_echo.c) and is dispatched by main.c.
 * Every subcommand prints a human table on stdout, or with --json one JSON object per
 * measurement line.
 */
#ifndef MOB_BENCH_H
#define MOB_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Each returns the process exit status: 0, 1 on a failed measurement, 2 on bad flags. */
int bench_switch(int argc, char **argv);
int bench_spawn(int argc, char **argv);
int bench_pipes(int argc, char **argv);
int bench_echo(int argc, char **argv);
int bench_msg(int argc, char **argv);
int bench_idle(int argc, char **argv);

/* Median of v[0..n) (sorts v in place). */
double bench_median(double *v, size_t n);

/* Parses "--name=value" or "--name value" at argv[*i]; returns the value or NULL. */
const char *bench_flag(int argc, char **argv, int *i, const char *name);

/* Resident set size of this process in bytes, from /proc/self/statm (0 if unknown). */
size_t bench_rss_bytes(void);

#endif
