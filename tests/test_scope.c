/* SPDX-License-Identifier: MIT */
/*
 * test_scope.c: scopes inside one loop, as aioloop-proxy's own tests use its proxies. One
 * loop lives for the whole "session" with a server bot started once; every test opens a scope
 * (setUp), runs its bots in it, and closes it with a leak check (tearDown's check_and_shutdown):
 * the check reports and cleans up only what the scope owns, kinds select what is reported
 * (never what is cleaned), the session's bots and fds keep working, and scopes nest
 * (session -> module -> test).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

#define MS MOB_NS_PER_MS

/* ---- the session: one loop, one ACK server started once ---------------------------------- */

struct session {
    mob_loop *loop;
    int lfd, port;
    mob_bot *server;
    int served;
};

static intptr_t serve_conn(mob_bot *self, void *arg)
{
    struct session *s = mob_bot_user(self);
    int fd = (int)(intptr_t)arg;
    mob_fd_adopt(self, fd);
    char buf[256] = "ACK:";
    ssize_t n;
    while ((n = mob_read(self, fd, buf + 4, sizeof buf - 4, MOB_FOREVER)) > 0)
        if (mob_write_all(self, fd, buf, (size_t)n + 4, MOB_FOREVER) < 0)
            break;
    s->served++;
    return 0;
}

static intptr_t serve(mob_bot *self, void *arg)
{
    struct session *s = arg;
    for (;;) {
        int fd = mob_accept(self, s->lfd, MOB_FOREVER);
        if (fd < 0)
            return 0;
        mob_fd_release(self, fd);
        mob_spawn_options o = {.user = s};
        mob_spawn_ex(mob_bot_loop(self), serve_conn, (void *)(intptr_t)fd, &o);
    }
}

/* setUpModule: a loop and a server for the whole session, outside any scope. */
static void session_start(struct session *s)
{
    memset(s, 0, sizeof *s);
    s->loop = mob_loop_new(NULL);
    cr_assert_not_null(s->loop);
    s->lfd = mob_tcp_listen(NULL, "127.0.0.1", 0, 64);
    cr_assert_geq(s->lfd, 0);
    s->port = mob_local_port(s->lfd);
    s->server = mob_spawn(s->loop, serve, s);
    cr_assert_eq(mob_loop_step(s->loop, 0), 1, "the server is up, parked in accept");
}

static void session_end(struct session *s)
{
    cr_assert(!mob_bot_done(s->server), "the session's server outlived every scope");
    mob_cancel(s->server);
    cr_assert_eq(mob_loop_run_until(s->loop, s->server), 0);
    cr_assert_eq(mob_close(NULL, s->lfd), 0);
    cr_assert_eq(mob_loop_free(s->loop), 0, "nothing of the session leaked");
}

/* ---- test_concurrent_client_server ---------------------------------------------------------- */

struct client {
    struct session *s;
    char got[64];
    const char *ret;
};

static intptr_t client(mob_bot *self, void *arg)
{
    struct client *c = arg;
    mob_loop *loop = mob_bot_loop(self);
    int fd = mob_tcp_connect(self, "127.0.0.1", c->s->port, NULL, mob_now(loop) + 2000 * MS);
    if (fd < 0)
        return 1;
    if (mob_write_all(self, fd, "DATA\n", 5, MOB_FOREVER) != 5)
        return 1;
    ssize_t n = mob_read_exact(self, fd, c->got, 9, mob_now(loop) + 2000 * MS);
    if (n == 9)
        c->ret = "done";
    mob_close(self, fd); /* writer.close(); no leak */
    return 0;
}

Test(scope, concurrent_client_server, .timeout = 10)
{
    struct session s;
    session_start(&s);
    for (int test = 0; test < 3; test++) {
        mob_scope *t = mob_scope_open(s.loop); /* setUp: LoopProxy(_loop) */
        cr_assert_not_null(t);
        mob_scope *proxy = mob_scope_open(s.loop); /* with aioloop_proxy.proxy(self.loop) */
        struct client c = {.s = &s};
        mob_bot *b = mob_spawn(s.loop, client, &c);
        cr_assert_eq(mob_loop_run_until(s.loop, b), 0);
        cr_assert_str_eq(c.ret, "done");
        cr_assert_eq(memcmp(c.got, "ACK:DATA\n", 9), 0);
        cr_assert_eq(mob_scope_close(proxy, MOB_CHECK_ALL, 1), 0);
        cr_assert_eq(mob_scope_close(t, MOB_CHECK_ALL, 1), 0); /* tearDown */
    }
    /* The server's per-connection bots are the session's, not the tests': they ended because
     * the clients hung up, not because a scope closed. */
    while (s.served < 3)
        cr_assert_geq(mob_loop_step(s.loop, 100 * MS), 0);
    session_end(&s);
}

/* ---- test_check_and_shutdown: each leak reported and cleaned, *_ignored cleaned silently -- */

struct leaky {
    int fd;
    int rc;
};

static intptr_t read_forever(mob_bot *self, void *arg)
{
    struct leaky *l = arg;
    char c;
    l->rc = (int)mob_read(self, l->fd, &c, 1, mob_now(mob_bot_loop(self)) + 3600 * MOB_NS_PER_SEC);
    return 0;
}

static intptr_t sleep_long(mob_bot *self, void *arg)
{
    int *rc = arg;
    *rc = mob_sleep(self, 3600 * MOB_NS_PER_SEC);
    return 0;
}

