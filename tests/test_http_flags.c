/* SPDX-License-Identifier: MIT */
/*
 * test_http_flags.c: the request flags of the mob command (-m, -H, --body TEXT and @FILE,
 * --connection close) and its response checks (--expect-status, --expect-body), run end to
 * end: $MOB_BUILD/mob against a server thread in this process that records what it was sent
 * and counts its connections; also several http(s):// targets in one run, as kinds of bot.
 * Malformed flags must be a clear message and exit 2.
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob_run.h"
#include "test_tls_server.h"

static struct {
    pthread_mutex_t mu;
    int port;
    int connections, requests;
    int login, browse; /* requests for /login and /browse */
    char last[4096]; /* the last request, head and body */
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* One connection: reads requests (head, then Content-Length bytes of body), answers by path:
 * /404 gets a 404, anything else 200 "hello world". */
static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192];
    size_t n = 0;
    for (;;) {
        char *end = memmem(buf, n, "\r\n\r\n", 4);
        if (!end) {
            ssize_t r = n < sizeof buf ? read(fd, buf + n, sizeof buf - n) : -1;
            if (r <= 0)
                break;
            n += (size_t)r;
            continue;
        }
        size_t head = (size_t)(end + 4 - buf), body = 0;
        char *cl = memmem(buf, head, "Content-Length: ", 16);
        if (cl)
            body = strtoul(cl + 16, NULL, 10);
        while (n < head + body) {
            ssize_t r = read(fd, buf + n, sizeof buf - n);
            if (r <= 0)
                goto out;
            n += (size_t)r;
        }
        pthread_mutex_lock(&srv.mu);
        srv.requests++;
        srv.login += strncmp(buf, "GET /login ", 11) == 0;
        srv.browse += strncmp(buf, "GET /browse ", 12) == 0;
        size_t k = head + body < sizeof srv.last - 1 ? head + body : sizeof srv.last - 1;
        memcpy(srv.last, buf, k);
        srv.last[k] = 0;
        pthread_mutex_unlock(&srv.mu);
        int close_after = memmem(buf, head, "Connection: close", 17) != NULL;
        const char *resp = strncmp(strchr(buf, ' ') + 1, "/404 ", 5) == 0
                               ? "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"
                               : "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
        if (send(fd, resp, strlen(resp), MSG_NOSIGNAL) < 0)
            break;
        memmove(buf, buf + head + body, n - head - body);
        n -= head + body;
        if (close_after)
            break;
    }
out:
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&srv.mu);
        srv.connections++;
        pthread_mutex_unlock(&srv.mu);
        pthread_t t;
        pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

static void start_server(char *url, size_t cap, const char *path)
{
    int lfd = test_listen_loopback(&srv.port);
    cr_assert_gt(lfd, 0);
    pthread_t t;
    pthread_create(&t, NULL, accept_main, (void *)(intptr_t)lfd);
    pthread_detach(t);
    snprintf(url, cap, "http://127.0.0.1:%d%s", srv.port, path);
}

Test(http_flags, method_headers_and_body_reach_the_server, .timeout = 20)
{
    char url[64];
    start_server(url, sizeof url, "/api?x=1");
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "2", "-m", "PUT", "-H", "X-Trace: abc 123",
        "--header=Authorization: Bearer t0k", "--body", "{\"k\":1}", "--no-live");
    cr_assert_eq(o.code, 0, "%s%s", o.out, o.err);
    cr_assert(strstr(o.out, "put"), "the scenario is named after the method: %s", o.out);
    pthread_mutex_lock(&srv.mu);
    cr_assert_eq(srv.requests, 2);
    cr_assert_eq(srv.connections, 1, "keep-alive by default");
    cr_assert(strncmp(srv.last, "PUT /api?x=1 HTTP/1.1\r\n", 23) == 0, "%s", srv.last);
    cr_assert(strstr(srv.last, "\r\nX-Trace: abc 123\r\n"), "%s", srv.last);
    cr_assert(strstr(srv.last, "\r\nAuthorization: Bearer t0k\r\n"), "%s", srv.last);
    cr_assert(strstr(srv.last, "\r\nContent-Length: 7\r\n"), "%s", srv.last);
    cr_assert(strstr(srv.last, "\r\n\r\n{\"k\":1}"), "%s", srv.last);
    pthread_mutex_unlock(&srv.mu);
}

