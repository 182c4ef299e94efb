/* SPDX-License-Identifier: MIT */
/* helpers.c: see helpers.h. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "helpers.h"
#include "mob.h"
#include "mob_run.h"
#include "mob_suites.h"
#include "test_run.h"

int test_slow_factor(void)
{
    const char *s = getenv("MOB_TEST_SLOW");
    return s && *s && strcmp(s, "0") != 0 ? 10 : 1;
}

int test_listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

const char *test_build_dir(void)
{
    const char *b = getenv("MOB_BUILD");
    return b && *b ? b : "build";
}

static void slurp(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
}

void test_run_mob(struct test_out *o, int sig, int64_t sig_after_ns, const char *const *args)
{
    char tmpl_o[] = "/tmp/mob-cli-out-XXXXXX", tmpl_e[] = "/tmp/mob-cli-err-XXXXXX";
    int fo = mkstemp(tmpl_o), fe = mkstemp(tmpl_e);
    cr_assert(fo >= 0 && fe >= 0);
    unlink(tmpl_o);
    unlink(tmpl_e);
    char bin[512];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    const char *argv[64] = {bin};
    int n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    int64_t t0 = mob_clock_ns();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setpgid(0, 0); /* its own group, so a test can signal it as a terminal would */
        dup2(fo, 1);
        dup2(fe, 2);
        int dn = open("/dev/null", O_RDONLY);
        dup2(dn, 0);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (sig) {
        struct timespec ts = {(time_t)(sig_after_ns / 1000000000),
                              (long)(sig_after_ns % 1000000000)};
        nanosleep(&ts, NULL);
        kill(sig < 0 ? -pid : pid, sig < 0 ? -sig : sig); /* negative: the whole group */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    o->wall_ns = mob_clock_ns() - t0;
    o->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(fo, 0, SEEK_SET);
    lseek(fe, 0, SEEK_SET);
    slurp(fo, o->out, sizeof o->out);
    slurp(fe, o->err, sizeof o->err);
    close(fo);
    close(fe);
}

mob_totals test_run_builtin(const char *url, const struct mob_listener *ls, int bots, int runs)
{
    char err[256];
    const mob_suite *b = mob_builtin_suite(url, NULL, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    mob_suite s = *b;
    s.listeners = ls;
    mob_options o = quiet_options();
    o.target = url;
    o.timeout_ns = 2 * MOB_NS_PER_SEC;
    o.bots = bots;
    o.max_runs = runs;
    o.duration_ns = 0;
    mob_result *r;
    cr_assert_eq(mob_run_suite(&s, &o, &r), 0);
    mob_suite_free(b);
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    return t;
}

char *test_stderr_of(void (*fn)(void))
{
    char path[] = "/tmp/mob-test-err-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    cr_assert(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = test_read_file(path);
    unlink(path);
    return text;
}

char *test_read_file(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

void test_copy_as_new_run(const char *src, const char *dst)
{
    FILE *f = fopen(src, "r");
    cr_assert_not_null(f, "%s", src);
    static char text[1 << 22];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* Every "r:" id becomes "r:" with its first digit changed: the same run, another id. */
    for (char *p = text; (p = strstr(p, "\"r:")) != NULL; p += 3)
        p[3] = p[3] == 'f' ? '0' : 'f';
    f = fopen(dst, "w");
    cr_assert_not_null(f, "%s", dst);
    fwrite(text, 1, n, f);
    fclose(f);
}

int test_hostile_start(const char *mode, int *port)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/hostile", test_build_dir());
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(path, path, mode, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[32] = "";
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof line && (r = read(p[0], line + n, sizeof line - 1 - n)) > 0) {
        n += (size_t)r;
        if (memchr(line, '\n', n))
            break;
    }
    close(p[0]);
    line[n] = 0;
    *port = atoi(line);
    if (*port <= 0) {
        test_child_stop(pid);
        return -ENOENT;
    }
    return pid;
}

void test_child_stop(int pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static intptr_t (*server_conn)(mob_bot *self, void *fd);
static int server_lfd;

static intptr_t server_accept(mob_bot *self, void *arg)
{
    (void)arg;
    for (;;) {
        int fd = mob_accept(self, server_lfd, MOB_FOREVER);
        if (fd == -ECANCELED)
            return 0;
        if (fd < 0)
            continue;
        mob_fd_release(self, fd);
        if (!mob_spawn(mob_bot_loop(self), server_conn, (void *)(intptr_t)fd))
            close(fd);
    }
}

int test_server_fork(int *port, intptr_t (*conn)(mob_bot *self, void *fd), void (*init)(void))
{
    int lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 1024);
    cr_assert_geq(lfd, 0, "listen: %s", mob_strerror(lfd));
    *port = mob_local_port(lfd);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* Never outlive the test: a failed cr_assert ends the test process without stopping
         * the server, and an orphaned one would hold the runner's pipes open. */
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        alarm(60);
        server_lfd = lfd;
        server_conn = conn;
        if (init)
            init();
        mob_loop *loop = mob_loop_new(NULL);
        if (!loop || !mob_spawn(loop, server_accept, NULL))
            _exit(3);
        mob_loop_run(loop);
        _exit(0);
    }
    close(lfd);
    return pid;
}

mob_loop *test_loop_new(int mode)
{
    mob_loop_options o = {.mode = mode};
    mob_loop *loop = mob_loop_new(&o);
    cr_assert_not_null(loop);
    return loop;
}

void test_loop_run_free(mob_loop *loop)
{
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

unsigned long long test_json_num(const char *text, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(text, k);
    cr_assert_not_null(p, "no %s in %.300s", key, text);
    return strtoull(p + strlen(k), NULL, 10);
}

void test_nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

mob_totals test_report_totals(const char *path)
{
    mob_result *r;
    int rc = mob_result_read_json(path, &r);
    cr_assert_eq(rc, 0, "%s: %s", path, mob_strerror(rc));
    mob_totals t;
    mob_result_totals(r, &t);
    mob_result_free(r);
    return t;
}
