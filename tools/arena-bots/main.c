/* SPDX-License-Identifier: MIT */
/*
 * arena-bots: runs the arena player scenario (mob_arena_player) against a running arena, for
 * `make run` until the mob CLI runs scenarios. Spawns N player bots in one loop, plays rounds
 * until the duration is over (each room finishes its round), prints a progress line every
 * second, then per-action counts, errors and latency percentiles, and writes a JSON file and
 * a text report when asked.
 *
 *   build/arena-bots --port P [--host H] [--bots N] [--duration 20s] [--ws] [--room-size 8]
 *                    [--moves 3] [--chats 2] [--first-room R] [--json FILE] [--report FILE]
 *
 * Latencies are kept exactly (one int64 per action) and sorted at the end: a few million
 * samples at most for a demo run. The load-test layer's histograms replace this later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mob.h"
#include "mob_arena.h"
#include "mob_run.h"

static const char *action_names[MOB_ARENA_ACT_COUNT] = {"login", "join", "move-ack",
                                                        "chat-seen"};
/* The failure classes a player can record (enum mob_fail), in report order. */
static const int err_classes[] = {MOB_FAIL_CONNECT, MOB_FAIL_READ, MOB_FAIL_WRITE,
                                  MOB_FAIL_TIMEOUT, MOB_FAIL_PROTOCOL};
#define NERR (int)(sizeof err_classes / sizeof err_classes[0])

struct samples {
    int64_t *v;
    size_t n, cap;
    int64_t errors[MOB_FAIL_NCLASS];
};

struct run {
    struct samples s[MOB_ARENA_ACT_COUNT];
    int oom;
};

