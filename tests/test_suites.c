/* SPDX-License-Identifier: MIT */
/*
 * test_suites.c: the mob command's built-in suites for ws:// and arena:// (src/suites/) under
 * the real load runner (mob_run_suite), against servers run by mob in a forked child: an
 * arena with both listeners, and the WebSocket echo server of test_ws_echo.h. (http:// and
 * tcp:// run through the command in test_cli.c.) Also: http:// and ws:// bots in one command,
 * one kind of bot each (kinds.c), and arena players as one kind beside http bots.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"
#include "mob_arena.h"
#include "mob_http.h"
#include "mob_run.h"
#include "mob_suites.h"
#include "suites/suites.h"
#include "test_run.h"
#include "test_ws_echo.h"

/* The servers die with their test: when the parent goes (a failed assert ends it at once),
 * or after 30 s whatever happens. */
static intptr_t orphan_watch(mob_bot *self, void *arg)
{
    pid_t parent = (pid_t)(intptr_t)arg;
    int64_t end = mob_now(mob_bot_loop(self)) + 30 * MOB_NS_PER_SEC;
    while (getppid() == parent && mob_now(mob_bot_loop(self)) < end)
        if (mob_sleep(self, MOB_NS_PER_SEC / 10) < 0)
            break;
    _exit(0);
}

/* Forks the servers; returns the child's pid and the three ports (tcp, ws, echo). */
static pid_t start_servers(int ports[3])
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        mob_loop *loop = mob_loop_new(NULL);
        mob_arena_options o = mob_arena_options_default();
        o.ws_port = 0;
        mob_arena *a;
        if (!loop || mob_arena_start(loop, &o, &a) < 0)
            _exit(1);
        int lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 128);
        int out[3] = {mob_arena_port(a), mob_arena_ws_port(a), mob_local_port(lfd)};
        test_ws_echo_serve(loop, lfd);
        mob_spawn(loop, orphan_watch, (void *)(intptr_t)parent);
        if (write(p[1], out, sizeof out) != sizeof out)
            _exit(1);
        close(p[1]);
        mob_loop_run(loop); /* until the parent kills us */
        _exit(0);
    }
    close(p[1]);
    cr_assert_eq(read(p[0], ports, 3 * sizeof(int)), (ssize_t)(3 * sizeof(int)));
    close(p[0]);
    return pid;
}

static mob_result *run_suite(const mob_suite *s, int bots)
{
    mob_options o;
    mob_options_init(&o);
    o.bots = bots;
    o.duration_ns = MOB_NS_PER_SEC;
    o.quiet = 1;
    o.live = 0;
    mob_result *r = NULL;
    cr_assert_eq(mob_run_suite(s, &o, &r), 0);
    return r;
}

