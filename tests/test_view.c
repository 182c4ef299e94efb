/* SPDX-License-Identifier: MIT */
/*
 * test_view.c: `mob view` as its users see it (the hub fed by hand is test_hub.c): reporters
 * that come, go, lie, die and come back summed exactly; totals, graceful cuts and the exit
 * status equal to the run's own; a token beyond loopback. Everything on 127.0.0.1, every
 * process bounded by its -d and by an alarm. In the live suite, which make test runs apart.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "run/run.h"
#include "test_live.h"

Test(live, view_sums_reporters_exactly_and_survives_liars_and_quitters, .timeout = 40)
{
    int port = live_free_port();
    char where[32], vj[] = "/tmp/mob-live-vj-XXXXXX", a[] = "/tmp/mob-live-a-XXXXXX",
                    b[] = "/tmp/mob-live-b-XXXXXX";
    close(mkstemp(vj));
    close(mkstemp(a));
    close(mkstemp(b));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    /* Three reporters: r1, and r2's two children. */
    pid_t view = LIVE_START("view", "view", where, "--expect", "3", "--json", vj, "-q");
    live_wait_http(port);
    /* Liars: garbage, a hello and then nonsense, a stream cut in the middle of a line. */
    int g = live_connect(port);
    cr_assert_eq(write(g, "H \x01\x02 nonsense\n", 14), 14);
    int h = live_connect(port);
    const char *cut = "H 1 - liar 0 1 half\nS 0 5 0 0 0 0 0 0 0 0 1 1 1 1 98";
    cr_assert_eq(write(h, cut, strlen(cut)), (ssize_t)strlen(cut));
    close(h);
    pid_t r1 = LIVE_START("r1", "arena://in-process", "-w", "10", "-d", "2s", "-q", "--report-to",
                          where, "--json", a);
    pid_t r2 = LIVE_START("r2", "arena://in-process", "-w", "5", "-p", "2", "-d", "2s", "-q",
                          "--report-to", where, "--json", b);
    cr_assert_eq(live_wait(r1), 0);
    cr_assert_eq(live_wait(r2), 0);
    close(g);
    cr_assert_eq(live_wait(view), 0);
    unsigned long long sum = test_report_totals(a).ok + test_report_totals(b).ok;
    unsigned long long got = test_report_totals(vj).ok;
    cr_assert_eq(got, sum, "the viewer's merged report is the exact sum: %llu vs %llu", got, sum);
    unlink(vj);
    unlink(a);
    unlink(b);
}

/* The viewer's live sums, /report.json before it ends, once its reporter has ended. */
static mob_totals view_live_totals(int port)
{
    static char buf[4 << 20];
    for (int i = 0; i < 100; i++) {
        cr_assert_gt(live_http_get(port, "/metrics", buf, sizeof buf), 0);
        if (strstr(buf, "mob_reporters{state=\"done\"} 1"))
            break;
        test_nap_ms(50);
    }
    cr_assert_not_null(strstr(buf, "mob_reporters{state=\"done\"} 1"), "%s", buf);
    cr_assert_gt(live_http_get(port, "/report.json", buf, sizeof buf), 0);
    char *body = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(body, "%.200s", buf);
    mob_result *r;
    cr_assert_eq(mob__result_parse_json(body + 4, strlen(body + 4), &r), 0, "%s", mob__json_why());
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    return t;
}

static void same_totals(const mob_totals *a, const mob_totals *b, const char *what)
{
    cr_assert_eq(a->ok, b->ok, "%s: ok %llu vs %llu", what, (unsigned long long)a->ok,
                 (unsigned long long)b->ok);
    cr_assert_eq(a->failures, b->failures, "%s: failures", what);
    cr_assert_eq(a->cancelled, b->cancelled, "%s: cut", what);
    cr_assert_eq(a->cut_graceful, b->cut_graceful, "%s: cut at the graceful end, %llu vs %llu",
                 what, (unsigned long long)a->cut_graceful, (unsigned long long)b->cut_graceful);
}

/* An arena run at a graceful -d has chats cut because their room-mates left: not held against
 * -f, by the run or by the viewer; and a run that fails -f fails the viewer too. Whether -d
 * splits a chat round is a matter of timing: up to eight runs, until one has such cuts. The
 * rooms keep step with each other, so a run's end finds many chats mid-way or none (about
 * half the runs with the kqueue emulation's batching, POLLER=kqueue, rarely with epoll); each
 * attempt ends at a slightly different -d so the end meets the rounds at another point. */
