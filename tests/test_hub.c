/* SPDX-License-Identifier: MIT */
/*
 * test_hub.c: the viewer's side of the report stream (src/run/hub.c), fed by hand: reporters
 * summed second by second, a reconnect's seconds not counted twice, garbage and wrong tokens
 * refused one connection at a time, a final report arriving in pieces and merged.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"
#include "run/watch.h"

static int feed(struct mob__hub *h, struct mob__hsrc *c, const char *text)
{
    return mob__hub_input(h, c, text, strlen(text));
}

static unsigned long long hub_ok(struct mob__hub *h)
{
    struct mob__str b = {0};
    mob__hub_state_json(h, &b, 0);
    unsigned long long ok = test_json_num(b.s, "ok");
    mob__str_free(&b);
    return ok;
}

#define SEC0 "S 0 10 1 0 0 0 1 0 0 0 0 0 5 1000000 200000 1 98304 10\n"
#define SEC1 "S 1 20 0 0 0 0 0 0 0 0 0 0 5 2000000 200000 1 98304 20\n"

Test(hub, sums_reporters_and_skips_seconds_sent_again)
{
    struct mob__hub *h = mob__hub_new("t", NULL);
    struct mob__hsrc *a = mob__hub_connect(h, "a"), *b = mob__hub_connect(h, "b");
    cr_assert_eq(feed(h, a, "H 1 - run1 0 2 alpha\n" SEC0 "N s 0 get\n"), 0);
    /* A line may arrive in pieces. */
    cr_assert_eq(feed(h, a, "C s 0 10 0 0 0 1 0 0 0 0 0 200000 10000"), 0);
    cr_assert_eq(feed(h, a, "00 1 98304 10\nT 10 1 0 5 1000000000 0\n"), 0);
    cr_assert_eq(feed(h, b, "H 1 - run1 1 2 beta\n" SEC0 SEC1 "T 30 1 0 5 2000000000 0\n"), 0);
    cr_assert_eq(hub_ok(h), 40);
    cr_assert_eq(mob__hub_nsecs(h), 2);
    /* a reconnects and sends everything again: nothing is counted twice. */
    mob__hub_disconnect(h, a);
    a = mob__hub_connect(h, "a again");
    cr_assert_eq(feed(h, a, "H 1 - run1 0 2 alpha\n" SEC0 SEC1 "T 30 1 0 5 2000000000 0\n"), 0);
    cr_assert_eq(hub_ok(h), 60);
    struct mob__str s = {0};
    mob__hub_state_json(h, &s, 0);
    cr_assert_not_null(strstr(s.s, "[0,20,2,"), "second 0 holds both reporters: %s", s.s);
    cr_assert_not_null(strstr(s.s, "[1,40,0,"), "second 1 too, once each: %s", s.s);
    cr_assert_not_null(strstr(s.s, "\"alpha\",\"connected\",2,2"), "%s", s.s);
    mob__str_free(&s);
    mob__hub_free(h);
}

Test(hub, refuses_garbage_and_wrong_tokens_and_keeps_the_rest)
{
    static const char *const bad[] = {
        "GET / HTTP/1.1\n",                        /* not a reporter */
        "S 0 1 0 0 0 0 0 0 0 0 1 1 1 0\n",         /* numbers before hello */
        "H 1 wrong run1 0 1 x\n",                  /* wrong token */
        "H 3 secret run1 0 1 x\n",                 /* another protocol */
        "H 2 secret run1 0 1 x\n",                 /* version 2 without its gates */
        "H 2 secret run1 0 1 x 5 2\n",             /* -x neither 0 nor 1 */
        "H 2 secret run1 0 1 x -1 0\n",            /* -f neither a count nor "-" */
        "H 2 secret run1 0 1 x - 0\nT 1 0 0 0 0 0\n", /* version 2 totals without cuts */
        "H 1 secret run1 0 1 x\nT 1 0 0 0 0 0 0\n",   /* version 1 totals with them */
        "H 1 secret run1 0 1 x\nS -1 1\n",         /* a negative second */
        "H 1 secret run1 0 1 x\nS 0 1  0\n",       /* an empty field */
        "H 1 secret run1 0 1 x\nC s 0 1 0 0 0 0 0 0 0 1 1 0\n", /* a name never declared */
        "H 1 secret run1 0 1 x\nS 0 1 0 0 0 0 0 0 0 0 0 0 1 1 1 2 98304 1 0 1\n", /* descending */
        "H 1 secret run1 0 1 x\nR 99999999999999\n",                          /* too big */
        "H 1 secret run1 0 1 x\nR 5\nnope!\n",                                 /* not JSON */
        "H 1 secret run1 0 1 x\nX\n",
    };
    struct mob__hub *h = mob__hub_new("t", "secret");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mob__hsrc *c = mob__hub_connect(h, "liar");
        cr_expect_eq(feed(h, c, bad[i]), -EPROTO, "accepted: %s", bad[i]);
        cr_expect_eq(feed(h, c, "T 1 0 0 0 0 0\n"), -EPROTO, "a refused connection stays so");
        mob__hub_disconnect(h, c);
    }
    char huge[MOB__LINE_MAX + 100];
    memset(huge, '7', sizeof huge);
    struct mob__hsrc *c = mob__hub_connect(h, "long");
    cr_expect_eq(mob__hub_input(h, c, huge, sizeof huge), -EPROTO, "a line without end");
    mob__hub_disconnect(h, c);
    c = mob__hub_connect(h, "honest");
    cr_assert_eq(feed(h, c, "H 1 secret run2 0 1 ok\n" SEC0 "T 10 1 0 5 1000000000 0\n"), 0);
    cr_assert_eq(hub_ok(h), 10, "the honest reporter counts; the liars' lines do not");
    mob__hub_free(h);
}

