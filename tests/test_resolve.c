/* SPDX-License-Identifier: MIT */
/*
 * Names resolve (issue 11, part 4): through the system resolver, once per name, before the
 * load; an unresolvable name is a usage error (exit 2) naming the host and the resolver's
 * reason. "LOCALHOST" is the name used: /etc/hosts has "localhost", which the system's
 * resolver matches whatever the case, and mob's own numeric and hosts-file parsing does not,
 * so only a real resolver finds it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"
#include "mob_io.h"
#include "mob_run.h"

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

Test(resolve, a_name_resolves_once_and_is_remembered)
{
    struct sockaddr_storage ss;
    cr_assert_eq(mob_addr_parse("LOCALHOST", 80, &ss), -EINVAL, "no lookup of its own");
    char why[128];
    int len = mob_resolve("LOCALHOST", 8080, &ss, why, sizeof why);
    cr_assert_gt(len, 0, "%s", why);
    cr_assert_eq(ss.ss_family, AF_INET);
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    cr_assert_eq(ntohs(a->sin_port), 8080);
    cr_assert_eq(ntohl(a->sin_addr.s_addr), 0x7f000001);
    memset(&ss, 0, sizeof ss);
    cr_assert_eq(mob_addr_parse("LOCALHOST", 81, &ss), len, "remembered, with any port");
    cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 81);
    cr_assert_eq(mob_resolve("::1", 7, &ss, why, sizeof why), (int)sizeof(struct sockaddr_in6));
    cr_assert_eq(ss.ss_family, AF_INET6);
    cr_assert_eq(mob_resolve("no.such.host.invalid", 80, &ss, why, sizeof why), -EHOSTUNREACH);
    cr_assert_neq(why[0], 0, "the resolver's reason");
}

Test(resolve, the_command_resolves_before_the_load_or_exits_2, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    char url[64];
    snprintf(url, sizeof url, "tcp://LOCALHOST:%d", port);
    struct test_out o;
    MOB(&o, "-w", "2", "-r", "3", "--no-live", url);
    test_child_stop(srv);
    cr_assert_eq(o.code, 0, "exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.out, "SUCCESSES: 6 | FAILURES: 0"), "%s", o.out);
    MOB(&o, "-w", "2", "-d", "10s", "http://no.such.host.invalid/");
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.err, "cannot resolve host 'no.such.host.invalid'"), "%s", o.err);
    MOB(&o, "-w", "2", "-d", "10s", "ws://no.such.host.invalid:9/x");
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
    MOB(&o, "-w", "2", "-d", "10s", "arena://no.such.host.invalid:9");
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
}
