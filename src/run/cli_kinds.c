/* SPDX-License-Identifier: MIT */
/*
 * cli_kinds.c: kinds of bot on the command line. Several targets make one run, each target a
 * kind with a built-in suite of its own (`mob http://h:80/ ws://h:90/`: a mixed horde), named
 * after its scheme, a second target of a scheme "scheme2" and so on (http, http2, https);
 * `--kind NAME=WEIGHT` reweights the kinds of the run (several targets, or a suite
 * that has kinds), 0 leaving one out; `--show-kinds` prints the kinds, their weights and the
 * bots each gets, and exits (aiotest's --show-users-wight). The split itself is kinds.c.
 *
 * Read next: src/run/kinds.c.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

#define WEIGHT_MAX 1000000

/* The run of several targets: one kind per target, made of that target's suite. Static: one
 * command line runs one of these. */
static mob_kind mix_kinds[MOB__MAX_TARGETS + 1];
static const mob_suite *mix_parts[MOB__MAX_TARGETS];
static char mix_names[MOB__MAX_TARGETS][16];
static char mix_title[MOB__MAX_TARGETS * 17], mix_target[1024];
static mob_suite mix_suite;

/* Each target's own global hooks, in target order; its ud becomes its kind's. A setup that
 * fails undoes the ones before it, as the run would have. */
static int mix_global_setup(const mob_options *o, void **ud)
{
    (void)ud;
    for (int i = 0; mix_kinds[i].name; i++) {
        const mob_suite *p = mix_parts[i];
        mix_kinds[i].ud = p->ud;
        int rc = p->global_setup ? p->global_setup(o, &mix_kinds[i].ud) : 0;
        if (rc != 0) {
            while (--i >= 0)
                if (mix_parts[i]->global_teardown)
                    mix_parts[i]->global_teardown(o, mix_kinds[i].ud);
            return rc;
        }
    }
    return 0;
}

static int mix_global_teardown(const mob_options *o, void *ud)
{
    (void)ud;
    int failed = 0;
    for (int i = 0; mix_kinds[i].name; i++)
        if (mix_parts[i]->global_teardown)
            failed |= mix_parts[i]->global_teardown(o, mix_kinds[i].ud) != 0;
    return failed;
}

/* One kind per target. -1 to go on, or the exit code (the error printed). */
static int mix(struct mob__cli *cli, const mob_suite **sp, mob_suite_chooser builtin)
{
    if ((*sp && ((*sp)->scenarios || (*sp)->kinds)) || !builtin) {
        mob__cli_usage_error("%s", "several targets need the built-in suites (one kind each)");
        return MOB__EXIT_USAGE;
    }
    size_t tl = 0;
    int arenas = 0;
    mix_title[0] = 0;
    for (int i = 0; i < cli->ntargets; i++) {
        const char *t = cli->targets[i], *colon = strstr(t, "://");
        char err[256] = "";
        const mob_suite *p = mob__cli_choose(cli, builtin, t, err, sizeof err);
        if (!p) {
            mob__cli_usage_error("%s", err[0] ? err : "bad target");
            return MOB__EXIT_USAGE;
        }
        size_t nl = colon ? (size_t)(colon - t) : 0;
        if (!colon || nl + 3 >= sizeof mix_names[i] || p->kinds || !p->scenarios) {
            mob__cli_usage_error("'%s': with several targets, each is a URL whose suite has "
                                 "scenarios and no kinds of its own", t);
            return MOB__EXIT_USAGE;
        }
        if (strncmp(t, "arena", 5) == 0 && arenas++ > 0) {
            /* mob_arena_suite is one per process: a second would take the first one's place */
            mob__cli_usage_error("'%s': one arena:// or arena+ws:// target per run (the arena "
                                 "players are one suite per process)", t);
            return MOB__EXIT_USAGE;
        }
        /* The n-th target of a scheme is kind "scheme" for n = 1, "schemeN" after it: a name
         * --kind can give without quoting, whatever the URL's path holds. */
        int nth = 1;
        for (int j = 0; j < i; j++)
            nth += strncmp(cli->targets[j], t, nl + 3) == 0;
        memcpy(mix_names[i], t, nl);
        mix_names[i][nl] = 0;
        if (nth > 1)
            snprintf(mix_names[i] + nl, sizeof mix_names[i] - nl, "%d", nth);
        mix_parts[i] = p;
        mix_kinds[i] = (mob_kind){mix_names[i], 1, p->scenarios, p->bot_setup, p->bot_teardown,
                                  p->picker, p->state_size, NULL};
        snprintf(mix_title + strlen(mix_title), sizeof mix_title - strlen(mix_title), "%s%s",
                 i ? "+" : "", mix_names[i]);
        size_t room = tl < sizeof mix_target ? sizeof mix_target - tl : 0;
        tl += (size_t)snprintf(room ? mix_target + tl : NULL, room, "%s%s", i ? " " : "", t);
    }
    mix_suite = (mob_suite){.name = mix_title, .global_setup = mix_global_setup,
                            .global_teardown = mix_global_teardown, .kinds = mix_kinds};
    cli->o.target = mix_target;
    *sp = &mix_suite;
    return -1;
}