Test(suites, ws_echo_bots_run_under_the_load_runner, .timeout = 20)
{
    int ports[3];
    pid_t pid = start_servers(ports);
    char url[64], err[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/echo", ports[2]);
    const mob_suite *s = mob_builtin_suite(url, NULL, err, sizeof err);
    cr_assert(s, "%s", err);
    mob_result *r = run_suite(s, 10);
    mob_suite_free(s);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    test_child_stop(pid);
    cr_assert_gt(t.ok, 100, "%llu echoes", (unsigned long long)t.ok);
    cr_assert_eq(t.failures, 0);
}

Test(suites, http_and_ws_bots_run_as_two_kinds_of_one_command, .timeout = 20)
{
    int ports[3], hport;
    pid_t pid = start_servers(ports), hpid = run_server_start(&hport, 0, 0, 0);
    char http[64], ws[64], json[] = "/tmp/mob-suites-kinds-XXXXXX";
    close(mkstemp(json));
    snprintf(http, sizeof http, "http://127.0.0.1:%d/", hport);
    snprintf(ws, sizeof ws, "ws://127.0.0.1:%d/echo", ports[2]);
    struct test_out o;
    MOB(&o, "-q", "-w", "8", "-r", "10", "--kind", "http=3", "--kind", "ws=1", "--json", json,
        http, ws);
    test_child_stop(pid);
    test_child_stop(hpid);
    cr_assert_eq(o.code, 0, "%s", o.err);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    unlink(json);
    mob_kind_stats k;
    mob_scenario_stats st;
    cr_assert_eq(mob_result_kind(r, 0, &k), 0);
    cr_expect(strcmp(k.name, "http") == 0 && k.weight == 3 && k.bots == 6);
    cr_assert_eq(mob_result_kind(r, 1, &k), 0);
    cr_expect(strcmp(k.name, "ws") == 0 && k.weight == 1 && k.bots == 2);
    cr_assert_eq(mob_result_scenario(r, 0, &st), 0);
    cr_expect(strcmp(st.name, "http/get") == 0 && st.ok == 60 && st.failures == 0, "%s %llu",
              st.name, (unsigned long long)st.ok);
    cr_assert_eq(mob_result_scenario(r, 1, &st), 0);
    cr_expect(strcmp(st.name, "ws/ws-echo") == 0 && st.ok == 20 && st.failures == 0, "%s %llu",
              st.name, (unsigned long long)st.ok);
    mob_result_free(r);
}

/* The ok runs of scenario `name` in r, and its failures added to *fail. */
static uint64_t scenario_ok(const mob_result *r, const char *name, uint64_t *fail)
{
    for (int i = 0; i < mob_result_nscenarios(r); i++) {
        mob_scenario_stats st;
        mob_result_scenario(r, i, &st);
        if (!strcmp(st.name, name)) {
            *fail += st.failures;
            return st.ok;
        }
    }
    return 0;
}

/* arena:// as one kind of several: its players number themselves among the arena kind's bots
 * only, so its rooms fill as they would with the players alone (every room-mate a player
 * that comes: each chat round sees all its mates' lines) while HTTP bots run beside them,
 * in one process and in two (each its own block of rooms). */
Test(suites, arena_players_are_one_kind_among_several, .timeout = 30)
{
    int ports[3], hport;
    pid_t pid = start_servers(ports), hpid = run_server_start(&hport, 0, 0, 0);
    char arena[64], http[64], json[] = "/tmp/mob-suites-arena-kind-XXXXXX";
    close(mkstemp(json));
    snprintf(arena, sizeof arena, "arena://127.0.0.1:%d", ports[0]);
    snprintf(http, sizeof http, "http://127.0.0.1:%d/", hport);
    for (int procs = 1; procs <= 2; procs++) {
        struct test_out o;
        MOB(&o, "-q", "-w", "20", "-p", procs == 1 ? "1" : "2", "-d", "1s", "--timeout", "5s",
            "--kind", "arena=3", "--kind", "http=1", "--json", json, arena, http);
        cr_assert_eq(o.code, 0, "-p %d: %s", procs, o.err);
        mob_result *r;
        cr_assert_eq(mob_result_read_json(json, &r), 0);
        mob_kind_stats k;
        cr_assert_eq(mob_result_kind(r, 0, &k), 0);
        cr_expect(!strcmp(k.name, "arena") && k.weight == 3 && k.bots == 15u * procs,
                  "%s %llu", k.name, (unsigned long long)k.bots);
        cr_assert_eq(mob_result_kind(r, 1, &k), 0);
        cr_expect(!strcmp(k.name, "http") && k.weight == 1 && k.bots == 5u * procs);
        uint64_t fail = 0, logins = scenario_ok(r, "arena/login", &fail),
                 chats = scenario_ok(r, "arena/chat", &fail), gets = scenario_ok(r, "http/get",
                                                                                 &fail);
        mob_totals t;
        mob_result_totals(r, &t);
        mob_result_free(r);
        cr_expect_eq(t.failures, 0, "-p %d: %llu failures", procs,
                     (unsigned long long)t.failures);
        cr_expect_eq(logins, 15u * procs);
        cr_expect_geq(chats, 15u * procs, "-p %d: every player chats with all its room-mates "
                      "(%llu chat rounds)", procs, (unsigned long long)chats);
        cr_expect_gt(gets, 100, "-p %d: the HTTP bots ran beside them", procs);
    }
    unlink(json);
    test_child_stop(pid);
    test_child_stop(hpid);
}

/* Three machines (--index m/3) at once against one arena, 16 players each in rooms of 8: each
 * machine takes its own block of rooms, so no room gets more players than its capacity (16)
 * and every player's mates are its own machine's. Each machine is a forked child that says
 * its failures and chat rounds through a pipe. */
Test(suites, arena_players_of_several_machines_take_rooms_of_their_own, .timeout = 30)
{
    int ports[3], p[2];
    pid_t pid = start_servers(ports), kids[3];
    cr_assert_eq(pipe(p), 0);
    char url[64], err[256];
    snprintf(url, sizeof url, "arena://127.0.0.1:%d", ports[0]);
    for (int m = 0; m < 3; m++) {
        kids[m] = fork();
        cr_assert_geq(kids[m], 0);
        if (kids[m] > 0)
            continue;
        const mob_suite *s = mob_builtin_suite(url, NULL, err, sizeof err);
        mob_options o;
        mob_options_init(&o);
        o.bots = 16;
        o.duration_ns = MOB_NS_PER_SEC;
        o.index = m;
        o.nindex = 3;
        o.quiet = 1;
        o.live = 0;
        mob_result *r = NULL;
        uint64_t got[2] = {UINT64_MAX, 0};
        if (s && mob_run_suite(s, &o, &r) == 0) {
            mob_totals t;
            mob_result_totals(r, &t);
            got[0] = t.failures;
            got[1] = scenario_ok(r, "chat", &got[0]);
        }
        _exit(write(p[1], got, sizeof got) == sizeof got ? 0 : 1);
    }
    close(p[1]);
    for (int m = 0; m < 3; m++) {
        uint64_t got[2];
        cr_assert_eq(read(p[0], got, sizeof got), (ssize_t)sizeof got);
        cr_expect_eq(got[0], 0, "a machine's players failed %llu times",
                     (unsigned long long)got[0]);
        cr_expect_geq(got[1], 16, "%llu chat rounds", (unsigned long long)got[1]);
    }
    for (int m = 0; m < 3; m++)
        waitpid(kids[m], NULL, 0);
    close(p[0]);
    test_child_stop(pid);
}

Test(suites, ws_echo_against_a_non_websocket_server_fails_as_protocol, .timeout = 20)
{
    int ports[3];
    pid_t pid = start_servers(ports);
    char url[64], err[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ports[0]); /* the arena's TCP port */
    const mob_suite *s = mob_builtin_suite(url, NULL, err, sizeof err);
    cr_assert(s);
    mob_options o;
    mob_options_init(&o);
    o.bots = 2;
    o.duration_ns = MOB_NS_PER_SEC / 2;
    o.timeout_ns = MOB_NS_PER_SEC / 10;
    o.quiet = 1;
    o.live = 0;
    mob_result *r = NULL;
    cr_assert_eq(mob_run_suite(s, &o, &r), 0);
    mob_suite_free(s);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    test_child_stop(pid);
    cr_assert_eq(t.ok, 0);
    cr_assert_gt(t.failures, 0);
    cr_assert_eq(t.failures, t.fail[MOB_FAIL_PROTOCOL] + t.fail[MOB_FAIL_TIMEOUT]);
}

static void arena_players(int ws)
{
    int ports[3];
    pid_t pid = start_servers(ports);
    char url[64], err[256];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", ws ? "arena+ws" : "arena", ports[ws]);
    const mob_suite *s = mob_builtin_suite(url, NULL, err, sizeof err);
    cr_assert(s, "%s", err);
    mob_result *r = run_suite(s, 24);
    mob_totals t;
    mob_result_totals(r, &t);
    uint64_t chats = 0, moves = 0, logins = 0;
    for (int i = 0; i < mob_result_nscenarios(r); i++) {
        mob_scenario_stats st;
        mob_result_scenario(r, i, &st);
        if (!strcmp(st.name, "chat"))
            chats = st.ok;
        if (!strcmp(st.name, "move"))
            moves = st.ok;
        if (!strcmp(st.name, "login"))
            logins = st.ok;
    }
    mob_result_free(r);
    test_child_stop(pid);
    cr_assert_eq(t.failures, 0, "%llu failures", (unsigned long long)t.failures);
    cr_assert_eq(logins, 24);
    cr_assert_gt(chats, 24, "more than one chat round each: %llu", (unsigned long long)chats);
    cr_assert_geq(moves, 3 * chats);
}

Test(suites, arena_players_run_under_the_load_runner_over_tcp, .timeout = 20)
{
    arena_players(0);
}

Test(suites, arena_players_run_under_the_load_runner_over_websocket, .timeout = 20)
{
    arena_players(1);
}

Test(suites, bad_targets_are_refused_with_a_message)
{
    char err[256];
    static const char *bad[] = {"ws://h:/", "ws://u@h:1/", "ws://h:0/", "arena://h",
                                "arena+ws://:5", "gopher://h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        cr_expect_null(mob_builtin_suite(bad[i], NULL, err, sizeof err), "%s", bad[i]);
        cr_expect(err[0], "a message for %s", bad[i]);
    }
}

/* A ws(s):// URL is read as the http(s):// one its handshake is: the default ports are 80 and
 * 443, the rest of the rules are HTTP's. */
Test(suites, ws_urls_take_the_http_rules_and_default_ports)
{
    static const struct {
        const char *url, *host, *path;
        int port, tls;
    } ok[] = {
        {"ws://127.0.0.1/", "127.0.0.1", "/", 80, 0},
        {"ws://localhost", "localhost", "/", 80, 0},
        {"wss://example.com/chat?room=1", "example.com", "/chat?room=1", 443, 1},
        {"wss://h:8443", "h", "/", 8443, 1},
        {"ws://[::1]:9000/echo", "::1", "/echo", 9000, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        mob_http_url u;
        cr_assert_eq(mob__suite_ws_url(ok[i].url, &u), 0, "%s", ok[i].url);
        cr_expect_str_eq(u.host, ok[i].host, "%s", ok[i].url);
        cr_expect_str_eq(u.path, ok[i].path, "%s", ok[i].url);
        cr_expect_eq(u.port, ok[i].port, "%s", ok[i].url);
        cr_expect_eq(u.tls, ok[i].tls, "%s", ok[i].url);
    }
    static const char *bad[] = {"ws://", "ws://h:0/", "wss://h:65536/", "ws://u@h/", "ws:/h",
                                "http://h/", "wss:h", "ws://h?q"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mob_http_url u;
        cr_expect_eq(mob__suite_ws_url(bad[i], &u), -EINVAL, "%s", bad[i]);
    }
}

/* --size and --buffer go to the suite they are for, as mob_suite_args, not through the
 * runner's options. */
Test(suites, suite_args_reach_the_suite_they_are_for)
{
    char err[256] = "";
    mob_suite_args a = {.buffer_size = 4096};
    const mob_suite *s = mob_builtin_suite("http://127.0.0.1:1/", &a, err, sizeof err);
    cr_assert(s, "%s", err);
    size_t big = s->state_size;
    mob_suite_free(s);
    a.buffer_size = 0;
    s = mob_builtin_suite("http://127.0.0.1:1/", &a, err, sizeof err);
    cr_assert(s, "%s", err);
    cr_expect_eq(big - s->state_size, 4096 - 512, "state grows with --buffer (default 512)");
    mob_suite_free(s);

    a.payload_size = 4096;
    s = mob_builtin_suite("ws://127.0.0.1:1/", &a, err, sizeof err);
    cr_expect_not_null(s, "%s", err);
    mob_suite_free(s);
    a.payload_size = 4097;
    err[0] = 0;
    cr_expect_null(mob_builtin_suite("ws://127.0.0.1:1/", &a, err, sizeof err));
    cr_expect(strstr(err, "--size") != NULL, "says which flag: %s", err);
}

Test(suites, an_in_process_arena_serves_its_process_bots_and_stops_with_them, .timeout = 20)
{
    for (int ws = 0; ws < 2; ws++) {
        char err[256];
        const mob_suite *s =
            mob_builtin_suite(ws ? "arena+ws://in-process" : "arena://in-process", NULL, err,
                              sizeof err);
        cr_assert(s, "%s", err);
        mob_options o;
        mob_options_init(&o);
        o.bots = 16;
        o.processes = 2; /* one arena per process, each with its own rooms */
        o.duration_ns = MOB_NS_PER_SEC / 2;
        o.quiet = 1;
        o.live = 0;
        mob_result *r = NULL;
        cr_assert_eq(mob_run_suite(s, &o, &r), 0);
        mob_totals t;
        mob_result_totals(r, &t);
        uint64_t chats = 0;
        for (int i = 0; i < mob_result_nscenarios(r); i++) {
            mob_scenario_stats st;
            mob_result_scenario(r, i, &st);
            if (!strcmp(st.name, "chat"))
                chats = st.ok;
        }
        mob_result_free(r);
        cr_assert_eq(t.failures, 0, "%llu failures", (unsigned long long)t.failures);
        cr_assert_gt(chats, 32, "chat rounds: %llu", (unsigned long long)chats);
    }
}
