/* SPDX-License-Identifier: MIT */
/*
 * test_net.c: sockets made by mob (src/core/net.c): loopback TCP over IPv4 and IPv6, Unix
 * stream sockets, UDP, source binding, refused and timed-out connects, accept deadlines,
 * resets, EMFILE as a value, a thousand clients against one server bot, and addresses.
 *
 * Bots never cr_assert (it would longjmp off the fiber stack): they record what they saw in a
 * struct, and the test asserts after mob_loop_run returns.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "test_io.h"

/* ---------------------------------------------------------------------------------------- */
/* TCP, Unix and UDP sockets                                                                */
/* ---------------------------------------------------------------------------------------- */

struct echo_test {
    const char *host;
    int port;
    int lfd;
    mob_connect_options opt;
    ssize_t rc[6];
    char got[32];
    char peer[64];
};

static intptr_t echo_server(mob_bot *self, void *arg)
{
    struct echo_test *t = arg;
    int fd = mob_accept(self, t->lfd, mob_now(mob_bot_loop(self)) + 2000 * MS);
    t->rc[0] = fd;
    if (fd < 0)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getpeername(fd, (struct sockaddr *)&ss, &len);
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, t->peer, sizeof t->peer);
    char buf[32];
    ssize_t n = mob_read(self, fd, buf, sizeof buf, MOB_FOREVER);
    t->rc[1] = n;
    if (n > 0)
        t->rc[2] = mob_write_all(self, fd, buf, (size_t)n, MOB_FOREVER);
    /* Returns without closing: the bot's cleanup closes fd. */
    return 0;
}

static intptr_t echo_client(mob_bot *self, void *arg)
{
    struct echo_test *t = arg;
    int fd = mob_tcp_connect(self, t->host, t->port, &t->opt, mob_now(mob_bot_loop(self)) + 2000 * MS);
    t->rc[3] = fd;
    if (fd < 0)
        return 0;
    t->rc[4] = mob_write_all(self, fd, "ping", 4, MOB_FOREVER);
    t->rc[5] = mob_read_exact(self, fd, t->got, 4, MOB_FOREVER);
    return mob_close(self, fd);
}

static void run_echo(struct echo_test *t)
{
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, echo_server, t);
    mob_spawn(loop, echo_client, t);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_geq(t->rc[0], 0, "accept: %s", mob_strerror((int)t->rc[0]));
    cr_assert_geq(t->rc[3], 0, "connect: %s", mob_strerror((int)t->rc[3]));
    cr_assert_eq(t->rc[1], 4);
    cr_assert_eq(t->rc[2], 4);
    cr_assert_eq(t->rc[4], 4);
    cr_assert_eq(t->rc[5], 4);
    cr_assert_eq(memcmp(t->got, "ping", 4), 0);
    cr_assert(!fd_is_open((int)t->rc[0]), "the server bot's socket outlived it");
    cr_assert_eq(mob_close(NULL, t->lfd), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(net, tcp_echo_over_ipv4, .timeout = 5)
{
    struct echo_test t = {.host = "127.0.0.1"};
    t.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    cr_assert_geq(t.lfd, 0);
    t.port = mob_local_port(t.lfd);
    cr_assert_gt(t.port, 0);
    run_echo(&t);
}

Test(net, tcp_echo_over_ipv6, .timeout = 5)
{
    struct echo_test t = {.host = "::1"};
    t.lfd = mob_tcp_listen(NULL, "::1", 0, 16);
    if (t.lfd == -EADDRNOTAVAIL || t.lfd == -EAFNOSUPPORT)
        cr_skip_test("no IPv6 loopback here");
    cr_assert_geq(t.lfd, 0, "%s", mob_strerror(t.lfd));
    t.port = mob_local_port(t.lfd);
    run_echo(&t);
}

Test(net, stream_echo_over_a_unix_socket, .timeout = 5)
{
    char path[64], host[80];
    snprintf(path, sizeof path, "/tmp/mob-test-%d.sock", (int)getpid());
    snprintf(host, sizeof host, "unix:%s", path);
    unlink(path);
    struct echo_test t = {.host = host};
    t.lfd = mob_tcp_listen(NULL, host, 0, 16);
    cr_assert_geq(t.lfd, 0, "%s", mob_strerror(t.lfd));
    run_echo(&t);
    unlink(path);
}

Test(net, connect_binds_the_source_address, .timeout = 5)
{
    struct echo_test t = {.host = "127.0.0.1", .opt = {.source = "127.0.0.3"}};
    t.lfd = mob_tcp_listen(NULL, "0.0.0.0", 0, 16);
    cr_assert_geq(t.lfd, 0);
    t.port = mob_local_port(t.lfd);
    run_echo(&t);
    cr_assert_str_eq(t.peer, "127.0.0.3");
}

static intptr_t refused_client(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_tcp_connect(self, "127.0.0.1", s->port, NULL, mob_now(mob_bot_loop(self)) + 2000 * MS);
    return 0;
}

Test(net, connect_to_a_closed_port_returns_econnrefused, .timeout = 5)
{
    /* Take a free port, then close it: nothing listens there. */
    int lfd = test_listen_loopback(&(int){0});
    struct seen s = {0};
    s.port = mob_local_port(lfd);
    close(lfd);
    mob_loop *loop = mob_loop_new(NULL);
    int before = open_fd_count();
    mob_spawn(loop, refused_client, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], -ECONNREFUSED);
    cr_assert_eq(open_fd_count(), before, "the failed socket was not closed");
    cr_assert_eq(mob_loop_free(loop), 0);
}