/* "a, b, c": the kinds' names, for the error that lists them. */
static void kind_list(const mob_kind *k, char *buf, size_t cap)
{
    buf[0] = 0;
    for (size_t n = 0; k && k->name && n < cap; k++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", k->name);
}

/* --kind NAME=WEIGHT on the run's kinds: a copy when they are the caller's, freed with the
 * command's suites. */
static mob_suite copy;
static mob_kind *copy_kinds;

static int reweight(struct mob__cli *cli, const mob_suite **sp)
{
    const mob_suite *s = *sp;
    char names[512];
    if (!s || !s->kinds) {
        mob__cli_usage_error("%s", "--kind: this run has no kinds of bot (give several targets, "
                                   "or a suite with kinds)");
        return MOB__EXIT_USAGE;
    }
    mob_kind *k = mix_kinds;
    if (s != &mix_suite) {
        int n = 0;
        while (s->kinds[n].name)
            n++;
        MOB_FREE(copy_kinds);
        copy_kinds = MOB_CALLOC((size_t)n + 1, sizeof *copy_kinds);
        if (!copy_kinds)
            return 1;
        memcpy(copy_kinds, s->kinds, (size_t)n * sizeof *copy_kinds);
        copy = *s;
        copy.kinds = k = copy_kinds;
        copy.release = NULL; /* the original's owner releases the original */
        *sp = &copy;
    }
    for (int i = 0; i < cli->nkinds; i++) {
        mob_kind *m = k;
        while (m->name && strcmp(m->name, cli->kind_names[i]) != 0)
            m++;
        if (!m->name) {
            kind_list(k, names, sizeof names);
            fprintf(stderr, "mob: --kind: no kind named '%s' (kinds: %s)\n",
                    cli->kind_names[i], names);
            return MOB__EXIT_USAGE;
        }
        m->weight = cli->kind_weights[i];
    }
    return -1;
}

/* --show-kinds: each kind, its weight and its bots in a run of these options. */
static int show(const mob_suite *s, const mob_options *o)
{
    int n = 0;
    while (s->kinds && s->kinds[n].name)
        n++;
    int64_t total = (int64_t)mob_options_max_bots(o) * o->processes * (o->nindex > 0 ? o->nindex : 1);
    if (n == 0) {
        printf("no kinds: each of the %lld bots runs the suite's scenarios\n", (long long)total);
        return 0;
    }
    int w[MOB__MAX_TARGETS * 4];
    int64_t bots[MOB__MAX_TARGETS * 4];
    if (n > (int)(sizeof w / sizeof w[0])) {
        fprintf(stderr, "mob: --show-kinds shows up to %zu kinds\n", sizeof w / sizeof w[0]);
        return 1;
    }
    for (int i = 0; i < n; i++)
        w[i] = s->kinds[i].weight;
    if (mob_kinds_apportion(w, n, total, bots) < 0)
        memset(bots, 0, sizeof bots); /* every weight 0: a run would refuse it */
    printf("%-16s %8s %10s\n", "kind", "weight", "bots");
    for (int i = 0; i < n; i++)
        printf("%-16s %8d %10lld\n", s->kinds[i].name, w[i], (long long)bots[i]);
    return 0;
}

int mob__cli_kinds(struct mob__cli *cli, const mob_suite **sp, mob_suite_chooser builtin)
{
    int rc = cli->ntargets > 1 ? mix(cli, sp, builtin) : -1;
    if (rc < 0 && cli->nkinds > 0)
        rc = reweight(cli, sp);
    if (rc < 0 && cli->show_kinds && *sp)
        rc = show(*sp, &cli->o);
    struct mob__kinds ks;
    if (rc < 0 && *sp && (*sp)->kinds) {
        int b = mob__kinds_build(&ks, *sp, NULL);
        mob__kinds_free(&ks);
        if (b == -EINVAL)
            mob__cli_usage_error("%s", "the suite's kinds are not valid (mob_run.h: mob_kind)");
        else if (b == -ENOENT)
            mob__cli_usage_error("%s", "no kind of bot has a weight and a scenario to run");
        if (b < 0)
            rc = b == -ENOMEM ? 1 : MOB__EXIT_USAGE;
    }
    return rc;
}

const mob_suite *mob__cli_choose(struct mob__cli *cli, mob_suite_chooser builtin,
                                 const char *target, char *err, size_t errlen)
{
    const mob_suite *s = builtin(target, &cli->args, err, errlen);
    if (s && cli->nchosen < MOB__MAX_TARGETS)
        cli->chosen[cli->nchosen++] = s;
    return s;
}

void mob__cli_suites_free(struct mob__cli *cli)
{
    for (int i = 0; i < cli->nchosen; i++)
        if (cli->chosen[i]->release)
            cli->chosen[i]->release(cli->chosen[i]);
    cli->nchosen = 0;
    MOB_FREE(copy_kinds);
    copy_kinds = NULL;
}

int mob__cli_kind_flag(int argc, char **argv, int *i, struct mob__cli *cli)
{
    const char *a = argv[*i], *v;
    int missing = 0;
    if (mob__cli_is_flag(a, NULL, "--show-kinds")) {
        cli->show_kinds = 1;
        return 0;
    }
    if (!MOB__CLI_VAL(i, NULL, "--kind"))
        return -1;
    const char *eq = v ? strchr(v, '=') : NULL;
    int64_t wt;
    if (!eq || eq == v || (size_t)(eq - v) >= sizeof cli->kind_names[0] ||
        mob__cli_parse_int64(eq + 1, 0, WEIGHT_MAX, &wt) < 0)
        MOB__CLI_BAD("--kind (NAME=WEIGHT, WEIGHT a whole number from 0 to 1M)");
    if (cli->nkinds == MOB__MAX_TARGETS * 4) {
        mob__cli_usage_error("--kind: at most %s of them", "64");
        return MOB__EXIT_USAGE;
    }
    memcpy(cli->kind_names[cli->nkinds], v, (size_t)(eq - v));
    cli->kind_names[cli->nkinds][eq - v] = 0;
    cli->kind_weights[cli->nkinds++] = (int)wt;
    return 0;
}
