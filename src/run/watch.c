/* SPDX-License-Identifier: MIT */
/*
 * watch.c: what a running process starts so people can watch it, all as bots of the run's own
 * loop, fed once a second by the controller (runner.c):
 *
 *   --dashboard  a hub fed straight from this process's result, and the HTTP server (dash.c)
 *   --report-to  a reporter bot: connects, says hello, sends each second's stream (feed.c),
 *                reconnects every second when the viewer goes, and at the end sends the
 *                final report; the run never waits for it longer than a write deadline
 *   -p parent    the same stream to the parent over a socketpair (mob__watch_children)
 *   --statsd     each second's counts and latencies as statsd lines over UDP
 *
 * Nobody watching, mob__watch_start returns NULL and the runner pays one pointer test a
 * second.
 *
 * Read next: src/run/dash.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "watch.h"
#include "mob_io.h"

#define RETRY_NS MOB_NS_PER_SEC
#define SEND_NS (2 * MOB_NS_PER_SEC)   /* one second's stream must be written within this */
#define FINAL_NS (3 * MOB_NS_PER_SEC)  /* what the end of a run gives the final report */

struct reporter {
    struct mob__watch *w;
    char host[256];
    int port;                 /* 0: fd is the parent's socketpair */
    int fd;
    mob_bot *bot;
    mob_event *tick;
    struct mob__feed feed;
};

struct mob__watch {
    const mob_options *o;
    const struct mob__proc *p;
    mob_loop *loop;
    mob_result *res;
    struct mob__info_log *msgs;
    int bots;
    int finishing;
    char name[128];
    int process, processes;   /* over every machine (--index) */
    struct mob__hub *hub;     /* the in-process dashboard */
    struct mob__dash *dash;
    struct mob__hsrc *local;
    struct mob__feed lfeed;
    struct reporter rep[2];
    int nrep;
    struct mob__statsd *statsd;
};

/* ---- reporters ------------------------------------------------------------------------------ */

static int send_feed(mob_bot *self, struct reporter *rp, int64_t deadline)
{
    struct mob__feed *f = &rp->feed;
    if (f->out.failed)
        return -ENOMEM;
    ssize_t n = f->out.len ? mob_write_all(self, rp->fd, f->out.s, f->out.len, deadline) : 0;
    f->out.len = 0;
    return n < 0 ? (int)n : 0;
}

static void hang_up(mob_bot *self, struct reporter *rp)
{
    if (rp->fd >= 0 && rp->port)
        mob_close(self, rp->fd);
    if (rp->port)
        rp->fd = -1;
}

static intptr_t reporter_main(mob_bot *self, void *arg)
{
    struct reporter *rp = arg;
    struct mob__watch *w = rp->w;
    int connected = rp->fd >= 0, lost = 0;
    if (connected) {
        mob_fd_adopt(self, rp->fd);
        mob__feed_hello(&rp->feed, w->o->token, w->p->runid, w->process, w->processes,
                        w->name, w->o);
    }
    int64_t give_up = -1;
    for (;;) {
        int finishing = w->finishing;
        if (finishing && give_up < 0)
            give_up = mob_now(w->loop) + FINAL_NS;
        int tried = 0;
        if (!connected && rp->port && !lost) {
            tried = 1;
            int64_t dl = mob_now(w->loop) + RETRY_NS;
            if (give_up >= 0 && give_up < dl)
                dl = give_up;
            rp->fd = mob_tcp_connect(self, rp->host, rp->port, NULL, dl);
            connected = rp->fd >= 0;
            if (connected) {
                mob__feed_restart(&rp->feed);
                mob__feed_hello(&rp->feed, w->o->token, w->p->runid, w->process, w->processes,
                                w->name, w->o);
            } else if (rp->fd == -ECANCELED) {
                break;
            }
        }
        if (connected) {
            mob__feed_update(&rp->feed, w->res, w->msgs, w->bots);
            if (finishing)
                mob__feed_final(&rp->feed, w->res);
            int64_t dl = mob_now(w->loop) + SEND_NS;
            if (give_up >= 0 && give_up < dl)
                dl = give_up;
            if (send_feed(self, rp, dl) < 0) {
                hang_up(self, rp);
                connected = 0;
                lost = !rp->port; /* a parent's socketpair does not come back */
                continue;
            }
            if (finishing)
                break;
        }
        /* At the end, one try to reach a viewer that is gone, then the run goes on without. */
        if (finishing && (lost || tried || mob_now(w->loop) >= give_up))
            break;
        /* Wait for the next second; unconnected, try again after RETRY_NS. */
        int64_t dl = connected || lost ? MOB_FOREVER : mob_now(w->loop) + RETRY_NS;
        if (finishing)
            dl = mob_now(w->loop) + 50 * MOB_NS_PER_MS;
        int rc = mob_event_wait(self, rp->tick, dl);
        mob_event_clear(rp->tick);
        if (rc == -ECANCELED)
            break;
    }
    hang_up(self, rp);
    if (!rp->port && rp->fd >= 0)
        mob_close(self, rp->fd);
    return 0;
}

