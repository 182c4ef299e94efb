/* SPDX-License-Identifier: MIT */
/*
 * test_live.c: the live views as a client sees them (the hub fed by hand is test_hub.c): the
 * mob binary with --dashboard
 * (HTTP, /metrics, the WebSocket's numbers advancing and ending equal to the JSON), mob view
 * with reporters that come, go, lie and die, --statsd to a UDP socket, --csv and --index.
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

/* ---- helpers ------------------------------------------------------------------------------ */

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A port nobody listens on right now. */
static int free_port(void)
{
    int port, fd = test_listen_loopback(&port);
    cr_assert_geq(fd, 0);
    close(fd);
    return port;
}

/* Starts build/mob with args; stdout and stderr go to files named after tag. */
static pid_t mob_start(const char *tag, const char *const *args)
{
    char bin[512], out[256];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    const char *argv[64] = {bin};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        snprintf(out, sizeof out, "/tmp/mob-live-%d-%s.out", (int)getppid(), tag);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        snprintf(out, sizeof out, "/tmp/mob-live-%d-%s.err", (int)getppid(), tag);
        int fe = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        alarm(60);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

#define MOB_START(tag, ...) mob_start((tag), (const char *const[]){__VA_ARGS__, NULL})

static int mob_wait(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *read_text(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* GET path; the whole response in buf. Returns its length, or -1 when nobody answers. */
static int http_get(int port, const char *path, char *buf, size_t cap)
{
    int fd = connect_to(port);
    if (fd < 0)
        return -1;
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    ssize_t r;
    while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(fd);
    return (int)len;
}

/* Polls until port answers HTTP (the server is up), at most 5 s. */
static void wait_http(int port)
{
    char buf[256];
    for (int i = 0; i < 100; i++) {
        if (http_get(port, "/nothing", buf, sizeof buf) > 0)
            return;
        nap_ms(50);
    }
    cr_assert_fail("nothing answers on port %d", port);
}

static unsigned long long report_ok(const char *path)
{
    mob_result *r;
    cr_assert_eq(mob_result_read_json(path, &r), 0, "%s", path);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    return t.ok;
}

/* ---- the dashboard --------------------------------------------------------------------- */

/* A blocking WebSocket client for the page's feed: the handshake, then one text message. */
static int ws_open(int port, const char *path)
{
    int fd = connect_to(port);
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
    int port = free_port();
    char where[32], json[] = "/tmp/mob-live-dash-XXXXXX";
    close(mkstemp(json));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid_t pid = MOB_START("dash", "arena://in-process", "-w", "20", "-d", "3s", "--no-live",
                          "--dashboard", where, "--json", json);
    wait_http(port);
    static char buf[1 << 20];
    cr_assert_gt(http_get(port, "/", buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "200 OK"));
    cr_assert_not_null(strstr(buf, "<title>mob live</title>"));
    cr_assert_null(strstr(buf, "src=\"http"), "no external asset");
    cr_assert_gt(http_get(port, "/metrics", buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "# TYPE mob_latency_seconds histogram"), "%s", buf);
    cr_assert_not_null(strstr(buf, "mob_latency_seconds_bucket{scenario=\"move\",le=\"+Inf\"}"));
    cr_assert_gt(http_get(port, "/nope", buf, sizeof buf), 0);
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
    cr_assert_eq(mob_wait(pid), 0);
    cr_assert(done, "the last message says the run is over");
    cr_assert_geq(advanced, 2, "the numbers advanced during the run (%d messages)", messages);
    cr_assert_lt(first, last);
    cr_assert_eq(last, report_ok(json), "the page's last number is the report's");
    unlink(json);
}

Test(live, dashboard_beyond_loopback_needs_a_token_and_checks_it, .timeout = 20)
{
    pid_t pid = MOB_START("notoken", "arena://in-process", "-d", "1s", "--dashboard",
                          "0.0.0.0:1");
    cr_assert_eq(mob_wait(pid), 2);
    int port = free_port();
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid = MOB_START("token", "arena://in-process", "-w", "2", "-d", "2s", "-q", "--dashboard",
                    where, "--token", "s3cret");
    wait_http(port);
    static char buf[1 << 16];
    http_get(port, "/metrics", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "403"), "%s", buf);
    http_get(port, "/metrics?token=wrong", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "403"));
    http_get(port, "/metrics?token=s3cret", buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "200 OK"));
    cr_assert_eq(mob_wait(pid), 0);
}

/* ---- mob view ---------------------------------------------------------------------------- */

