/* SPDX-License-Identifier: MIT */
/*
 * limits.c: what the machine allows, checked before the load (the `mob` command's
 * validation step). Two limits decide whether a horde of socket bots can run at all:
 *   - open files: each socket bot holds one, and a process may open RLIMIT_NOFILE's hard
 *     limit (mob raises the soft one to it): more bots per process than that is an error,
 *     and the remedy is -p (the same bots over more processes);
 *   - ephemeral ports: every connection to one destination from one source address takes a
 *     port of /proc/sys/net/ipv4/ip_local_port_range, whatever the process: more bots in all
 *     than that range is a warning (the extra connects fail, counted as connect failures),
 *     and the remedy is more source addresses (mob_connect_options.source), not -p.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "run.h"

#define RESERVED_FDS 64 /* stdio, the poller, reports, the dashboard, a plugin's own */

int mob__check_limits(const mob_options *o, int fds_per_bot, char *err, size_t errlen,
                      char *warn, size_t warnlen)
{
    err[0] = warn[0] = 0;
    if (fds_per_bot <= 0)
        return 0;
    int64_t per = (int64_t)mob_options_max_bots(o) * fds_per_bot, procs = o->processes;
    int64_t total = per * procs;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        per + RESERVED_FDS > (int64_t)rl.rlim_max) {
        int64_t room = (int64_t)rl.rlim_max - RESERVED_FDS;
        int64_t p = room > 0 ? (total + room - 1) / room : 0;
        if (p > 0 && p <= 1024)
            snprintf(err, errlen,
                     "%lld bots per process need %lld open files, and a process may open %llu "
                     "here (RLIMIT_NOFILE): use -p %lld -w %lld for the same %lld bots",
                     (long long)per, (long long)(per + RESERVED_FDS),
                     (unsigned long long)rl.rlim_max, (long long)p,
                     (long long)((total + p - 1) / p), (long long)total);
        else
            snprintf(err, errlen,
                     "%lld bots per process need %lld open files, and a process may open %llu "
                     "here (RLIMIT_NOFILE): use fewer bots, or more processes (-p)",
                     (long long)per, (long long)(per + RESERVED_FDS),
                     (unsigned long long)rl.rlim_max);
        return -EMFILE;
    }
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    long lo = 0, hi = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &lo, &hi) != 2)
            hi = -1;
        fclose(f);
    }
    if (hi >= lo && total > hi - lo + 1)
        snprintf(warn, warnlen,
                 "warning: %lld bots in all, and one source address has %ld ephemeral ports "
                 "to a destination (ip_local_port_range %ld-%ld): the connects past them will "
                 "fail (counted); -p does not help, more source addresses do "
                 "(mob_connect_options.source, e.g. 127.0.0.2)",
                 (long long)total, hi - lo + 1, lo, hi);
    return 0;
}