static int add_reporter(struct mob__watch *w, const char *hostport, int fd)
{
    struct reporter *rp = &w->rep[w->nrep];
    memset(rp, 0, sizeof *rp);
    rp->w = w;
    rp->fd = fd;
    if (hostport && mob__parse_hostport(hostport, rp->host, sizeof rp->host, &rp->port) < 0)
        return -EINVAL;
    if (hostport && rp->port == 0)
        return -EINVAL;
    if (!(rp->tick = mob_event_new(w->loop)))
        return -ENOMEM;
    rp->bot = mob_spawn(w->loop, reporter_main, rp);
    if (!rp->bot) {
        mob_event_free(rp->tick);
        return -ENOMEM;
    }
    w->nrep++;
    return 0;
}

/* ---- the in-process dashboard -------------------------------------------------------------- */

static void local_report(FILE *f, const void *ud)
{
    mob__result_json_write(ud, f);
}

static void local_feed(struct mob__watch *w)
{
    mob__feed_update(&w->lfeed, w->res, w->msgs, w->bots);
    if (!w->lfeed.out.failed)
        mob__hub_input(w->hub, w->local, w->lfeed.out.s, w->lfeed.out.len);
    w->lfeed.out.len = 0;
    mob__hub_tick(w->hub);
}

static int start_dashboard(struct mob__watch *w)
{
    char host[256];
    int port;
    if (mob__parse_hostport(w->o->dashboard, host, sizeof host, &port) < 0)
        return -EINVAL;
    char title[512];
    snprintf(title, sizeof title, "%s @ %s", w->res->suite, w->res->target);
    w->hub = mob__hub_new(title, NULL);
    w->local = w->hub ? mob__hub_connect(w->hub, "this process") : NULL;
    if (!w->local)
        return -ENOMEM;
    mob__feed_hello(&w->lfeed, NULL, w->p->runid, w->process, w->processes, w->name, w->o);
    local_feed(w);
    int rc = mob__dash_start(w->loop, w->hub, host, port, w->o->token, 0, local_report, w->res,
                             &w->dash);
    if (rc < 0)
        return rc;
    if (!w->o->quiet)
        fprintf(stderr, "mob: dashboard on http://%s:%d/%s%s\n", host, mob__dash_port(w->dash),
                w->o->token ? "?token=" : "", w->o->token ? w->o->token : "");
    return 0;
}

/* ---- the process's side -------------------------------------------------------------------- */

static void watch_free(struct mob__watch *w)
{
    for (int i = 0; i < w->nrep; i++) {
        mob__feed_free(&w->rep[i].feed);
        mob_event_free(w->rep[i].tick);
    }
    mob__feed_free(&w->lfeed);
    mob__hub_free(w->hub);
    mob__statsd_free(w->statsd);
    MOB_FREE(w);
}