Test(live, view_sums_reporters_exactly_and_survives_liars_and_quitters, .timeout = 40)
{
    int port = free_port();
    char where[32], vj[] = "/tmp/mob-live-vj-XXXXXX", a[] = "/tmp/mob-live-a-XXXXXX",
                    b[] = "/tmp/mob-live-b-XXXXXX";
    close(mkstemp(vj));
    close(mkstemp(a));
    close(mkstemp(b));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    /* Three reporters: r1, and r2's two children. */
    pid_t view = MOB_START("view", "view", where, "--expect", "3", "--json", vj, "-q");
    wait_http(port);
    /* Liars: garbage, a hello and then nonsense, a stream cut in the middle of a line. */
    int g = connect_to(port);
    cr_assert_eq(write(g, "H \x01\x02 nonsense\n", 14), 14);
    int h = connect_to(port);
    const char *cut = "H 1 - liar 0 1 half\nS 0 5 0 0 0 0 0 0 0 0 1 1 1 1 98";
    cr_assert_eq(write(h, cut, strlen(cut)), (ssize_t)strlen(cut));
    close(h);
    pid_t r1 = MOB_START("r1", "arena://in-process", "-w", "10", "-d", "2s", "-q",
                         "--report-to", where, "--json", a);
    pid_t r2 = MOB_START("r2", "arena://in-process", "-w", "5", "-p", "2", "-d", "2s", "-q",
                         "--report-to", where, "--json", b);
    cr_assert_eq(mob_wait(r1), 0);
    cr_assert_eq(mob_wait(r2), 0);
    close(g);
    cr_assert_eq(mob_wait(view), 0);
    unsigned long long sum = report_ok(a) + report_ok(b), got = report_ok(vj);
    cr_assert_eq(got, sum, "the viewer's merged report is the exact sum: %llu vs %llu", got,
                 sum);
    unlink(vj);
    unlink(a);
    unlink(b);
}

Test(live, a_reporter_whose_viewer_dies_keeps_running_and_writes_its_report, .timeout = 30)
{
    int port = free_port();
    char where[32], a[] = "/tmp/mob-live-orphan-XXXXXX";
    close(mkstemp(a));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid_t view = MOB_START("view2", "view", where, "-q");
    wait_http(port);
    pid_t r = MOB_START("orphan", "arena://in-process", "-w", "10", "-d", "3s", "--no-live",
                        "--report-to", where, "--json", a);
    nap_ms(1200);
    kill(view, SIGKILL);
    mob_wait(view);
    int64_t t0 = mob_clock_ns();
    cr_assert_eq(mob_wait(r), 0);
    cr_assert_lt(mob_clock_ns() - t0, 4 * MOB_NS_PER_SEC, "the end does not wait long");
    cr_assert_gt(report_ok(a), 0);
    mob_result *res;
    cr_assert_eq(mob_result_read_json(a, &res), 0);
    mob_totals t;
    mob_result_totals(res, &t);
    cr_assert_geq(t.elapsed_ns, 3 * MOB_NS_PER_SEC - 50 * MOB_NS_PER_MS, "it ran to its end");
    mob_result_free(res);
    unlink(a);
}

Test(live, a_reporter_finds_a_viewer_that_comes_back_on_its_port, .timeout = 30)
{
    int port = free_port();
    char where[32], a[] = "/tmp/mob-live-back-XXXXXX", vj[] = "/tmp/mob-live-backv-XXXXXX";
    close(mkstemp(a));
    close(mkstemp(vj));
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    pid_t first = MOB_START("first", "view", where, "-q");
    wait_http(port);
    pid_t r = MOB_START("back", "arena://in-process", "-w", "10", "-d", "4s", "--no-live",
                        "--report-to", where, "--json", a);
    nap_ms(1200);
    kill(first, SIGKILL);
    mob_wait(first);
    nap_ms(300);
    /* A new viewer on the same port: the reporter, retrying once a second, says hello again
     * and sends its seconds from the start, then its final report. */
    pid_t second = MOB_START("second", "view", where, "--expect", "1", "--json", vj, "-q");
    wait_http(port);
    nap_ms(1500);
    /* The live report already holds the seconds from before it came back (sent again). */
    static char body[1 << 20];
    cr_assert_gt(http_get(port, "/report.json", body, sizeof body), 0);
    int secs = 0;
    for (const char *p = body; (p = strstr(p, "\"sum_ns\":")); p++)
        secs++;
    cr_assert_geq(secs, 2, "the seconds before the viewer came back: %.300s", body);
    const char *tl = strstr(body, "\"timeline\":[");
    cr_assert_not_null(tl);
    cr_assert_gt(test_json_num(tl, "ok"), 0, "second 0, from before, was sent again: %.200s", tl);
    cr_assert_eq(mob_wait(r), 0);
    cr_assert_eq(mob_wait(second), 0);
    cr_assert_eq(report_ok(vj), report_ok(a), "the viewer that came back has the whole run");
    unlink(a);
    unlink(vj);
}

