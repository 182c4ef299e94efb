/* SPDX-License-Identifier: MIT */
/*
 * test_live.c: the live views as a client sees them (the hub fed by hand is test_hub.c; mob
 * view is test_view.c): the mob binary with --dashboard (HTTP, /metrics, the WebSocket's
 * numbers advancing and ending equal to the JSON), --statsd to a UDP socket, --csv and
 * --index.
 * Everything on 127.0.0.1, every process bounded by its -d and killed at the end.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"
#include "run/watch.h"
#include "test_live.h"

/* ---- the dashboard --------------------------------------------------------------------- */

/* A blocking WebSocket client for the page's feed: the handshake, then one text message. */
static int ws_open(int port, const char *path)
{
    int fd = live_connect(port);
    cr_assert_geq(fd, 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    char head[1024];
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        cr_assert_eq(read(fd, head + len, 1), 1, "handshake cut");
        len++;
        cr_assert_lt(len, sizeof head);
    }
    head[len] = 0;
    cr_assert_not_null(strstr(head, " 101 "), "%s", head);
    return fd;
}

static void read_all(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        cr_assert_gt(r, 0, "the feed ended");
        got += (size_t)r;
    }
}

/* The next message (unmasked text from the server), NUL-terminated, or NULL at close. */
static char *ws_next(int fd)
{
    static char msg[1 << 20];
    unsigned char h[2];
    ssize_t r = read(fd, h, 1);
    if (r <= 0)
        return NULL;
    read_all(fd, h + 1, 1);
    if ((h[0] & 0x0f) == 0x8)
        return NULL;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        unsigned char e[2];
        read_all(fd, e, 2);
        len = (uint64_t)e[0] << 8 | e[1];
    } else if (len == 127) {
        unsigned char e[8];
        read_all(fd, e, 8);
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | e[i];
    }
    cr_assert_lt(len, sizeof msg);
    read_all(fd, msg, (size_t)len);
    msg[len] = 0;
    return msg;
}

Test(live, dashboard_page_feed_and_metrics_advance_and_end_equal_to_the_json, .timeout = 30)
{
    int port = live_free_port();
    char where[32], json[] = "/tmp/mob-live-dash-XXXXXX";
    close(mkstemp(json));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid_t pid = LIVE_START("dash", "arena://in-process", "-w", "20", "-d", "3s", "--no-live",
                           "--dashboard", where, "--json", json);
    live_wait_http(port);
    static char buf[1 << 20];
    cr_assert_gt(live_http_get(port, "/", buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "200 OK"));
    cr_assert_not_null(strstr(buf, "<title>mob live</title>"));
    cr_assert_null(strstr(buf, "src=\"http"), "no external asset");
    cr_assert_gt(live_http_get(port, "/metrics", buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "# TYPE mob_latency_seconds histogram"), "%s", buf);
    cr_assert_not_null(strstr(buf, "mob_latency_seconds_bucket{scenario=\"move\",le=\"+Inf\"}"));
    cr_assert_gt(live_http_get(port, "/nope", buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "404"));
    int ws = ws_open(port, "/ws");
    unsigned long long first = 0, last = 0, prev = 0;
    int messages = 0, advanced = 0, done = 0;
    char *m;
    while ((m = ws_next(ws))) {
        unsigned long long ok = test_json_num(m, "ok");
        if (messages++ == 0)
            first = ok;
        advanced += ok > prev;
        prev = last = ok;
        if (test_json_num(m, "done") == 1) {
            done = 1;
            break;
        }
    }
    close(ws);
    cr_assert_eq(live_wait(pid), 0);
    cr_assert(done, "the last message says the run is over");
    cr_assert_geq(advanced, 2, "the numbers advanced during the run (%d messages)", messages);
    cr_assert_lt(first, last);
    cr_assert_eq(last, test_report_totals(json).ok, "the page's last number is the report's");
    unlink(json);
}

Test(live, dashboard_beyond_loopback_needs_a_token_and_checks_it, .timeout = 20)
{
    pid_t pid = LIVE_START("notoken", "arena://in-process", "-d", "1s", "--dashboard", "0.0.0.0:1");
    cr_assert_eq(live_wait(pid), 2);
    int port = live_free_port();
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid = LIVE_START("token", "arena://in-process", "-w", "2", "-d", "2s", "-q", "--dashboard",
                     where, "--token", "s3cret");
    live_wait_http(port);
    static char buf[1 << 16];
    live_http_get(port, "/metrics", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "403"), "%s", buf);
    live_http_get(port, "/metrics?token=wrong", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "403"));
    live_http_get(port, "/metrics?token=s3cret", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "200 OK"));
    cr_assert_eq(live_wait(pid), 0);
}

/* ---- statsd, CSV, --index ------------------------------------------------------------- */

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

/* What the statsd lines of a run added up to: counters by class (0: ok) and by status, and
 * the runs the timings stand for; and the run's own report. */