int mob__watch_start(struct mob__watch **out, mob_loop *loop, const struct mob__proc *p,
                     mob_result *res, struct mob__info_log *msgs)
{
    const mob_options *o = p->opt;
    *out = NULL;
    int dashboard = o->dashboard && p->processes <= 1;
    if (!dashboard && !o->report_to && p->parent_fd < 0 && !o->statsd)
        return 0;
    struct mob__watch *w = MOB_CALLOC(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->o = o;
    w->p = p;
    w->loop = loop;
    w->res = res;
    w->msgs = msgs;
    int per = p->processes > 0 ? p->processes : 1;
    w->process = (o->nindex > 0 ? o->index * per : 0) + p->process;
    w->processes = (o->nindex > 0 ? o->nindex : 1) * per;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(w->name, sizeof w->name, "%s/%ld", host, (long)getpid());
    int rc = 0;
    char where[256];
    int port;
    if (o->report_to && (mob__parse_hostport(o->report_to, where, sizeof where, &port) < 0 ||
                         port == 0))
        rc = -EINVAL;
    if (dashboard || o->report_to || p->parent_fd >= 0)
        msgs->watched = 1;
    if (rc == 0 && o->statsd)
        rc = mob__statsd_new(&w->statsd, o->statsd);
    /* The dashboard last of what can fail (a port in use): once its bots exist, it stays. */
    if (rc == 0 && dashboard)
        rc = start_dashboard(w);
    if (rc < 0) {
        watch_free(w);
        return rc;
    }
    /* Out of memory from here on, the run goes on with fewer viewers. */
    if (o->report_to)
        add_reporter(w, o->report_to, -1);
    if (p->parent_fd >= 0)
        add_reporter(w, NULL, p->parent_fd);
    *out = w;
    return 0;
}

void mob__watch_second(struct mob__watch *w, int bots)
{
    if (!w)
        return;
    w->bots = bots;
    if (w->hub)
        local_feed(w);
    for (int i = 0; i < w->nrep; i++)
        mob_event_set(w->rep[i].tick);
    if (w->statsd)
        mob__statsd_second(w->statsd, w->res);
}

void mob__watch_finish(struct mob__watch *w, mob_bot *self)
{
    if (!w)
        return;
    w->finishing = 1;
    mob__watch_second(w, 0);
    if (w->hub) {
        mob__feed_update(&w->lfeed, w->res, w->msgs, 0);
        /* The end mark only: this process's page downloads the result itself, so the hub
         * has no use for the final report (parsing one is the costliest thing it does). */
        mob__feed_end(&w->lfeed);
        if (!w->lfeed.out.failed)
            mob__hub_input(w->hub, w->local, w->lfeed.out.s, w->lfeed.out.len);
        w->lfeed.out.len = 0;
        mob__hub_set_done(w->hub);
        mob__hub_tick(w->hub);
        mob__dash_flush(w->dash, self, mob_now(w->loop) + MOB_NS_PER_SEC);
        mob__dash_stop(w->dash, self);
    }
    for (int i = 0; i < w->nrep; i++)
        mob_join(self, w->rep[i].bot, NULL, MOB_FOREVER);
    watch_free(w);
}

/* ---- the -p parent's dashboard ------------------------------------------------------------- */

struct kids_watch {
    const mob_options *o;
    int (*step)(void *ud);
    void *ud;
    int *fds;
    int n;
    struct mob__hub *hub;
    mob_bot **readers;
    int rc;
};

struct reader {
    struct kids_watch *k;
    int *fd;                  /* set to -1 once closed here */
};

/* Reads one child's stream into the hub until the child closes it. */
static intptr_t reader_main(mob_bot *self, void *arg)
{
    struct reader *rd = arg;
    char peer[32];
    int fd = *rd->fd;
    mob_fd_adopt(self, fd);
    snprintf(peer, sizeof peer, "child %d", fd);
    struct mob__hsrc *src = mob__hub_connect(rd->k->hub, peer);
    char *buf = MOB_MALLOC(64 * 1024);
    ssize_t n = 0;
    while (src && buf && (n = mob_read(self, fd, buf, 64 * 1024, MOB_FOREVER)) > 0)
        if (mob__hub_input(rd->k->hub, src, buf, (size_t)n) < 0)
            break;
    if (src)
        mob__hub_disconnect(rd->k->hub, src);
    MOB_FREE(buf);
    mob_close(self, fd);
    *rd->fd = -1;
    return 0;
}

static intptr_t kids_main(mob_bot *self, void *arg)
{
    struct kids_watch *k = arg;
    mob_loop *loop = mob_bot_loop(self);
    char host[256];
    int port;
    mob__parse_hostport(k->o->dashboard, host, sizeof host, &port);
    struct mob__dash *dash;
    k->rc = mob__dash_start(loop, k->hub, host, port, k->o->token, 0, NULL, NULL, &dash);
    if (k->rc < 0) {
        for (int i = 0; i < k->n; i++)
            mob_cancel(k->readers[i]);
        return 0;
    }
    if (!k->o->quiet)
        fprintf(stderr, "mob: dashboard on http://%s:%d/%s%s\n", host, mob__dash_port(dash),
                k->o->token ? "?token=" : "", k->o->token ? k->o->token : "");
    /* The children close each second on the second; tick a little after, so the page's
     * last second has every child in it. */
    int64_t next = mob_now(loop) + MOB_NS_PER_SEC + 200 * MOB_NS_PER_MS;
    while (k->step(k->ud) > 0) {
        if (mob_now(loop) >= next) {
            mob__hub_tick(k->hub);
            next += MOB_NS_PER_SEC;
        }
        if (mob_sleep(self, 20 * MOB_NS_PER_MS) < 0)
            break;
    }
    for (int i = 0; i < k->n; i++)
        mob_join(self, k->readers[i], NULL, mob_now(loop) + MOB_NS_PER_SEC);
    mob__hub_set_done(k->hub);
    mob__hub_tick(k->hub);
    mob__dash_flush(dash, self, mob_now(loop) + MOB_NS_PER_SEC);
    mob__dash_stop(dash, self);
    for (int i = 0; i < k->n; i++)
        mob_cancel(k->readers[i]);
    return 0;
}

int mob__watch_children(const mob_options *o, int *fds, int n, int (*step)(void *ud),
                        void *ud)
{
    struct kids_watch k = {o, step, ud, fds, n, NULL, NULL, 0};
    mob_loop *loop = mob_loop_new(NULL);
    struct reader *rd = MOB_CALLOC((size_t)n, sizeof *rd);
    k.readers = MOB_CALLOC((size_t)n, sizeof *k.readers);
    k.hub = mob__hub_new(o->target ? o->target : "mob", NULL);
    int rc = loop && rd && k.readers && k.hub ? 0 : -ENOMEM;
    for (int i = 0; rc == 0 && i < n; i++) {
        rd[i] = (struct reader){&k, &fds[i]};
        if (!(k.readers[i] = mob_spawn(loop, reader_main, &rd[i])))
            rc = -ENOMEM;
    }
    if (rc == 0 && !mob_spawn(loop, kids_main, &k))
        rc = -ENOMEM;
    if (rc == 0) {
        mob_loop_run(loop);
        rc = k.rc;
    } else if (loop) {
        for (int i = 0; i < n; i++)
            if (k.readers[i])
                mob_cancel(k.readers[i]);
        mob_loop_run(loop);
    }
    if (rc < 0)
        fprintf(stderr, "mob: no dashboard: %s\n", mob_strerror(rc));
    if (loop)
        mob_loop_free(loop);
    mob__hub_free(k.hub);
    MOB_FREE(k.readers);
    MOB_FREE(rd);
    return rc;
}