struct stuck {
    int port, lfd;
    int ok, timedout, other;
    int64_t took_max;
    ssize_t accept_rc;
};

static intptr_t stuck_client(mob_bot *self, void *arg)
{
    struct stuck *s = arg;
    int64_t t0 = mob_clock_ns();
    int fd = mob_tcp_connect(self, "127.0.0.1", s->port, NULL, mob_now(mob_bot_loop(self)) + 100 * MS);
    int64_t took = mob_clock_ns() - t0;
    if (took > s->took_max)
        s->took_max = took;
    if (fd >= 0)
        s->ok++;
    else if (fd == -ETIMEDOUT)
        s->timedout++;
    else
        s->other++;
    return 0;
}

Test(net, connect_past_a_full_backlog_returns_etimedout_at_the_deadline, .timeout = 10)
{
    /* A listener that never accepts, with the smallest backlog: once its queue is full the
     * kernel drops further SYNs, and those connects can only end at their deadline. */
    struct stuck s = {0};
    s.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 1);
    s.port = mob_local_port(s.lfd);
    int before = open_fd_count();
    mob_loop *loop = mob_loop_new(NULL);
    for (int i = 0; i < 8; i++)
        mob_spawn(loop, stuck_client, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.other, 0);
    cr_assert_gt(s.timedout, 0, "ok %d, timed out %d", s.ok, s.timedout);
    cr_assert_eq(s.ok + s.timedout, 8);
    cr_assert_lt(s.took_max, 100 * MS + 300 * MS * test_slow_factor());
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_eq(open_fd_count(), before, "connect left fds behind");
    close(s.lfd);
}

static intptr_t lonely_acceptor(mob_bot *self, void *arg)
{
    struct stuck *s = arg;
    s->accept_rc = mob_accept(self, s->lfd, mob_now(mob_bot_loop(self)) + 30 * MS);
    return 0;
}

Test(net, accept_with_nobody_connecting_returns_etimedout, .timeout = 5)
{
    struct stuck s = {0};
    mob_loop *loop = mob_loop_new(NULL);
    s.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 1);
    mob_spawn(loop, lonely_acceptor, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.accept_rc, -ETIMEDOUT);
    cr_assert_eq(mob_close(NULL, s.lfd), 0);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t resetting_server(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    int fd = mob_accept(self, s->lfd, MOB_FOREVER);
    char c;
    s->rc[0] = mob_read(self, fd, &c, 1, MOB_FOREVER);
    struct linger lg = {1, 0}; /* close with RST */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    mob_close(self, fd);
    return 0;
}

static intptr_t reset_client(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    int fd = mob_tcp_connect(self, "127.0.0.1", s->port, NULL, MOB_FOREVER);
    s->rc[1] = fd;
    mob_write_all(self, fd, "x", 1, MOB_FOREVER);
    s->rc[2] = mob_read(self, fd, s->buf, sizeof s->buf, mob_now(mob_bot_loop(self)) + 2000 * MS);
    return 0;
}