Test(live, view_beyond_loopback_needs_a_token, .timeout = 10)
{
    pid_t v = MOB_START("vtok", "view", "0.0.0.0:1");
    cr_assert_eq(mob_wait(v), 2);
    v = MOB_START("vbad", "view", "127.0.0.1:1", "--frob");
    cr_assert_eq(mob_wait(v), 2);
}

/* ---- statsd, CSV, --index ------------------------------------------------------------- */

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);
void run_server_stop(pid_t pid);

/* Runs mob on target with --statsd to a UDP socket of ours, 4 bots for 2 s, and checks every
 * line: it starts with prefix (then ':' or '.'), the ok counters and the timings' sample
 * rates both add up to the report's successes. With exact, a timing's name is prefix itself. */
static void statsd_check(const char *target, const char *prefix, int exact)
{
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
    pid_t pid = MOB_START("statsd", target, "-w", "4", "-d", "2s", "-q", "--statsd", url,
                          "--json", json);
    cr_assert_eq(mob_wait(pid), 0);
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned long long oks = 0, timed = 0;
    int timings = 0;
    size_t plen = strlen(prefix);
    char d[2048];
    ssize_t n;
    while ((n = recv(fd, d, sizeof d - 1, 0)) > 0) {
        d[n] = 0;
        for (char *line = strtok(d, "\n"); line; line = strtok(NULL, "\n")) {
            cr_assert(strncmp(line, prefix, plen) == 0 && strchr(".:", line[plen]),
                      "%s does not start with %s", line, prefix);
            char *ok = strstr(line, ".ok:");
            if (ok && strstr(line, "|c"))
                oks += strtoull(ok + 4, NULL, 10);
            char *ms = strstr(line, "|ms");
            if (ms) {
                cr_assert(!exact || line[plen] == ':', "a timing is the label itself: %s", line);
                timings++;
                char *at = strstr(ms, "|@");
                timed += at ? (unsigned long long)(1.0 / strtod(at + 2, NULL) + 0.5) : 1;
            }
        }
    }
    close(fd);
    cr_assert_gt(timings, 0);
    unsigned long long want = report_ok(json);
    cr_assert_gt(want, 0);
    cr_assert_eq(oks, want, "counters add up to the report: %llu vs %llu", oks, want);
    cr_assert_eq(timed, want, "timings stand for every run: %llu vs %llu", timed, want);
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
    statsd_check("arena://in-process", prefix, 0); /* then the scenario's name */
}

/* molotov's per-request label: molotov.<hostname>.<METHOD>.<host>.<path>, no port, no query. */
Test(live, statsd_http_lines_carry_molotovs_request_labels, .timeout = 20)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    char target[96], prefix[160];
    snprintf(target, sizeof target, "http://127.0.0.1:%d/api/v1.items?q=1", port);
    statsd_host(prefix, sizeof prefix);
    size_t n = strlen(prefix);
    snprintf(prefix + n, sizeof prefix - n, ".GET.127.0.0.1./api/v1.items");
    statsd_check(target, prefix, 1);
    run_server_stop(srv);
}

Test(live, csv_files_have_locusts_columns_and_the_runs_totals, .timeout = 20)
{
    char prefix[] = "/tmp/mob-live-csv-XXXXXX", json[] = "/tmp/mob-live-csvj-XXXXXX", p[128];
    close(mkstemp(prefix));
    close(mkstemp(json));
    pid_t pid = MOB_START("csv", "arena://in-process", "-w", "4", "-d", "2s", "-q", "--csv",
                          prefix, "--json", json);
    cr_assert_eq(mob_wait(pid), 0);
    snprintf(p, sizeof p, "%s_stats.csv", prefix);
    char *t = read_text(p);
    cr_assert_not_null(t);
    cr_assert(strncmp(t, "\"Type\",\"Name\",\"Request Count\",\"Failure Count\",\"Median "
                         "Response Time\"",
                      60) == 0,
              "%s", t);
    char want[64];
    snprintf(want, sizeof want, "\"\",\"Aggregated\",%llu,0,", report_ok(json));
    cr_assert_not_null(strstr(t, want), "%s", t);
    unlink(p);
    snprintf(p, sizeof p, "%s_stats_history.csv", prefix);
    t = read_text(p);
    cr_assert_not_null(t);
    cr_assert_not_null(strstr(t, "\"Timestamp\",\"User Count\""));
    cr_assert_not_null(strstr(t, "\n1,4,\"\",\"Aggregated\","), "%s", t);
    unlink(p);
    snprintf(p, sizeof p, "%s_failures.csv", prefix);
    cr_assert_not_null(read_text(p));
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