struct statsd_sums {
    unsigned long long cls[MOB_FAIL_NCLASS], status[600], timed;
    int timings;
    mob_totals t;
};

/* The counter's suffix (after the label's last dot) into s: a status or a class. */
static void statsd_count(struct statsd_sums *s, char *line)
{
    char *colon = strchr(line, ':');
    cr_assert_not_null(colon, "%s", line);
    *colon = 0;
    const char *suffix = strrchr(line, '.') + 1;
    unsigned long long n = strtoull(colon + 1, NULL, 10);
    char *end;
    long code = strtol(suffix, &end, 10);
    if (*end == 0 && end != suffix) {
        cr_assert(code >= 100 && code <= 599, "status %ld", code);
        s->status[code] += n;
        return;
    }
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        if (strcmp(suffix, mob_fail_name(c)) == 0) {
            s->cls[c] += n;
            return;
        }
    cr_assert_fail("a counter that is neither a status nor a class: %s", line);
}

/* Runs mob on target with --statsd to a UDP socket of ours, 4 bots (or `bots`) for 2 s, and
 * sums every line, each of which must start with prefix (then ':' or '.'). With exact, a
 * timing's name is prefix itself. The run must exit with code. */
static void statsd_run(const char *target, const char *bots, const char *prefix, int exact,
                       int code, struct statsd_sums *s)
{
    memset(s, 0, sizeof *s);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    int rcvbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    char url[64], json[] = "/tmp/mob-live-statsd-XXXXXX";
    close(mkstemp(json));
    snprintf(url, sizeof url, "udp://127.0.0.1:%d", ntohs(sa.sin_port));
    pid_t pid = LIVE_START("statsd", target, "-w", bots, "-d", "2s", "-q", "--statsd", url,
                           "--json", json);
    cr_assert_eq(live_wait(pid), code);
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t plen = strlen(prefix);
    char d[2048];
    ssize_t n;
    while ((n = recv(fd, d, sizeof d - 1, 0)) > 0) {
        d[n] = 0;
        for (char *line = strtok(d, "\n"); line; line = strtok(NULL, "\n")) {
            cr_assert(strncmp(line, prefix, plen) == 0 && strchr(".:", line[plen]),
                      "%s does not start with %s", line, prefix);
            char *ms = strstr(line, "|ms");
            if (ms) {
                cr_assert(!exact || line[plen] == ':', "a timing is the label itself: %s", line);
                s->timings++;
                char *at = strstr(ms, "|@");
                s->timed += at ? (unsigned long long)(1.0 / strtod(at + 2, NULL) + 0.5) : 1;
            } else {
                cr_assert_not_null(strstr(line, "|c"), "%s", line);
                statsd_count(s, line);
            }
        }
    }
    close(fd);
    s->t = test_report_totals(json);
    unlink(json);
}

static void statsd_host(char *out, size_t cap)
{
    char h[64] = {0};
    gethostname(h, sizeof h - 1);
    for (char *p = h; *p; p++)
        if (*p == '.' || *p == ':' || *p == ' ')
            *p = '_';
    snprintf(out, cap, "molotov.%s", h);
}

Test(live, statsd_lines_carry_molotov_names_and_every_run, .timeout = 20)
{
    char prefix[128];
    statsd_host(prefix, sizeof prefix);
    struct statsd_sums s;
    statsd_run("arena://in-process", "4", prefix, 0, 0, &s); /* then the scenario's name */
    cr_assert_gt(s.t.ok, 0);
    cr_assert_eq(s.cls[0], s.t.ok, "counters add up to the report: %llu vs %llu", s.cls[0],
                 (unsigned long long)s.t.ok);
    cr_assert_gt(s.timings, 0);
    cr_assert_eq(s.timed, s.t.ok, "timings stand for every run: %llu vs %llu", s.timed,
                 (unsigned long long)s.t.ok);
}

/* molotov's per-request label, molotov.<hostname>.<METHOD>.<host>.<path> (no port, no query),
 * and its counters, label + "." + status. */
static void http_prefix(char *prefix, size_t cap, const char *path)
{
    statsd_host(prefix, cap);
    size_t n = strlen(prefix);
    snprintf(prefix + n, cap - n, ".GET.127.0.0.1.%s", path);
}

