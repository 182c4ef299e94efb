/* SPDX-License-Identifier: MIT */
/*
 * Limits checked up front (issue 11, part 6), the ephemeral-port half: more bots than one source
 * address has ports to one destination is a warning naming source addresses as the remedy, the
 * connects past the ports fail (counted as connect failures), and -d still holds. The test does
 * not open 28,000 sockets: it makes its own network namespace whose ip_local_port_range holds
 * 10 ports, runs the echo server of the run suite there on 127.0.0.1, and 20 bots against it.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_fail.h"
#include "mob_run.h"

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

#define NO_NETNS 120 /* the child could not make its namespace: skip, do not fail */

/* In the child: a namespace of its own with lo up and 10 ephemeral ports. Returns 0, or -1 when
 * this machine does not allow it. */
static int small_netns(void)
{
    if (unshare(CLONE_NEWNET) < 0)
        return -1;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
    if (!f || fputs("40000 40009\n", f) < 0 || fclose(f) != 0)
        return -1;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        return -1;
    close(s);
    return 0;
}

Test(ports, more_bots_than_ports_warn_of_source_addresses_and_d_holds, .timeout = 30)
{
    char json[64], out[64], bin[512];
    snprintf(json, sizeof json, "/tmp/mob-ports-%d.json", (int)getpid());
    snprintf(out, sizeof out, "/tmp/mob-ports-%d.out", (int)getpid());
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    fflush(NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t mob = fork();
    cr_assert_geq(mob, 0);
    if (mob == 0) {
        if (small_netns() < 0)
            _exit(NO_NETNS);
        int port;
        pid_t srv = run_server_start(&port, 0, 0, 0); /* in the namespace too */
        char url[64];
        snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
        fflush(NULL);
        pid_t m = fork();
        if (m == 0) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            execl(bin, bin, "-w", "20", "-d", "1s", "--no-live", "--json", json, url, (char *)NULL);
            _exit(127);
        }
        int ms = 127;
        if (m > 0)
            waitpid(m, &ms, 0);
        test_child_stop(srv);
        _exit(WIFEXITED(ms) ? WEXITSTATUS(ms) : 127);
    }
    int st;
    waitpid(mob, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (WIFEXITED(st) && WEXITSTATUS(st) == NO_NETNS)
        cr_skip_test("no network namespace of its own here (unshare -n)");
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const char *text = test_read_file(out);
    unlink(out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 127, "mob ran and ended: %s", text);
    cr_assert_not_null(strstr(text, "warning: 20 bots in all, and one source address has 10 "
                                    "ephemeral ports to a destination"),
                       "%s", text);
    cr_assert_not_null(strstr(text, "more source addresses do"), "%s", text);
    cr_assert_lt(s, 1.0 + 3.0, "-d 1s held: the run took %.2f s", s);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0, "%s", text);
    unlink(json);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_gt(t.fail[MOB_FAIL_CONNECT], 0, "the connects past the 10 ports are counted");
    mob_result_free(r);
}
