/* SPDX-License-Identifier: MIT */
/*
 * test_hostile.c: the real `mob http://` command against servers that misbehave on purpose
 * (tests/hostile_server.c, built as $MOB_BUILD/tests/hostile, one mode per case, on 127.0.0.1
 * and an ephemeral port). Every case asserts the four things issue 11 asks of a run against a
 * hostile server:
 *
 *   - the class counted: every failure in the JSON report is of the one class the case names,
 *     and there are at least as many as the server forces (or none, and runs succeed);
 *   - deadlines kept: the run's wall time, fork to exit, is at most its expected end + 200 ms
 *     (the bound) + WALL_SLACK_MS for process start and a loaded CI machine (x10 with
 *     MOB_TEST_SLOW=1). The expected end is -d, or -d + --timeout when a run in flight at -d
 *     waits for its timeout (-d is graceful: in-flight runs finish, bounded by --timeout);
 *   - the report complete: the JSON parses, and the summary line says what the JSON says;
 *   - the exit code of README's table: 0 all good; 1 failures past -f, cut runs, or nothing
 *     succeeded; 128+N after signal N.
 *
 * The runs are short (-d 1s), and Criterion runs the cases side by side.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

#define MS MOB_NS_PER_MS
#define WALL_SLACK_MS 300

struct hcase {
    const char *mode;
    int bots;              /* -w (default 4) */
    const char *duration;  /* -d (default 1s) */
    const char *timeout;   /* --timeout */
    const char *extra[4];  /* more flags, NULL-terminated */
    int64_t end_ms;        /* when the run should be over, from its start */
    int64_t min_wall_ms;   /* a graceful end waits for in-flight runs: not before this */
    int cls;               /* the class of every failure (MOB_FAIL_NONE: no failure) */
    uint64_t min_fail;     /* at least this many of it */
    uint64_t max_fail;     /* and at most this many (0: no bound) */
    int some_ok;           /* 1: runs succeed; 0: none does */
    int64_t cut;           /* runs cut by the end (-1: not looked at) */
    int sig;               /* a signal sent after sig_ms (0: none) */
    int64_t sig_ms;
    int exit_code;
};

static void hostile_run(const struct hcase *c)
{
    int port;
    int srv = test_hostile_start(c->mode, &port);
    cr_assert_gt(srv, 0, "cannot start %s/tests/hostile %s", test_build_dir(), c->mode);
    char url[64], bots[16], json[] = "/tmp/mob-hostile-XXXXXX";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(bots, sizeof bots, "%d", c->bots ? c->bots : 4);
    close(mkstemp(json));
    const char *args[24] = {url,         "-w",     bots, "-d", c->duration ? c->duration : "1s",
                            "--timeout", c->timeout, "--no-live", "--json", json};
    int n = 10;
    for (int i = 0; i < 4 && c->extra[i]; i++)
        args[n++] = c->extra[i];
    args[n] = NULL;

    struct test_out o;
    test_run_mob(&o, c->sig, c->sig_ms * MS, args);
    test_child_stop(srv);
    int64_t wall_ms = o.wall_ns / MS;
    int64_t bound_ms = c->end_ms + 200 + (int64_t)WALL_SLACK_MS * test_slow_factor();
    cr_log_info("hostile %s: exit %d, %" PRId64 " ms", c->mode, o.code, wall_ms);

    /* The report is complete. */
    mob_result *r = NULL;
    int jrc = mob_result_read_json(json, &r);
    unlink(json);
    cr_assert_eq(jrc, 0, "%s: no JSON report (%d); exit %d, stderr: %s", c->mode, jrc, o.code,
                 o.err);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    char line[128];
    int len = snprintf(line, sizeof line, "\nSUCCESSES: %" PRIu64 " | FAILURES: %" PRIu64,
                       t.ok, t.failures);
    if (t.cancelled)
        len += snprintf(line + len, sizeof line - (size_t)len, " | CUT: %" PRIu64, t.cancelled);
    snprintf(line + len, sizeof line - (size_t)len, "\n");
    cr_expect_not_null(strstr(o.out, line), "%s: no '%s' in:\n%s", c->mode, line, o.out);

    /* Deadlines are kept. */
    cr_expect_leq(wall_ms, bound_ms, "%s: ran %" PRId64 " ms, bound %" PRId64 " ms", c->mode,
                  wall_ms, bound_ms);
    cr_expect_geq(wall_ms, c->min_wall_ms, "%s: ended at %" PRId64 " ms, before its in-flight "
                  "runs could finish (%" PRId64 " ms)", c->mode, wall_ms, c->min_wall_ms);

    /* The class is counted, and nothing else is. */
    char counts[256] = "";
    for (int k = 1; k < MOB_FAIL_NCLASS; k++)
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), " %s=%" PRIu64,
                 mob_fail_name(k), t.fail[k]);
    cr_expect_eq(t.failures, c->cls ? t.fail[c->cls] : 0,
                 "%s: failures not all of class %s:%s", c->mode, mob_fail_name(c->cls), counts);
    cr_expect_geq(c->cls ? t.fail[c->cls] : 0, c->min_fail, "%s: want >= %" PRIu64 " %s:%s",
                  c->mode, c->min_fail, mob_fail_name(c->cls), counts);
    if (c->max_fail)
        cr_expect_leq(t.fail[c->cls], c->max_fail, "%s: want <= %" PRIu64 " %s:%s", c->mode,
                      c->max_fail, mob_fail_name(c->cls), counts);
    if (c->some_ok)
        cr_expect_gt(t.ok, 0, "%s: nothing succeeded:%s", c->mode, counts);
    else
        cr_expect_eq(t.ok, 0, "%s: %" PRIu64 " runs succeeded", c->mode, t.ok);
    if (c->cut >= 0)
        cr_expect_eq((int64_t)t.cancelled, c->cut, "%s: %" PRIu64 " runs cut, want %" PRId64,
                     c->mode, t.cancelled, c->cut);
    if (c->sig)
        cr_expect_eq(t.interrupted, c->sig, "%s: the report says interrupted = %d", c->mode,
                     t.interrupted);

    /* The exit code is the table's. */
    cr_expect_eq(o.code, c->exit_code, "%s: exit %d, want %d; stderr: %s", c->mode, o.code,
                 c->exit_code, o.err);
}