/* Opens a scope, leaks one bot (parked reading, with a deadline) and the fd it reads (made by
 * the host: nobody owns it), and closes the scope with `kinds`. */
static int leak_and_close(struct session *s, int kinds, struct leaky *l, int other[2])
{
    mob_scope *t = mob_scope_open(s->loop);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, other), 0);
    l->fd = other[0];
    l->rc = 1;
    mob_spawn(s->loop, read_forever, l);
    mob_loop_step(s->loop, 0);
    return mob_scope_close(t, kinds, 1);
}

Test(scope, leaks_of_the_selected_kinds_are_reported_and_all_are_cleaned_up, .timeout = 10)
{
    struct session s;
    session_start(&s);
    /* The session's own sleeper and fd: a scope must not touch them. */
    int session_rc = 1;
    mob_bot *sleeper = mob_spawn(s.loop, sleep_long, &session_rc);
    mob_loop_step(s.loop, 0);
    mob_loop_stats st;
    mob_loop_get_stats(s.loop, &st);
    int64_t session_fds = st.fds_registered;

    struct leaky l;
    int sv[2];
    cr_assert_eq(leak_and_close(&s, MOB_CHECK_ALL, &l, sv), 2, "one bot, one fd");
    cr_assert_eq(l.rc, -ECANCELED, "the leaked bot was cancelled and unwound");
    cr_assert_eq(fcntl(sv[0], F_GETFD), -1, "the leaked fd was closed");
    close(sv[1]);

    cr_assert_eq(leak_and_close(&s, MOB_CHECK_TIMERS, &l, sv), 1, "its deadline only");
    cr_assert_eq(l.rc, -ECANCELED);
    close(sv[1]);

    cr_assert_eq(leak_and_close(&s, MOB_CHECK_FDS, &l, sv), 1, "the fd only");
    close(sv[1]);

    cr_assert_eq(leak_and_close(&s, 0, &l, sv), 0, "ignored: nothing reported...");
    cr_assert_eq(l.rc, -ECANCELED, "...but the bot was cleaned up");
    cr_assert_eq(fcntl(sv[0], F_GETFD), -1, "...and the fd");
    close(sv[1]);

    cr_assert(!mob_bot_done(sleeper), "the session's bot kept sleeping");
    cr_assert_eq(session_rc, 1);
    mob_loop_get_stats(s.loop, &st);
    cr_assert_eq(st.fds_registered, session_fds, "the session's fds are still registered");
    mob_cancel(sleeper);
    cr_assert_eq(mob_loop_run_until(s.loop, sleeper), 0);
    session_end(&s);
}

/* ---- nesting: global -> module -> test ------------------------------------------------------ */

static intptr_t spawns_a_helper(mob_bot *self, void *arg)
{
    int *rc = arg;
    mob_spawn_options o = {.detached = 1}; /* not our child: the scope still owns it */
    mob_spawn_ex(mob_bot_loop(self), sleep_long, rc, &o);
    return 0;
}

Test(scope, nested_scopes_each_clean_up_only_their_own, .timeout = 10)
{
    struct session s;
    session_start(&s);
    mob_scope *module = mob_scope_open(s.loop);
    int module_rc = 1, test_rc = 1, helper_rc = 1;
    mob_bot *module_bot = mob_spawn(s.loop, sleep_long, &module_rc);

    mob_scope *test = mob_scope_open(s.loop);
    mob_spawn(s.loop, sleep_long, &test_rc);
    mob_spawn(s.loop, spawns_a_helper, &helper_rc);
    mob_loop_step(s.loop, 0);
    mob_loop_step(s.loop, 0);
    cr_assert_eq(mob_scope_close(test, MOB_CHECK_BOTS, 1), 2, "its bot and the helper");
    cr_assert_eq(test_rc, -ECANCELED);
    cr_assert_eq(helper_rc, -ECANCELED, "a bot made by a bot of the scope is the scope's");
    cr_assert(!mob_bot_done(module_bot), "the module's bot is not the test's");

    /* A module scope left with a test scope open closes that one too. */
    test = mob_scope_open(s.loop);
    test_rc = 1;
    mob_spawn(s.loop, sleep_long, &test_rc);
    mob_loop_step(s.loop, 0);
    cr_assert_eq(mob_scope_close(module, MOB_CHECK_BOTS, 1), 2);
    cr_assert_eq(module_rc, -ECANCELED);
    cr_assert_eq(test_rc, -ECANCELED);
    session_end(&s);
}

Test(scope, a_scope_check_cleans_up_and_leaves_the_scope_open, .timeout = 10)
{
    struct session s;
    session_start(&s);
    mob_scope *t = mob_scope_open(s.loop);
    int rc = 1;
    mob_spawn(s.loop, sleep_long, &rc);
    mob_loop_step(s.loop, 0);
    cr_assert_eq(mob_scope_check(t, MOB_CHECK_ALL, 0), 1);
    cr_assert_eq(rc, -ECANCELED);
    /* Still current: a new bot belongs to it. */
    rc = 1;
    mob_spawn(s.loop, sleep_long, &rc);
    mob_loop_step(s.loop, 0);
    cr_assert_eq(mob_scope_close(t, MOB_CHECK_ALL, 0), 1);
    cr_assert_eq(rc, -ECANCELED);
    session_end(&s);
}