Test(http_flags, body_from_a_file_and_a_connection_per_request, .timeout = 20)
{
    char url[64], path[] = "/tmp/mob-body-XXXXXX";
    start_server(url, sizeof url, "/");
    int fd = mkstemp(path);
    static const char bytes[] = "line one\nline two\n";
    cr_assert_eq(write(fd, bytes, sizeof bytes - 1), (ssize_t)sizeof bytes - 1);
    close(fd);
    char at[64];
    snprintf(at, sizeof at, "@%s", path);
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "3", "-m", "POST", "--body", at, "--connection", "close",
        "-q");
    unlink(path);
    cr_assert_eq(o.code, 0, "%s", o.err);
    pthread_mutex_lock(&srv.mu);
    cr_assert_eq(srv.requests, 3);
    cr_assert_eq(srv.connections, 3, "--connection close: one connection per request");
    cr_assert(strstr(srv.last, "\r\nConnection: close\r\n"), "%s", srv.last);
    cr_assert(strstr(srv.last, "\r\n\r\nline one\nline two\n"), "%s", srv.last);
    pthread_mutex_unlock(&srv.mu);
}

Test(http_flags, expect_status_decides_what_passes, .timeout = 20)
{
    char url[64], url404[64];
    start_server(url, sizeof url, "/");
    snprintf(url404, sizeof url404, "http://127.0.0.1:%d/404", srv.port);
    struct test_out o;
    /* Without a check a 404 is a status failure; listed, it passes. */
    MOB(&o, url404, "-w", "1", "-r", "2", "-f", "1", "--no-live");
    cr_assert_eq(o.code, 1);
    cr_assert(strstr(o.out, "status 2"), "%s", o.out);
    MOB(&o, url404, "-w", "1", "-r", "2", "-f", "1", "--expect-status", "404", "-q");
    cr_assert_eq(o.code, 0, "%s", o.err);
    /* A 200 outside the list fails as check, with the reason. */
    MOB(&o, url, "-w", "1", "-r", "2", "-f", "1", "--expect-status", "201,3xx,400-403",
        "--no-live");
    cr_assert_eq(o.code, 1);
    cr_assert(strstr(o.out, "check 2"), "%s", o.out);
    cr_assert(strstr(o.out, "check: status 200 is not one --expect-status names"), "%s", o.out);
    MOB(&o, url, "-w", "1", "-r", "2", "-f", "1", "--expect-status", "2xx", "-q");
    cr_assert_eq(o.code, 0, "%s", o.err);
}

Test(http_flags, expect_body_looks_for_its_text, .timeout = 20)
{
    char url[64];
    start_server(url, sizeof url, "/");
    struct test_out o;
    MOB(&o, url, "-w", "1", "-r", "2", "-f", "1", "--expect-body", "lo wor", "-q");
    cr_assert_eq(o.code, 0, "%s", o.err);
    MOB(&o, url, "-w", "1", "-r", "2", "-f", "1", "--expect-body", "goodbye", "--no-live");
    cr_assert_eq(o.code, 1);
    cr_assert(strstr(o.out, "check 2"), "%s", o.out);
    cr_assert(strstr(o.out, "the body lacks the --expect-body text (goodbye)"), "%s", o.out);
}