Test(net, a_reset_connection_returns_econnreset, .timeout = 5)
{
    struct seen s = {0};
    s.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    s.port = mob_local_port(s.lfd);
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, resetting_server, &s);
    mob_spawn(loop, reset_client, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], 1);
    cr_assert_geq(s.rc[1], 0);
    cr_assert_eq(s.rc[2], -ECONNRESET);
    mob_close(NULL, s.lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t emfile_bot(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    s->rc[0] = mob_accept(self, s->lfd, mob_now(mob_bot_loop(self)) + 1000 * MS);
    s->rc[1] = mob_tcp_connect(self, "127.0.0.1", s->port, NULL, MOB_FOREVER);
    s->rc[2] = mob_udp_socket(self, "127.0.0.1", 0);
    return 0;
}

Test(net, running_out_of_fds_is_emfile_as_a_value, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL); /* raises the soft limit: lower it afterwards */
    struct seen s = {0};
    s.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 16);
    s.port = mob_local_port(s.lfd);
    /* A pending connection for the accept to fail on. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    int len = mob_addr_parse("127.0.0.1", s.port, &ss);
    cr_assert_eq(connect(c, (struct sockaddr *)&ss, (socklen_t)len), 0);
    /* dup gives the lowest free fd: with the limit there, every new fd fails. */
    int lowest = dup(0);
    close(lowest);
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    rl = old;
    rl.rlim_cur = (rlim_t)lowest;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    mob_spawn(loop, emfile_bot, &s);
    int rc = mob_loop_run(loop);
    setrlimit(RLIMIT_NOFILE, &old);
    cr_assert_eq(rc, 0);
    cr_assert_eq(s.rc[0], -EMFILE);
    cr_assert_eq(s.rc[1], -EMFILE);
    cr_assert_eq(s.rc[2], -EMFILE);
    close(c);
    mob_close(NULL, s.lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t udp_bot(mob_bot *self, void *arg)
{
    struct seen *s = arg;
    int a = mob_udp_socket(self, "127.0.0.1", 0), b = mob_udp_socket(self, "127.0.0.1", 0);
    struct sockaddr_storage to, from;
    int len = mob_addr_parse("127.0.0.1", mob_local_port(b), &to);
    s->rc[0] = mob_sendto(self, a, "one", 3, (struct sockaddr *)&to, (socklen_t)len, MOB_FOREVER);
    s->rc[1] = mob_sendto(self, a, "two!", 4, (struct sockaddr *)&to, (socklen_t)len, MOB_FOREVER);
    socklen_t fl = sizeof from;
    /* Datagrams keep their boundaries: a short read is no sign of an empty socket. */
    s->rc[2] = mob_recvfrom(self, b, s->buf, sizeof s->buf, &from, &fl, MOB_FOREVER);
    s->rc[3] = mob_recvfrom(self, b, s->buf + 3, sizeof s->buf - 3, NULL, NULL, MOB_FOREVER);
    s->rc[4] = ((struct sockaddr_in *)&from)->sin_port == htons((uint16_t)mob_local_port(a));
    s->rc[5] = mob_recvfrom(self, b, s->buf, sizeof s->buf, NULL, NULL, mob_now(mob_bot_loop(self)) + 20 * MS);
    return 0; /* both sockets are closed by the bot's cleanup */
}

Test(net, udp_send_and_receive_keep_datagram_boundaries, .timeout = 5)
{
    mob_loop *loop = mob_loop_new(NULL);
    struct seen s = {0};
    int before = open_fd_count();
    mob_spawn(loop, udp_bot, &s);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(s.rc[0], 3);
    cr_assert_eq(s.rc[1], 4);
    cr_assert_eq(s.rc[2], 3);
    cr_assert_eq(s.rc[3], 4);
    cr_assert_eq(memcmp(s.buf, "onetwo!", 7), 0);
    cr_assert_eq(s.rc[4], 1, "wrong sender address");
    cr_assert_eq(s.rc[5], -ETIMEDOUT);
    cr_assert_eq(open_fd_count(), before);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* A thousand clients against one server bot                                               */
/* ---------------------------------------------------------------------------------------- */

#define CLIENTS 1000

struct crowd {
    int lfd, port;
    int accepted, served, ok, failed;
    int first_error;
};

static intptr_t crowd_handler(mob_bot *self, void *arg)
{
    struct crowd *c = mob_bot_user(self);
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd); /* handed over by the acceptor: ours to close when we return */
    int v;
    if (mob_read_exact(self, fd, &v, sizeof v, MOB_FOREVER) == sizeof v) {
        v = v * 2 + 1;
        if (mob_write_all(self, fd, &v, sizeof v, MOB_FOREVER) == sizeof v)
            c->served++;
    }
    return 0;
}

static intptr_t crowd_server(mob_bot *self, void *arg)
{
    struct crowd *c = arg;
    while (c->accepted < CLIENTS) {
        int fd = mob_accept(self, c->lfd, mob_now(mob_bot_loop(self)) + 3000 * MS);
        if (fd < 0) {
            c->first_error = fd;
            break;
        }
        c->accepted++;
        mob_fd_release(self, fd);
        mob_spawn_ex(mob_bot_loop(self), crowd_handler, (void *)(intptr_t)fd,
                     &(mob_spawn_options){.user = c});
    }
    /* The handlers are our children: returning now would cancel those still serving. */
    mob_join_children(self, MOB_FOREVER);
    return 0;
}

static intptr_t crowd_client(mob_bot *self, void *arg)
{
    struct crowd *c = arg;
    int id = mob_bot_id(self);
    int fd = mob_tcp_connect(self, "127.0.0.1", c->port, NULL, mob_now(mob_bot_loop(self)) + 3000 * MS);
    if (fd < 0) {
        c->failed++;
        c->first_error = fd;
        return 0;
    }
    int v = id, r = 0;
    if (mob_write_all(self, fd, &v, sizeof v, MOB_FOREVER) == sizeof v &&
        mob_read_exact(self, fd, &r, sizeof r, MOB_FOREVER) == sizeof r && r == id * 2 + 1)
        c->ok++;
    else
        c->failed++;
    return 0; /* fd closed by the bot's cleanup */
}

Test(net, a_thousand_clients_against_one_server_bot_in_one_loop, .timeout = 20)
{
    struct crowd c = {0};
    c.lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 4096);
    c.port = mob_local_port(c.lfd);
    int before = open_fd_count();
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, crowd_server, &c);
    for (int i = 0; i < CLIENTS; i++)
        cr_assert_not_null(mob_spawn(loop, crowd_client, &c));
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(c.ok, CLIENTS, "ok %d failed %d (first error %s)", c.ok, c.failed,
                 mob_strerror(c.first_error));
    cr_assert_eq(c.accepted, CLIENTS);
    cr_assert_eq(c.served, CLIENTS);
    mob_loop_stats st;
    mob_loop_get_stats(loop, &st);
    cr_assert_eq(st.fds_registered, 1, "only the listener should remain"); /* lfd */
    cr_assert_gt(st.fd_limit, 2 * CLIENTS);
    mob_close(NULL, c.lfd);
    cr_assert_eq(mob_loop_free(loop), 0);
    cr_assert_eq(open_fd_count(), before - 1, "fds left behind");
}