#define HOSTILE(name, ...)                                                                     \
    Test(hostile, name, .timeout = 30)                                                         \
    {                                                                                          \
        hostile_run(&(const struct hcase){__VA_ARGS__});                                       \
    }

/* Servers that fail every run at once: each run fails in its class, no run succeeds (exit
 * 1), and the run ends at -d. */
#define FAILS_FAST(name, mode_, cls_)                                                          \
    HOSTILE(name, .mode = mode_, .timeout = "2s", .end_ms = 1000, .cls = cls_, .min_fail = 4,  \
            .cut = 0, .exit_code = 1)

FAILS_FAST(refused_port_counts_connect_failures, "refused", MOB_FAIL_CONNECT)
FAILS_FAST(reset_mid_response_counts_read_failures, "reset", MOB_FAIL_READ)
FAILS_FAST(accept_then_close_counts_read_failures, "accept-close", MOB_FAIL_READ)
FAILS_FAST(garbage_status_line_counts_protocol_failures, "garbage-status", MOB_FAIL_PROTOCOL)
FAILS_FAST(ten_mb_header_counts_protocol_failures, "big-header", MOB_FAIL_PROTOCOL)
FAILS_FAST(huge_content_length_counts_protocol_failures, "huge-length", MOB_FAIL_PROTOCOL)
FAILS_FAST(bad_chunk_size_counts_protocol_failures, "bad-chunk", MOB_FAIL_PROTOCOL)
FAILS_FAST(close_after_headers_counts_read_failures, "close-after-headers", MOB_FAIL_READ)
/* Lines end in CRLF only (src/proto/http.c): a bare LF is refused, never guessed at. */
FAILS_FAST(bare_lf_responses_count_protocol_failures, "bare-lf", MOB_FAIL_PROTOCOL)
/* 204 and 304 end at their blank line whatever their fields say (RFC 9112, 6.3), so the
 * body that follows is stray bytes with no request outstanding, and so is a second response
 * to one request: never counted as the next run's answer. */
FAILS_FAST(a_204_with_a_body_counts_protocol_failures, "204-body", MOB_FAIL_PROTOCOL)
FAILS_FAST(a_304_with_a_body_counts_protocol_failures, "304-body", MOB_FAIL_PROTOCOL)
FAILS_FAST(a_doubled_response_counts_protocol_failures, "doubled", MOB_FAIL_PROTOCOL)

/* Servers that answer well in an unusual way: every run succeeds, exit 0. */
#define SUCCEEDS(name, mode_)                                                                  \
    HOSTILE(name, .mode = mode_, .timeout = "2s", .end_ms = 1000, .some_ok = 1, .cut = 0,      \
            .exit_code = 0)

SUCCEEDS(a_100_continue_before_the_answer_succeeds, "continue")
SUCCEEDS(a_204_without_a_body_succeeds, "204")
SUCCEEDS(a_304_without_a_body_succeeds, "304")
SUCCEEDS(a_well_behaved_server_succeeds, "ok")