Test(live, statsd_http_lines_carry_molotovs_request_labels_and_statuses, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    char target[96], prefix[160];
    snprintf(target, sizeof target, "http://127.0.0.1:%d/api/v1.items?q=1", port);
    http_prefix(prefix, sizeof prefix, "/api/v1.items");
    struct statsd_sums s;
    statsd_run(target, "4", prefix, 1, 0, &s);
    test_child_stop(srv);
    cr_assert_gt(s.t.ok, 0);
    cr_assert_eq(s.status[200], s.t.ok, "every answer under its status: %llu vs %llu",
                 s.status[200], (unsigned long long)s.t.ok);
    cr_assert_eq(s.cls[0], 0, "no .ok counter where there is a status");
    cr_assert_eq(s.timed, s.t.ok, "timings stand for every run");
    /* Room for 2 connections, 503 to the rest: each status its own counter, none as a class. */
    int hpid = test_hostile_start("cap:2", &port);
    cr_assert_gt(hpid, 0);
    snprintf(target, sizeof target, "http://127.0.0.1:%d/", port);
    http_prefix(prefix, sizeof prefix, "/");
    statsd_run(target, "6", prefix, 1, 0, &s);
    test_child_stop(hpid);
    cr_assert_gt(s.t.fail[MOB_FAIL_STATUS], 0);
    cr_assert_eq(s.status[200], s.t.ok);
    cr_assert_eq(s.status[503], s.t.fail[MOB_FAIL_STATUS], "%llu vs %llu", s.status[503],
                 (unsigned long long)s.t.fail[MOB_FAIL_STATUS]);
    cr_assert_eq(s.cls[MOB_FAIL_STATUS] + s.cls[0], 0);
    /* No answer at all: the class stays. */
    snprintf(target, sizeof target, "http://127.0.0.1:%d/", live_free_port());
    statsd_run(target, "1", prefix, 1, 1, &s);
    cr_assert_gt(s.t.fail[MOB_FAIL_CONNECT], 0);
    cr_assert_eq(s.cls[MOB_FAIL_CONNECT], s.t.fail[MOB_FAIL_CONNECT]);
    for (int k = 100; k < 600; k++)
        cr_assert_eq(s.status[k], 0, "status %d without an answer", k);
}

Test(live, csv_files_have_locusts_columns_and_the_runs_totals, .timeout = 20)
{
    char prefix[] = "/tmp/mob-live-csv-XXXXXX", json[] = "/tmp/mob-live-csvj-XXXXXX", p[128];
    close(mkstemp(prefix));
    close(mkstemp(json));
    pid_t pid = LIVE_START("csv", "arena://in-process", "-w", "4", "-d", "2s", "-q", "--csv",
                           prefix, "--json", json);
    cr_assert_eq(live_wait(pid), 0);
    snprintf(p, sizeof p, "%s_stats.csv", prefix);
    char *t = test_read_file(p);
    cr_assert_not_null(t);
    cr_assert(strncmp(t,
                      "\"Type\",\"Name\",\"Request Count\",\"Failure Count\",\"Median "
                      "Response Time\"",
                      60) == 0,
              "%s", t);
    char want[64];
    snprintf(want, sizeof want, "\"\",\"Aggregated\",%llu,0,",
             (unsigned long long)test_report_totals(json).ok);
    cr_assert_not_null(strstr(t, want), "%s", t);
    unlink(p);
    snprintf(p, sizeof p, "%s_stats_history.csv", prefix);
    t = test_read_file(p);
    cr_assert_not_null(t);
    cr_assert_not_null(strstr(t, "\"Timestamp\",\"User Count\""));
    cr_assert_not_null(strstr(t, "\n1,4,\"\",\"Aggregated\","), "%s", t);
    unlink(p);
    snprintf(p, sizeof p, "%s_failures.csv", prefix);
    cr_assert_not_null(test_read_file(p));
    unlink(p);
    unlink(prefix);
    unlink(json);
}

static int lowest_id = 1 << 30, highest_id = -1;

static int note_id(mob_worker *w)
{
    lowest_id = w->id < lowest_id ? w->id : lowest_id;
    highest_id = w->id > highest_id ? w->id : highest_id;
    return 0;
}

Test(live, index_keeps_bot_ids_unique_across_machines, .timeout = 10)
{
    static const mob_scenario sc[] = {{"id", note_id, 1, 0}, {NULL, NULL, 0, 0}};
    static const mob_suite s = {.name = "ids", .scenarios = sc};
    char *argv[] = {"prog", "-w", "5", "-r", "1", "-q", "--index", "2/3", NULL};
    cr_assert_eq(mob_main(8, argv, &s), 0);
    cr_assert_eq(lowest_id, 10, "machine 2's bots start after 2 x 5");
    cr_assert_eq(highest_id, 14);
    char *bad[] = {"prog", "--index", "3/3", NULL};
    cr_assert_eq(mob_main(3, bad, &s), 2);
    setenv("JOB_COMPLETION_INDEX", "1", 1);
    char *job[] = {"prog", "-w", "5", "-r", "1", "-q", NULL};
    cr_assert_eq(mob_main(6, job, &s), 2, "a Job's index without the total is refused");
    setenv("MOB_INDEX_TOTAL", "4", 1);
    lowest_id = 1 << 30;
    cr_assert_eq(mob_main(6, job, &s), 0);
    cr_assert_eq(lowest_id, 5);
}