/* ---------------------------------------------------------------------------------------- */
/* Addresses                                                                                */
/* ---------------------------------------------------------------------------------------- */

Test(net, addr_parse_takes_numeric_localhost_and_unix_addresses)
{
    struct sockaddr_storage ss;
    cr_assert_eq(mob_addr_parse("127.0.0.1", 80, &ss), (int)sizeof(struct sockaddr_in));
    cr_assert_eq(ss.ss_family, AF_INET);
    cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 80);
    cr_assert_eq(mob_addr_parse("::1", 443, &ss), (int)sizeof(struct sockaddr_in6));
    cr_assert_eq(ss.ss_family, AF_INET6);
    cr_assert_eq(mob_addr_parse("[::1]", 443, &ss), (int)sizeof(struct sockaddr_in6));
    cr_assert_eq(mob_addr_parse("localhost", 1, &ss), (int)sizeof(struct sockaddr_in));
    cr_assert_eq(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    int n = mob_addr_parse("unix:/tmp/x.sock", 0, &ss);
    cr_assert_gt(n, 0);
    cr_assert_eq(ss.ss_family, AF_UNIX);
    cr_assert_str_eq(((struct sockaddr_un *)&ss)->sun_path, "/tmp/x.sock");
    cr_assert_eq(mob_addr_parse("127.0.0.1", 65536, &ss), -EINVAL);
    cr_assert_eq(mob_addr_parse("no-such-host.invalid", 80, &ss), -EINVAL);
    cr_assert_eq(mob_addr_parse("unix:", 0, &ss), -EINVAL);
    cr_assert_eq(mob_addr_parse(NULL, 0, &ss), -EINVAL);
}
