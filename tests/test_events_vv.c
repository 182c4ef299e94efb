/* SPDX-License-Identifier: MIT */
/*
 * test_events_vv.c: -vv, molotov's StdoutListener (src/run/verbose.c), and what the HTTP
 * events carry (src/run/events.c), against tests/hostile's servers: each request's line with
 * the whole URL, its header fields and body; each response's status line, header fields and
 * body, cut at 1 KiB with the whole length said; binary bytes escaped; at most 20 exchanges a
 * second, the others counted and said while the run goes on; on a terminal, each block first
 * erases the live line (mob on a pseudo-terminal). Listeners get the same fields, and as
 * much of each body as they ask for, nothing when they ask for none.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob_events.h"
#include "mob_http.h"
#include "mob_suites.h"
#include "test_run.h"

/* Starts tests/hostile in `mode`; writes its URL with path /x. */
static int hostile_at(const char *mode, char *url, size_t cap)
{
    int port;
    int pid = test_hostile_start(mode, &port);
    cr_assert_gt(pid, 0, "tests/hostile %s", mode);
    snprintf(url, cap, "http://127.0.0.1:%d/x", port);
    return pid;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* molotov's separator lines: 45 of one character. */
#define FIVE(c) c c c c c
#define RULE_OF(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c) FIVE(c)

Test(events_vv, vv_prints_the_request_line_fields_and_body_and_the_response_with_its_body_cut,
     .timeout = 20)
{
    char url[64], want[4096];
    int srv = hostile_at("long-body", url, sizeof url);
    struct test_out o;
    MOB(&o, url, "-vv", "-r", "1", "-w", "1", "--no-live", "-m", "POST", "-H", "X-Req: one",
        "--body", "hello body");
    test_child_stop(srv);
    cr_assert_eq(o.code, 0, "%s", o.err);
    const char *host = url + 7;
    int hl = (int)(strchr(host, '/') - host);
    snprintf(want, sizeof want, RULE_OF(">") " [W:0]\nPOST %s\nHost: %.*s\nX-Req: one\n"
             "Content-Length: 10\n\nhello body\n" RULE_OF("=") " [W:0] ", url, hl, host);
    cr_assert_not_null(strstr(o.err, want), "want:\n%s\nin:\n%s", want, o.err);
    /* The response: molotov's status line and fields, then 1,024 of the 3,000 body bytes. */
    int n = snprintf(want, sizeof want, " ms\nHTTP/1.1 200 OK\nContent-Type: text/plain\n"
                     "X-Mob-Test: long\nContent-Length: 3000\n\n");
    for (int i = 0; i < 1024; i++)
        want[n++] = (char)('0' + i % 10);
    snprintf(want + n, sizeof want - (size_t)n, "\n... (3000 bytes)\n" RULE_OF("<") "\n");
    cr_assert_not_null(strstr(o.err, want), "want:\n%s\nin:\n%s", want, o.err);
    cr_assert_eq(count(o.err, "[W:0]"), 2, "one request, one response: %s", o.err);
    MOB(&o, url, "-v", "-r", "1", "-w", "1", "--no-live");
    cr_assert_null(strstr(o.err, "HTTP/1.1 200"), "-v alone shows no exchange: %s", o.err);
}

Test(events_vv, vv_escapes_the_bytes_a_terminal_should_not_get_raw, .timeout = 20)
{
    char url[64];
    int srv = hostile_at("binary-body", url, sizeof url);
    struct test_out o;
    MOB(&o, url, "-vv", "-r", "2", "-w", "1", "--no-live");
    test_child_stop(srv);
    cr_assert_eq(o.code, 0, "%s", o.err);
    /* NUL, 0x01, ESC [2J, "ok", 0xff and a backslash, as escapes. */
    cr_assert_eq(count(o.err, "\nContent-Length: 10\n\n\\x00\\x01\\x1b[2Jok\\xff\\\\\n<<<"), 2,
                 "%s", o.err);
    cr_assert_null(strchr(o.err, 0x1b), "no raw ESC reaches the terminal");
    cr_assert_null(strchr(o.err, '\r'), "CRLF line ends show as LF");
}

/* ---- on a terminal ------------------------------------------------------------------------ */

/* Runs mob with args with its stderr on a new pseudo-terminal (stdin and stdout on /dev/null)
 * and returns what the terminal got, NUL-terminated, in a static buffer. */
static char *terminal_of(const char *const *args)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0, "a pseudo-terminal");
    const char *slave = ptsname(m);
    cr_assert_not_null(slave);
    char bin[512];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    const char *argv[16] = {bin};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setsid();
        int s = open(slave, O_RDWR), dn = open("/dev/null", O_RDWR);
        dup2(dn, 0);
        dup2(dn, 1);
        dup2(s, 2);
        close(m);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    static char text[1 << 16];
    size_t n = 0;
    for (;;) { /* until the child is gone: then the master reads EIO (Linux) or 0 */
        ssize_t k = read(m, text + n, sizeof text - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    text[n] = 0;
    close(m);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mob ended with %d: %s", st, text);
    return text;
}

Test(events_vv, on_a_terminal_each_block_first_erases_the_live_line, .timeout = 20)
{
    char url[64];
    int srv = hostile_at("ok", url, sizeof url);
    /* Two exchanges a second for 2.5 s: the live line is drawn at 1 s and 2 s, between them. */
    char *tty = terminal_of((const char *const[]){url, "-vv", "-R", "2", "-w", "1", "-d",
                                                  "2500ms", NULL});
    test_child_stop(srv);
    cr_assert_not_null(strstr(tty, " | bots 1 | "), "the live line was drawn: %s", tty);
    int blocks = 0;
    for (const char *p = tty; (p = strstr(p, RULE_OF(">") " [W:")) != NULL; p++, blocks++)
        cr_assert(p - tty >= 4 && memcmp(p - 4, "\r\033[K", 4) == 0,
                  "a request block starts by erasing the line: %.80s", p - 4 > tty ? p - 4 : p);
    for (const char *p = tty; (p = strstr(p, RULE_OF("=") " [W:")) != NULL; p++)
        cr_assert(p - tty >= 4 && memcmp(p - 4, "\r\033[K", 4) == 0,
                  "a response block starts by erasing the line: %.80s", p - 4 > tty ? p - 4 : p);
    cr_assert_geq(blocks, 4, "%s", tty);
}

/* ---- the rate bound ------------------------------------------------------------------------ */

static char rate_url[64];
static mob_totals rate_totals;
static int64_t rate_t0, rate_t1;

static void run_at_60_a_second(void)
{
    char err[256];
    const mob_suite *s = mob_builtin_suite(rate_url, NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    mob_options o = quiet_options();
    o.quiet = 0;
    o.verbose = 2;
    o.target = rate_url;
    o.bots = 2;
    o.rate = 60;
    o.duration_ns = 2 * MOB_NS_PER_SEC;
    mob_result *r;
    rate_t0 = mob_clock_ns();
    cr_assert_eq(mob_run_suite(s, &o, &r), 0);
    rate_t1 = mob_clock_ns();
    mob_suite_free(s);
    mob_result_totals(r, &rate_totals);
    mob_result_free(r);
}

Test(events_vv, vv_shows_at_most_20_exchanges_a_second_and_says_the_others_as_it_goes,
     .timeout = 20)
{
    int srv = hostile_at("ok", rate_url, sizeof rate_url);
    char *err = test_stderr_of(run_at_60_a_second);
    test_child_stop(srv);
    uint64_t total = rate_totals.ok + rate_totals.failures;
    cr_assert_gt(total, 80, "60 a second for 2 s");
    int shown = count(err, RULE_OF(">") " [W:");
    /* Each request shown has its response, unless the exchange failed or was cut (then
     * there is no response to show). */
    int responses = count(err, RULE_OF("<"));
    uint64_t lost = rate_totals.failures + rate_totals.cancelled;
    cr_assert(responses <= shown && (uint64_t)(shown - responses) <= lost,
              "%d requests shown, %d responses, %llu failed or cut", shown, responses,
              (unsigned long long)lost);
    /* The bound is per second of the clock: the run spans at most three of them. */
    int64_t seconds = rate_t1 / MOB_NS_PER_SEC - rate_t0 / MOB_NS_PER_SEC + 1;
    cr_assert_leq(shown, 20 * seconds, "%d shown over %lld seconds", shown, (long long)seconds);
    uint64_t unshown = 0;
    const char *tag = "mob: -vv: ", *rest = " HTTP exchanges not shown (at most 20 a second are)\n";
    for (const char *p = err; (p = strstr(p, tag)) != NULL; p++) {
        char *end;
        unshown += strtoull(p + strlen(tag), &end, 10);
        cr_assert(strncmp(end, rest, strlen(rest)) == 0, "%s", p);
    }
    cr_assert_eq(unshown + (uint64_t)shown, total, "each exchange shown or counted: %s", err);
    const char *first_said = strstr(err, tag);
    cr_assert_not_null(first_said);
    cr_assert_not_null(strstr(first_said, RULE_OF(">")),
                       "said before the next exchange shown, not only at the end");
}

/* ---- what listeners get ------------------------------------------------------------------- */

static struct {
    int responses, requests;
    int fields_ok, body_ok, no_body;
    int request_ok;
} got;

static int wants_16(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ud;
    if (ev->kind == MOB_EV_SENDING_REQUEST) {
        got.requests++;
        got.request_ok += ev->request && ev->request_len > 20 &&
                          memcmp(ev->request, "GET /x HTTP/1.1\r\n", 17) == 0 &&
                          ev->request_body == ev->request + ev->request_len &&
                          ev->request_body_len == 0;
    }
    if (ev->kind != MOB_EV_RESPONSE_RECEIVED)
        return 0;
    got.responses++;
    const mob_http_header *h = ev->headers;
    got.fields_ok += ev->minor_version == 1 && ev->status_reason_len == 2 &&
                     memcmp(ev->status_reason, "OK", 2) == 0 && ev->nheaders == 3 &&
                     h[1].name_len == 10 && memcmp(h[1].name, "X-Mob-Test", 10) == 0 &&
                     h[1].value_len == 4 && memcmp(h[1].value, "long", 4) == 0;
    got.body_ok += ev->body_len == 3000 && ev->body_stored == 16 &&
                   memcmp(ev->body, "0123456789012345", 16) == 0;
    return 0;
}

static int wants_none(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ud;
    if (ev->kind == MOB_EV_RESPONSE_RECEIVED)
        got.no_body += ev->body == NULL && ev->body_stored == 0 && ev->body_len == 3000;
    return 0;
}

/* The built-in suite against url with these listeners, 2 bots x 3 runs. */
static void run_listened(const char *url, const mob_listener *ls)
{
    mob_totals t = test_run_builtin(url, ls, 2, 3);
    cr_assert_eq(t.ok, 6);
}

Test(events_vv, listeners_get_the_fields_and_as_much_of_each_body_as_they_ask, .timeout = 20)
{
    char url[64];
    int srv = hostile_at("long-body", url, sizeof url);
    static const mob_listener sixteen[] = {{wants_16, NULL, "16", 16}, {0}};
    static const mob_listener none[] = {{wants_none, NULL, "none", 0}, {0}};
    run_listened(url, sixteen);
    run_listened(url, none);
    test_child_stop(srv);
    cr_assert_eq(got.requests, 6);
    cr_assert_eq(got.request_ok, 6, "the request as sent, and its (empty) body");
    cr_assert_eq(got.responses, 6);
    cr_assert_eq(got.fields_ok, 6, "HTTP/1.1, OK, and the header fields as received");
    cr_assert_eq(got.body_ok, 6, "the first 16 bytes of the 3,000");
    cr_assert_eq(got.no_body, 6, "no body asked: none kept, the length still said");
}
