/* SPDX-License-Identifier: MIT */
/*
 * mob-bench: measures the runtime itself. `mob-bench switch|spawn|pipes|echo [--json] ...`.
 * This file only dispatches and holds the helpers of bench.h; each measurement is in its own
 * bench_*.c file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mob.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char *bench_flag(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

size_t bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size, resident;
    if (!f)
        return 0;
    int ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
    fclose(f);
    return ok ? resident * 4096ul : 0;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    {"switch", bench_switch, "ns per yield: 2 bots, 10,000 bots, and with dirty FP status"},
    {"spawn", bench_spawn, "ns per spawn + first run, RSS per idle bot (--bots N)"},
    {"pipes", bench_pipes, "libevent's chained-write benchmark (--pipes --active --writes)"},
    {"echo", bench_echo, "TCP ping-pong round trips per second on loopback"},
    {"msg", bench_msg, "mailboxes: ping-pong in both modes, send_all to 100,000 bots"},
    {"idle", bench_idle, "CPU of an idle lockstep loop asking about 1,000 sockets"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mob-bench COMMAND [--json] [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\nmob %s, %s, %s\n", mob_version(), mob_backend_name(), mob_switch_name());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "mob-bench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