/* Two targets of one scheme are two kinds, http and http2, each sending to its own path. */
Test(http_flags, two_http_targets_are_two_kinds_each_on_its_own_path, .timeout = 20)
{
    char login[64], browse[64], json[] = "/tmp/mob-two-http-XXXXXX";
    start_server(login, sizeof login, "/login");
    snprintf(browse, sizeof browse, "http://127.0.0.1:%d/browse", srv.port);
    close(mkstemp(json));
    struct test_out o;
    MOB(&o, "-q", "-w", "4", "-r", "5", "--kind", "http=1", "--kind", "http2=3", "--json", json,
        login, browse);
    cr_assert_eq(o.code, 0, "%s", o.err);
    pthread_mutex_lock(&srv.mu);
    cr_assert_eq(srv.login, 5, "one bot of kind http, 5 runs: %d", srv.login);
    cr_assert_eq(srv.browse, 15, "three bots of kind http2, 5 runs each: %d", srv.browse);
    pthread_mutex_unlock(&srv.mu);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    unlink(json);
    cr_assert_eq(mob_result_nkinds(r), 2);
    mob_kind_stats k;
    mob_result_kind(r, 1, &k);
    cr_assert_str_eq(k.name, "http2");
    cr_assert_eq(k.bots, 3);
    mob_result_free(r);
    MOB(&o, "--show-kinds", "-w", "10", login, browse, "https://127.0.0.1:1/",
        "ws://127.0.0.1:1/", "ws://127.0.0.1:2/");
    cr_assert_eq(o.code, 0, "%s", o.err);
    cr_assert(strstr(o.out, "\nhttp                    1          2\n"
                            "http2                   1          2\n"
                            "https                   1          2\n"
                            "ws                      1          2\n"
                            "ws2                     1          2\n"), "%s", o.out);
}

#ifdef MOB_TLS_OPENSSL
/* http:// beside https:// (the TLS test server forwarding to the same plain server): two
 * kinds, each with its own connections and path. */
Test(http_flags, http_and_https_targets_run_side_by_side, .timeout = 20)
{
    char login[64], browse[64];
    start_server(login, sizeof login, "/login");
    test_tls_server_start(0, test_tls_forward, (void *)(intptr_t)srv.port);
    snprintf(browse, sizeof browse, "https://127.0.0.1:%d/browse", tls_srv.port);
    struct test_out o;
    MOB(&o, "-q", "-w", "3", "-r", "4", "--kind", "https=2", "--cacert", tls_srv.cert_path,
        login, browse);
    test_tls_server_stop();
    cr_assert_eq(o.code, 0, "%s", o.err);
    int hs, resumed;
    test_tls_server_counts(&hs, &resumed);
    cr_assert_eq(hs, 2, "one handshake per https bot: %d", hs);
    pthread_mutex_lock(&srv.mu);
    cr_assert_eq(srv.login, 4, "one http bot, 4 runs: %d", srv.login);
    cr_assert_eq(srv.browse, 8, "two https bots, 4 runs each: %d", srv.browse);
    cr_assert_eq(srv.connections, 3, "one plain connection, two forwarded");
    pthread_mutex_unlock(&srv.mu);
}
#endif

Test(http_flags, malformed_flags_are_a_clear_message_and_exit_2, .timeout = 20)
{
    static const char *const bad[][3] = {
        {"-H", "no colon here", "'Name: value'"},
        {"-H", ": no name", "'Name: value'"},
        {"-H", "Bad Name: x", "'Name: value'"},
        {"-m", "GE T", "a method"},
        {"--body", "@/nonexistent/body", "readable file"},
        {"--connection", "sometimes", "close or keep-alive"},
        {"--expect-status", "2x9", "2xx"},
        {"--expect-status", "99", "2xx"},
        {"--expect-status", "200,", "2xx"},
        {"--expect-status", "300-200", "2xx"},
        {"-H", "Content-Length: 5", "Content-Length"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct test_out o;
        MOB(&o, "http://127.0.0.1:9/", "-r", "1", bad[i][0], bad[i][1]);
        cr_expect_eq(o.code, 2, "%s %s: exit %d", bad[i][0], bad[i][1], o.code);
        cr_expect(strstr(o.err, bad[i][2]) != NULL, "%s %s: %s", bad[i][0], bad[i][1], o.err);
    }
    struct test_out o;
    MOB(&o, "http://127.0.0.1:9/", "-r", "1", "-H");
    cr_expect_eq(o.code, 2);
    cr_expect(strstr(o.err, "needs a value"), "%s", o.err);
}