static void record(void *ud, int action, int64_t latency_ns, int fail)
{
    struct run *r = ud;
    struct samples *s = &r->s[action];
    if (fail) {
        s->errors[fail > 0 && fail < MOB_FAIL_NCLASS ? fail : MOB_FAIL_OTHER]++;
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        int64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = latency_ns;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The value at quantile q of sorted v (nearest rank), in microseconds. */
static double pct_us(const struct samples *s, double q)
{
    if (!s->n)
        return 0;
    size_t i = (size_t)(q * (double)s->n);
    if (i >= s->n)
        i = s->n - 1;
    return (double)s->v[i] / 1e3;
}

/* "250ms", "20s", "1h30m", or plain seconds (mob_parse_duration). Returns ns, or -1. */
static int64_t parse_duration(const char *s)
{
    int64_t ns;
    return mob_parse_duration(s, &ns) == 0 ? ns : -1;
}

struct progress {
    struct run *run;
    mob_arena_player_totals *tot;
    mob_bot **players;
    int n;
    int64_t start, duration;
    int quiet;
};

/* Prints one line a second until every player is done. */
static intptr_t progress_main(mob_bot *self, void *arg)
{
    struct progress *p = arg;
    mob_loop *loop = mob_bot_loop(self);
    int64_t next = p->start + MOB_NS_PER_SEC;
    for (;;) {
        int alive = 0;
        for (int i = 0; i < p->n; i++)
            alive += !mob_bot_done(p->players[i]);
        if (!alive)
            break;
        /* Short naps, so the run ends soon after the last player. */
        if (mob_sleep(self, MOB_NS_PER_SEC / 10) < 0)
            break;
        if (p->quiet || mob_now(loop) < next)
            continue;
        next += MOB_NS_PER_SEC;
        int64_t errs = 0;
        for (int a = 0; a < MOB_ARENA_ACT_COUNT; a++)
            for (int e = 1; e < MOB_FAIL_NCLASS; e++)
                errs += p->run->s[a].errors[e];
        printf("[%3ds/%llds] bots %d  rounds %lld  login %zu  join %zu  move %zu  "
               "chat-seen %zu  errors %lld\n",
               (int)((mob_now(loop) - p->start) / MOB_NS_PER_SEC),
               (long long)(p->duration / MOB_NS_PER_SEC), alive, (long long)p->tot->rounds,
               p->run->s[0].n, p->run->s[1].n, p->run->s[2].n, p->run->s[3].n,
               (long long)errs);
        fflush(stdout);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: arena-bots --port P [--host H] [--bots N] [--duration D] [--ws]\n"
               "                  [--room-size K] [--moves M] [--chats C] [--first-room R]\n"
               "                  [--json FILE]"
               "                  [--report FILE] [--quiet]\n");
}

static void write_report(FILE *f, struct run *r, const mob_arena_player_totals *t, int bots,
                         double secs, int use_ws)
{
    fprintf(f, "arena players: %d bots over %s, %.1f s, %lld rounds, %lld players done, "
               "%lld failed\n",
            bots, use_ws ? "WebSocket" : "TCP", secs, (long long)t->rounds,
            (long long)t->done, (long long)t->failed);
    fprintf(f, "chats: %lld expected, %lld seen by room-mates\n", (long long)t->chats_expected,
            (long long)t->chats_seen);
    fprintf(f, "%-10s %10s %10s %9s %9s %9s %9s %9s  errors\n", "action", "count", "rate/s",
            "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
    for (int a = 0; a < MOB_ARENA_ACT_COUNT; a++) {
        struct samples *s = &r->s[a];
        fprintf(f, "%-10s %10zu %10.0f %9.0f %9.0f %9.0f %9.0f %9.0f ", action_names[a], s->n,
                secs > 0 ? (double)s->n / secs : 0, pct_us(s, 0.5), pct_us(s, 0.9),
                pct_us(s, 0.99), pct_us(s, 0.999), s->n ? (double)s->v[s->n - 1] / 1e3 : 0);
        int any = 0;
        for (int e = 1; e < MOB_FAIL_NCLASS; e++)
            if (s->errors[e]) {
                fprintf(f, " %s=%lld", mob_fail_name(e), (long long)s->errors[e]);
                any = 1;
            }
        fprintf(f, "%s\n", any ? "" : " 0");
    }
}

static void write_json(FILE *f, struct run *r, const mob_arena_player_totals *t, int bots,
                       double secs, int use_ws)
{
    fprintf(f, "{\n  \"scenario\": \"arena-player\",\n  \"transport\": \"%s\",\n"
               "  \"bots\": %d,\n  \"seconds\": %.3f,\n  \"rounds\": %lld,\n"
               "  \"players_done\": %lld,\n  \"players_failed\": %lld,\n"
               "  \"chats_expected\": %lld,\n  \"chats_seen\": %lld,\n  \"actions\": {\n",
            use_ws ? "ws" : "tcp", bots, secs, (long long)t->rounds, (long long)t->done,
            (long long)t->failed, (long long)t->chats_expected, (long long)t->chats_seen);
    for (int a = 0; a < MOB_ARENA_ACT_COUNT; a++) {
        struct samples *s = &r->s[a];
        fprintf(f, "    \"%s\": {\"count\": %zu, \"p50_us\": %.1f, \"p90_us\": %.1f, "
                   "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"errors\": {",
                action_names[a], s->n, pct_us(s, 0.5), pct_us(s, 0.9), pct_us(s, 0.99),
                pct_us(s, 0.999), s->n ? (double)s->v[s->n - 1] / 1e3 : 0);
        for (int e = 0; e < NERR; e++)
            fprintf(f, "\"%s\": %lld%s", mob_fail_name(err_classes[e]),
                    (long long)s->errors[err_classes[e]], e + 1 < NERR ? ", " : "");
        fprintf(f, "}}%s\n", a + 1 < MOB_ARENA_ACT_COUNT ? "," : "");
    }
    fprintf(f, "  }\n}\n");
}

int main(int argc, char **argv)
{
    mob_arena_player_options po;
    memset(&po, 0, sizeof po);
    po.host = "127.0.0.1";
    po.room_size = 8;
    po.moves = 3;
    po.chats = 2;
    int bots = 1000, quiet = 0;
    int64_t duration = 20 * MOB_NS_PER_SEC;
    const char *json = NULL, *report = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--ws")) {
            po.use_ws = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--host"))
            po.host = v;
        else if (!strcmp(a, "--port") && mob_parse_int(v, 1, 65535, &po.port) == 0)
            continue;
        else if (!strcmp(a, "--bots") && mob_parse_int(v, 1, 1 << 24, &bots) == 0)
            continue;
        else if (!strcmp(a, "--room-size") && mob_parse_int(v, 1, 1 << 20, &po.room_size) == 0)
            continue;
        else if (!strcmp(a, "--first-room") && mob_parse_int(v, 0, 1 << 20, &po.first_room) == 0)
            continue;
        else if (!strcmp(a, "--moves") && mob_parse_int(v, 0, 1 << 20, &po.moves) == 0)
            continue;
        else if (!strcmp(a, "--chats") && mob_parse_int(v, 0, 1 << 20, &po.chats) == 0)
            continue;
        else if (!strcmp(a, "--json"))
            json = v;
        else if (!strcmp(a, "--report"))
            report = v;
        else if (!strcmp(a, "--duration") && (duration = parse_duration(v)) >= 0)
            continue;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (po.port <= 0 || bots <= 0) {
        usage(stderr);
        return 2;
    }
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop) {
        perror("arena-bots: mob_loop_new");
        return 1;
    }
    mob_loop_stats ls;
    mob_loop_get_stats(loop, &ls);
    if (ls.fd_limit > 0 && bots > ls.fd_limit - 32) {
        fprintf(stderr, "arena-bots: %d bots need %d fds, the limit is %lld: run more "
                        "processes\n", bots, bots + 32, (long long)ls.fd_limit);
        mob_loop_free(loop);
        return 2;
    }
    static struct run run;
    mob_arena_player_totals tot;
    memset(&tot, 0, sizeof tot);
    po.players = bots;
    po.rounds = 1 << 30;
    po.record = record;
    po.record_ud = &run;
    int64_t start = mob_now(loop);
    po.until = start + duration;
    mob_arena_player_arg pa = {&po, &tot};
    mob_bot **players = calloc((size_t)bots, sizeof *players);
    if (!players)
        return 1;
    for (int i = 0; i < bots; i++) {
        players[i] = mob_spawn(loop, mob_arena_player, &pa);
        if (!players[i]) {
            fprintf(stderr, "arena-bots: cannot spawn bot %d\n", i);
            return 1;
        }
    }
    po.first_bot_id = mob_bot_id(players[0]);
    struct progress pr = {&run, &tot, players, bots, start, duration, quiet};
    mob_spawn(loop, progress_main, &pr);
    int64_t t0 = mob_clock_ns();
    int rc = mob_loop_run(loop);
    double secs = (double)(mob_clock_ns() - t0) / 1e9;
    for (int a = 0; a < MOB_ARENA_ACT_COUNT; a++)
        qsort(run.s[a].v, run.s[a].n, sizeof(int64_t), cmp64);
    write_report(stdout, &run, &tot, bots, secs, po.use_ws);
    if (report) {
        FILE *f = fopen(report, "w");
        if (f) {
            write_report(f, &run, &tot, bots, secs, po.use_ws);
            fclose(f);
        }
    }
    if (json) {
        FILE *f = fopen(json, "w");
        if (f) {
            write_json(f, &run, &tot, bots, secs, po.use_ws);
            fclose(f);
        }
    }
    free(players);
    int leaks = mob_loop_free(loop);
    for (int a = 0; a < MOB_ARENA_ACT_COUNT; a++)
        free(run.s[a].v);
    if (rc < 0 || leaks || run.oom)
        return 1;
    return tot.failed || tot.chats_seen != tot.chats_expected ? 1 : 0;
}
