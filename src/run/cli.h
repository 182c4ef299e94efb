/* SPDX-License-Identifier: MIT */
/*
 * cli.h: what the files of the `mob` command line share, and nobody else includes.
 *
 *   cli.c         mob_main_ex: parse, validate, run, output, in that order
 *   cli_parse.c   the usage text and the flags, into a mob_options (add a flag here)
 *   cli_units.c   human units: 30s, 1h30m, 10k, 64Ki; start times and load stages
 *   cli_output.c  the summary, --json, --hgrm, --latency
 *   cli_merge.c   `mob merge`, and the checks every merge of report files makes
 *   cli_kinds.c   several targets in one run, --kind, --show-kinds
 */
#ifndef MOB_CLI_H
#define MOB_CLI_H

#include "run.h"

#define MOB__EXIT_USAGE 2
#define MOB__MAX_TARGETS 16 /* targets on one command line, one kind of bot each */

/* What the command line said, before it is checked against the suite. */
struct mob__cli {
    mob_options o;
    mob_suite_args args; /* for the built-in suite the target names */
    int duration_set; /* -d was given (stages otherwise set the duration) */
    const char *targets[MOB__MAX_TARGETS]; /* the positional arguments (o.target: the first) */
    int ntargets;
    char kind_names[MOB__MAX_TARGETS * 4][64]; /* --kind NAME=WEIGHT, nkinds of them */
    int kind_weights[MOB__MAX_TARGETS * 4];
    int nkinds;
    int show_kinds;   /* --show-kinds */
    int bots_set, ramp_set; /* -w, --ramp-up were given (--sizing otherwise sets molotov's) */
    const mob_suite *chosen[MOB__MAX_TARGETS]; /* what the chooser made, nchosen of them: the */
    int nchosen;                               /* command's own, released as it ends */
};

/* Prints "mob: " and fmt (with one %s for arg), then the --help hint, on stderr. */
void mob__cli_usage_error(const char *fmt, const char *arg);

/* Fills cli from argv. Returns -1 when the run should go on, or the exit code to return now:
 * 0 after --help or --version, MOB__EXIT_USAGE after a usage error (already printed). */
int mob__cli_parse(int argc, char **argv, struct mob__cli *cli);

/* Matches argv[*i] against a flag with a value: "-w 10", "-w10", "--workers 10",
 * "--workers=10". Returns the value, NULL when it is another flag; sets *missing when the
 * flag matched but its value is absent. */
const char *mob__cli_flag_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
                                int *missing);
/* For flag loops that name their locals `a` (the argument), `v` (its value) and `missing`,
 * with argc and argv in scope: MOB__CLI_VAL matches a flag with a value at *ip, and
 * MOB__CLI_BAD prints the usage error for it and returns MOB__EXIT_USAGE. */
#define MOB__CLI_VAL(ip, shrt, lng)                                                            \
    ((v = mob__cli_flag_value(argc, argv, (ip), shrt, lng, &missing)) || missing)
#define MOB__CLI_BAD(what)                                                                     \
    do {                                                                                       \
        if (missing)                                                                           \
            mob__cli_usage_error("option '%s' needs a value", a);                              \
        else                                                                                   \
            mob__cli_usage_error("bad value '%s' for " what, v);                               \
        return MOB__EXIT_USAGE;                                                                \
    } while (0)

/* Whether a is the flag shrt (may be NULL) or lng. */
int mob__cli_is_flag(const char *a, const char *shrt, const char *lng);

/* A whole number in [lo, hi], human units allowed (10k). 0 or -EINVAL. */
int mob__cli_parse_int64(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* "+30s" from now, or seconds since the epoch ("1763780000.5"), as wall-clock ns. */
int mob__cli_parse_start_at(const char *s, int64_t *out);
/* "DUR:BOTS[:SPAWN_PER_S],..." into o->stages. 0 or -EINVAL. */
int mob__cli_parse_stages(const char *spec, mob_options *o);

/* Prints and writes what the options ask for. Returns `code`, or 1 when a file could not be
 * written and code was 0. */
int mob__cli_output(const mob_result *r, const mob_options *o, int code);

/* cli_watch.c: the live views' flags. Returns 0 when argv[*i] was one of them, -1 when it
 * was not, MOB__EXIT_USAGE after a usage error (printed). */
int mob__cli_watch_flag(int argc, char **argv, int *i, mob_options *o);

/* cli_http.c: the request flags of http(s):// (-m, -H, --body, --connection, --expect-*),
 * into args. -1 when argv[*i] is none of them, 0 when taken, or the exit code (usage error,
 * printed). */
int mob__cli_http_flag(int argc, char **argv, int *i, mob_suite_args *args);

/* cli_config.c: molotov.json's run `name` from `path` as flags (and its "env" set). 0 with
 * *argv and *argc set (kept for the process's life), or -1 with the reason printed. */
int mob__cli_config(const char *path, const char *name, char ***argv, int *argc);
/* What a config's named run says: its flags, and its environment as name, value pairs. */
struct mob__config_run {
    char **argv;
    int argc;
    char **env;
    int nenv; /* two entries a variable */
};
/* The run `name` of the config text[0, len) into *out (free it with mob__cli_config_free).
 * 0, or -1 with one line of why in err (no "mob: " prefix). Sets no environment. */
int mob__cli_config_parse(const char *text, size_t len, const char *name,
                          struct mob__config_run *out, char *err, size_t errlen);
void mob__cli_config_free(struct mob__config_run *r);
/* Parses an --expect-status list ("200,204", "2xx", "200-299,404") into the bitmap.
 * 0 or -EINVAL. */
int mob__cli_parse_status_list(const char *s, unsigned char *set);
/* What those flags say together (and JOB_COMPLETION_INDEX): -1 to go on, or the exit code. */
int mob__cli_watch_check(mob_options *o);

/* cli_kinds.c: --kind and --show-kinds into cli: -1 when argv[*i] is neither, 0 when taken,
 * or the exit code (usage error, printed). */
int mob__cli_kind_flag(int argc, char **argv, int *i, struct mob__cli *cli);
/* Makes one kind per target when there are several, applies --kind, answers --show-kinds and
 * checks the kinds of the suite in *sp. -1 to go on, or the exit code (printed). */
int mob__cli_kinds(struct mob__cli *cli, const mob_suite **sp, mob_suite_chooser builtin);
/* The chooser's suite for target, kept in cli->chosen; NULL with a message in err. */
const mob_suite *mob__cli_choose(struct mob__cli *cli, mob_suite_chooser builtin,
                                 const char *target, char *err, size_t errlen);
/* Releases what the command chose (mob_suite.release) and made of it (the kinds' copies). */
void mob__cli_suites_free(struct mob__cli *cli);

/* view.c: `mob view [HOST:]PORT ...`: the exit code. */
int mob__view_main(int argc, char **argv);

/* `mob merge [--json OUT] FILE.json...`: the exit code. */
int mob__cli_merge(int argc, char **argv);

#endif /* MOB_CLI_H */