/*
 * Servers that never finish an answer. With --timeout 400ms and -d 1s, each bot's runs time
 * out at 0.4 s and 0.8 s, and the one in flight at 1 s finishes at 1.2 s (graceful end, its
 * own timeout): 3 timeouts per bot, none cut, the run over by 1.2 s. A machine that makes a bot
 * late makes its timeouts late too (2 per bot when the second ends past -d), never cut.
 */
#define NEVER_ANSWERS(name, mode_, bots_)                                                      \
    HOSTILE(name, .mode = mode_, .bots = bots_, .timeout = "400ms", .end_ms = 1200,            \
            .min_wall_ms = 1000, .cls = MOB_FAIL_TIMEOUT, .min_fail = 2 * bots_,               \
            .max_fail = 3 * bots_, .cut = 0, .exit_code = 1)

NEVER_ANSWERS(a_server_that_never_answers_counts_timeouts, "hang", 4)
NEVER_ANSWERS(a_byte_a_second_counts_timeouts, "drip", 4)
NEVER_ANSWERS(a_server_that_never_reads_counts_timeouts, "no-read", 4)
/* Data that keeps coming: a bot whose reads never wait must still see its deadline, and must
 * not starve the others (issue 11 saw 8-11 s for -d 5s, and 1 failure for 50 bots). */
NEVER_ANSWERS(an_endless_chunked_body_counts_timeouts, "endless-chunked", 20)
NEVER_ANSWERS(an_endless_body_until_close_counts_timeouts, "endless-close", 20)

/* A --timeout past the duration: the run ends when its runs time out (2 s), one timeout per
 * bot; "nothing answered" never reads as a clean run (issue 11: exit 0 with 0 failures). */
HOSTILE(a_timeout_past_the_duration_still_counts_every_run, .mode = "hang", .timeout = "2s",
        .end_ms = 2000, .min_wall_ms = 1950, .cls = MOB_FAIL_TIMEOUT, .min_fail = 4,
        .max_fail = 4, .cut = 0, .exit_code = 1)

/* --force-shutdown cancels at -d: the 4 runs in flight are cut, counted, and fail the run. */
HOSTILE(force_shutdown_cuts_in_flight_runs_at_the_deadline, .mode = "hang", .timeout = "10s",
        .extra = {"--force-shutdown"}, .end_ms = 1000, .cls = MOB_FAIL_NONE, .cut = 4,
        .exit_code = 1)

/* SIGTERM at 0.7 s of a 10 s run: the runs in flight are cut (counted), the report is
 * complete and names the signal, and the exit code is 128 + 15. */
HOSTILE(sigterm_against_a_hanging_server_reports_and_exits_143, .mode = "hang",
        .duration = "10s", .timeout = "400ms", .end_ms = 700 + 400, .cls = MOB_FAIL_TIMEOUT,
        .min_fail = 4, .cut = 4, .sig = SIGTERM, .sig_ms = 700, .exit_code = 128 + SIGTERM)

/*
 * Not a hostile server but bots that wait on each other: an arena chat run waits for every
 * room-mate's line, and at a graceful -d a room-mate between runs is cancelled and never sends
 * it, so the chat waits for its whole --timeout and counts a timeout against a server that did
 * nothing wrong (-w 1000 -d 1s: 11 s and about 20 timeouts). Now a bot that leaves at the end
 * cuts the chats still waiting for its lines (arena_suite.c): no timeout is a true count here.
 */
Test(hostile, a_graceful_end_counts_no_false_timeouts_between_bots_that_wait_on_each_other,
     .timeout = 60)
{
    /* Whether -d splits a chat round is a matter of timing: three runs, each must be clean. */
    for (int attempt = 0; attempt < 3; attempt++) {
        char json[] = "/tmp/mob-hostile-arena-XXXXXX";
        close(mkstemp(json));
        struct test_out o;
        MOB(&o, "arena://in-process", "-w", "1000", "-d", "1s", "-f", "1", "--no-live", "--json",
            json);
        mob_result *r = NULL;
        int jrc = mob_result_read_json(json, &r);
        unlink(json);
        cr_assert_eq(jrc, 0, "no JSON report (%d); exit %d, stderr: %s", jrc, o.code, o.err);
        mob_totals t;
        mob_result_totals(r, &t);
        mob_result_free(r);
        cr_assert_gt(t.ok, 0);
        cr_assert_eq(t.fail[MOB_FAIL_TIMEOUT], 0,
                     "%" PRIu64 " timeouts against a healthy arena, the run took %" PRId64 " ms",
                     t.fail[MOB_FAIL_TIMEOUT], o.wall_ns / MS);
        /* Chats cut because their room-mates left are no failure: `make run` passes -f 1. */
        cr_assert_eq(o.code, 0, "exit %d with %" PRIu64 " failures, %" PRIu64 " cut", o.code,
                     t.failures, t.cancelled);
    }
}