Test(live, view_totals_and_exit_status_are_the_runs_own_with_graceful_cuts, .timeout = 90)
{
    char where[32], vj[] = "/tmp/mob-live-gvj-XXXXXX", a[] = "/tmp/mob-live-ga-XXXXXX";
    char duration[16];
    close(mkstemp(vj));
    close(mkstemp(a));
    mob_totals own = {0};
    for (int attempt = 0; attempt < 8 && own.cut_graceful == 0; attempt++) {
        int port = live_free_port();
        snprintf(where, sizeof where, "127.0.0.1:%d", port);
        snprintf(duration, sizeof duration, "%dms", 2000 + 130 * attempt);
        pid_t view = LIVE_START("gview", "view", where, "--expect", "1", "--json", vj, "-q");
        live_wait_http(port);
        pid_t run = LIVE_START("garena", "arena://in-process", "-w", "1000", "-d", duration, "-f", "1",
                               "--no-live", "--report-to", where, "--json", a);
        int run_code = live_wait(run);
        own = test_report_totals(a);
        mob_totals live = view_live_totals(port);
        same_totals(&live, &own, "the viewer's live sums");
        cr_assert_eq(live_wait(view), run_code, "the viewer exits as the run did (%d)", run_code);
        mob_totals merged = test_report_totals(vj);
        same_totals(&merged, &own, "the viewer's report");
    }
    cr_assert_gt(own.cut_graceful, 0, "eight runs without graceful cuts");
    /* A run that fails its -f: the viewer fails too, and its HTML report says so. */
    char url[64], html[] = "/tmp/mob-live-gvh-XXXXXX";
    close(mkstemp(html));
    int port = live_free_port();
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", live_free_port());
    pid_t view = LIVE_START("gview2", "view", where, "--expect", "1", "--html", html, "-q");
    live_wait_http(port);
    pid_t run = LIVE_START("grefused", url, "-w", "1", "-d", "1s", "-f", "1", "--no-live",
                           "--report-to", where);
    cr_assert_eq(live_wait(run), 1);
    cr_assert_eq(live_wait(view), 1, "the viewer exits as the run did");
    const char *page = test_read_file(html);
    cr_assert_not_null(strstr(page, "id=\"exit-status\" class=\"bad\">1<"), "%.3000s", page);
    unlink(html);
    unlink(vj);
    unlink(a);
}

/* A viewer on a new port (where), an arena reporter of 10 bots for `secs` writing json, and
 * the viewer killed 1.2 s in. Returns the reporter's pid. */
static pid_t reporter_losing_its_viewer(char *where, size_t cap, int *port, const char *secs,
                                        const char *json)
{
    *port = live_free_port();
    snprintf(where, cap, "127.0.0.1:%d", *port);
    pid_t view = LIVE_START("lost-view", "view", where, "-q");
    live_wait_http(*port);
    pid_t r = LIVE_START("lost-rep", "arena://in-process", "-w", "10", "-d", secs, "--no-live",
                         "--report-to", where, "--json", json);
    test_nap_ms(1200);
    kill(view, SIGKILL);
    live_wait(view);
    return r;
}

Test(live, a_reporter_whose_viewer_dies_keeps_running_and_writes_its_report, .timeout = 30)
{
    char where[32], a[] = "/tmp/mob-live-orphan-XXXXXX";
    close(mkstemp(a));
    int port;
    pid_t r = reporter_losing_its_viewer(where, sizeof where, &port, "3s", a);
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(live_wait(r), 0);
    cr_assert_lt(mob_clock_ns() - t0, 4 * MOB_NS_PER_SEC, "the end does not wait long");
    mob_totals t = test_report_totals(a);
    cr_assert_gt(t.ok, 0);
    cr_assert_geq(t.elapsed_ns, 3 * MOB_NS_PER_SEC - 50 * MOB_NS_PER_MS, "it ran to its end");
    unlink(a);
}

Test(live, a_reporter_finds_a_viewer_that_comes_back_on_its_port, .timeout = 30)
{
    char where[32], a[] = "/tmp/mob-live-back-XXXXXX", vj[] = "/tmp/mob-live-backv-XXXXXX";
    close(mkstemp(a));
    close(mkstemp(vj));
    int port;
    pid_t r = reporter_losing_its_viewer(where, sizeof where, &port, "4s", a);
    test_nap_ms(300);
    /* A new viewer on the same port: the reporter, retrying once a second, says hello again
     * and sends its seconds from the start, then its final report. */
    pid_t second = LIVE_START("second", "view", where, "--expect", "1", "--json", vj, "-q");
    live_wait_http(port);
    test_nap_ms(1500);
    /* The live report already holds the seconds from before it came back (sent again). */
    static char body[1 << 20];
    cr_assert_gt(live_http_get(port, "/report.json", body, sizeof body), 0);
    int secs = 0;
    for (const char *p = body; (p = strstr(p, "\"sum_ns\":")); p++)
        secs++;
    cr_assert_geq(secs, 2, "the seconds before the viewer came back: %.300s", body);
    const char *tl = strstr(body, "\"timeline\":[");
    cr_assert_not_null(tl);
    cr_assert_gt(test_json_num(tl, "ok"), 0, "second 0, from before, was sent again: %.200s", tl);
    cr_assert_eq(live_wait(r), 0);
    cr_assert_eq(live_wait(second), 0);
    cr_assert_eq(test_report_totals(vj).ok, test_report_totals(a).ok,
                 "the viewer that came back has the whole run");
    unlink(a);
    unlink(vj);
}

Test(live, view_beyond_loopback_needs_a_token, .timeout = 10)
{
    pid_t v = LIVE_START("vtok", "view", "0.0.0.0:1");
    cr_assert_eq(live_wait(v), 2);
    v = LIVE_START("vbad", "view", "127.0.0.1:1", "--frob");
    cr_assert_eq(live_wait(v), 2);
}
