/* SPDX-License-Identifier: MIT */
/*
 * cli.c: the `mob` command line, for the mob tool and for any program that links the library
 * and calls mob_main(argc, argv, &suite). mob_main_ex reads as the four steps of a command:
 * parse the flags (cli_parse.c), validate them against each other and choose the suite (here),
 * run it (mob_run_suite, runner.c), print and write the results (cli_output.c). `mob merge
 * a.json b.json ...` merges result files exactly (cli_output.c).
 *
 * Read next: src/run/cli_parse.c.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cli.h"

/* Checks what only the flags together can say, and chooses the suite: the caller's, or the
 * built-in one the target names. Returns -1 to go on, or MOB__EXIT_USAGE (already printed). */
static int validate(struct mob__cli *cli, const mob_suite **sp, mob_suite_chooser builtin)
{
    mob_options *o = &cli->o;
    const mob_suite *s = *sp;
    if (o->quiet && o->verbose) {
        mob__cli_usage_error("%s", "-q and -v cannot be used together");
        return MOB__EXIT_USAGE;
    }
    if (o->single && o->single_run) {
        mob__cli_usage_error("%s", "-s and --single-run cannot be used together");
        return MOB__EXIT_USAGE;
    }
    if (o->nstages > 0 && o->rate > 0) {
        mob__cli_usage_error("%s", "--stages and -R cannot be used together");
        return MOB__EXIT_USAGE;
    }
    if ((int64_t)mob_options_max_bots(o) * o->processes > INT_MAX) {
        mob__cli_usage_error("%s", "too many bots: -w (or the largest stage) times -p must stay "
                                   "under 2^31");
        return MOB__EXIT_USAGE;
    }
    if (o->sizing && o->rate > 0) {
        mob__cli_usage_error("%s", "--sizing and -R cannot be used together (sizing grows the "
                                   "load by adding bots; a rate fixes it)");
        return MOB__EXIT_USAGE;
    }
    if (o->sizing) { /* molotov's defaults, and the largest load held one window long */
        o->bots = cli->bots_set ? o->bots : 500;
        o->ramp_up_ns = cli->ramp_set ? o->ramp_up_ns : 300 * MOB_NS_PER_SEC;
        if (!cli->duration_set) {
            o->duration_ns = o->sizing_window_ns + (o->nstages ? 0 : o->ramp_up_ns);
            for (int i = 0; i < o->nstages; i++)
                o->duration_ns += o->stages[i].duration_ns;
        }
    }
    int w = mob__cli_watch_check(o);
    if (w >= 0)
        return w;
    if (o->nstages > 0 && !cli->duration_set && !o->sizing)
        o->duration_ns = 0; /* the stages' sum */
    if (cli->ntargets < 2 && (!s || (!s->scenarios && !s->kinds)) && builtin) {
        char err[256] = "";
        if (!o->target) {
            mob__cli_usage_error("%s", "no target (a URL like http://127.0.0.1:8080/ or a .so)");
            return MOB__EXIT_USAGE;
        }
        s = mob__cli_choose(cli, builtin, o->target, err, sizeof err);
        if (!s) {
            mob__cli_usage_error("%s", err[0] ? err : "bad target");
            return MOB__EXIT_USAGE;
        }
    }
    int k = mob__cli_kinds(cli, &s, builtin);
    if (k >= 0)
        return k;
    if (!s || (!s->kinds && (!s->scenarios || !s->scenarios[0].name))) {
        mob__cli_usage_error("%s", "no scenario to run");
        return MOB__EXIT_USAGE;
    }
    for (int i = 0; i < o->nthresholds; i++) {
        const char *name = o->thresholds[i].scenario;
        if (name[0] && !mob__kinds_has_scenario(s, name)) {
            mob__cli_usage_error("--threshold names no scenario of this run: '%s'",
                                 o->thresholds[i].expr);
            return MOB__EXIT_USAGE;
        }
    }
    if (o->single) {
        if (!mob__kinds_has_scenario(s, o->single)) {
            mob__cli_usage_error("no scenario named '%s' (-s)", o->single);
            return MOB__EXIT_USAGE;
        }
    }
    /* The built-in targets hold one socket per bot: check the machine's limits now. Of
     * several targets (kinds), any one that holds sockets counts. */
    static const char *const sockets[] = {"http://", "https://", "tcp://", "ws://", "wss://",
                                          "arena://", "arena+ws://"};
    int fds = 0;
    for (int t = 0; t < cli->ntargets; t++)
        for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++)
            if (strncmp(cli->targets[t], sockets[i], strlen(sockets[i])) == 0 &&
                strcmp(cli->targets[t] + strlen(sockets[i]), "in-process") != 0)
                fds = 1;
    char lerr[400], lwarn[400];
    if (mob__check_limits(o, fds, lerr, sizeof lerr, lwarn, sizeof lwarn) < 0) {
        fprintf(stderr, "mob: %s\n", lerr);
        return MOB__EXIT_USAGE;
    }
    if (lwarn[0] && !o->quiet)
        fprintf(stderr, "mob: %s\n", lwarn);
    /* Report files are checked now: a typo in a path must not cost a whole run. */
    const char *const paths[] = {o->json_path, o->hgrm_path, o->html_path};
    for (int i = 0; i < 3; i++) {
        int rc = paths[i] ? mob_outfile_check(paths[i]) : 0;
        if (rc < 0) {
            fprintf(stderr, "mob: cannot write %s: %s\n", paths[i], mob_strerror(rc));
            return MOB__EXIT_USAGE;
        }
    }
    *sp = s;
    return -1;
}

/* Runs the chosen suite, prints and writes the results: the exit code. */
static int run(struct mob__cli *cli, const mob_suite *s)
{
    mob_result *r = NULL;
    int rc = mob_run_suite(s, &cli->o, &r);
    if (rc == -EINVAL) {
        mob__cli_usage_error("%s", "bad target or option combination");
        return MOB__EXIT_USAGE;
    }
    if (rc == -ECANCELED)
        return MOB__EXIT_USAGE; /* global setup failed before any load; procs.c said why */
    if (rc < 0) {
        fprintf(stderr, "mob: %s\n", mob_strerror(rc));
        return 1;
    }
    int code = mob__cli_output(r, &cli->o, mob_result_exit_code(r, &cli->o));
    mob_result_free(r);
    return code;
}

int mob_main_ex(int argc, char **argv, const mob_suite *s, mob_suite_chooser builtin)
{
    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return mob__cli_merge(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return mob__report_main(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "view") == 0)
        return mob__view_main(argc, argv);
    struct mob__cli cli;
    int code = mob__cli_parse(argc, argv, &cli);
    if (code >= 0)
        return code;
    code = validate(&cli, &s, builtin);
    if (code < 0)
        code = run(&cli, s);
    mob__cli_suites_free(&cli);
    return code;
}

int mob_main(int argc, char **argv, const mob_suite *s)
{
    return mob_main_ex(argc, argv, s, NULL);
}