Test(hub, carries_graceful_cuts_and_gates_and_still_reads_version_1)
{
    struct mob__hub *h = mob__hub_new("t", NULL);
    struct mob__hsrc *a = mob__hub_connect(h, "a"), *b = mob__hub_connect(h, "b");
    cr_assert_eq(feed(h, a, "H 2 - run1 0 2 alpha 10 0\n" SEC0 "T 10 1 4 5 1000000000 0 3\n"), 0);
    cr_assert_eq(feed(h, b, "H 1 - run1 1 2 beta\nT 20 0 2 5 1000000000 0\n"), 0);
    mob_result *r = mob__hub_result(h);
    cr_assert_not_null(r);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    cr_assert_eq(t.ok, 30);
    cr_assert_eq(t.cancelled, 6);
    cr_assert_eq(t.cut_graceful, 3, "alpha's 3, none from beta's version 1 stream");
    struct mob__str s = {0};
    mob__hub_state_json(h, &s, 0);
    cr_assert_not_null(strstr(s.s, "\"cut_graceful\":3,"), "%s", s.s);
    mob__str_free(&s);
    mob_options o = {0};
    mob__hub_gates(h, &o);
    cr_assert_eq(o.fail_threshold, 10, "alpha's -f; beta set none");
    cr_assert_eq(o.stop_on_failure, 0);
    struct mob__hsrc *c = mob__hub_connect(h, "c");
    cr_assert_eq(feed(h, c, "H 2 - run1 2 3 gamma 4 1\n"), 0);
    mob__hub_gates(h, &o);
    cr_assert_eq(o.fail_threshold, 4, "the strictest -f");
    cr_assert_eq(o.stop_on_failure, 1);
    mob__hub_free(h);
}

static int quick(mob_worker *w)
{
    return w->step % 7 == 3 ? MOB_FAIL_TIMEOUT : 0;
}

Test(hub, takes_a_final_report_in_pieces_and_merges_it, .timeout = 10)
{
    char path[] = "/tmp/mob-live-final-XXXXXX";
    close(mkstemp(path));
    static const mob_scenario sc[] = {{"s", quick, 1, 0}, {NULL, NULL, 0, 0}};
    static const mob_suite suite = {.name = "quick", .scenarios = sc};
    char *argv[] = {"prog", "-w", "3", "-r", "50", "-q", "--json", path, NULL};
    cr_assert_eq(mob_main(8, argv, &suite), 0);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(path, &r), 0);
    struct mob__feed f = {0};
    mob__feed_hello(&f, NULL, "run3", 0, 1, "x", NULL);
    mob__feed_final(&f, r);
    struct mob__hub *h = mob__hub_new("t", NULL);
    struct mob__hsrc *c = mob__hub_connect(h, "x");
    for (size_t at = 0; at < f.out.len; at += 1000) /* 1,000 bytes at a time */
        cr_assert_eq(
            mob__hub_input(h, c, f.out.s + at, f.out.len - at < 1000 ? f.out.len - at : 1000), 0);
    int sources, done;
    mob__hub_counts(h, &sources, &done);
    cr_assert_eq(done, 1);
    const mob_result *fin = mob__hub_final(h);
    cr_assert_not_null(fin);
    mob_totals a, b;
    mob_result_totals(fin, &a);
    mob_result_totals(r, &b);
    cr_assert_eq(a.ok, b.ok);
    cr_assert_eq(a.failures, b.failures);
    cr_assert_eq(a.ok, 129, "3 bots x 50 runs, 7 of each bot's in timeout");
    cr_assert_eq(mob_hist_count(mob_result_latency(fin)), mob_hist_count(mob_result_latency(r)));
    mob__feed_free(&f);
    mob__hub_free(h);
    mob_result_free(r);
    unlink(path);
}

