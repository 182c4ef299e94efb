/* SPDX-License-Identifier: MIT */
/*
 * cli_output.c: what the `mob` command prints and writes once a run is over (the summary,
 * --latency, --json, --hgrm), and the `mob merge` subcommand, which reads result files, merges
 * them exactly and prints the same summary.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static void hgrm_cb(FILE *f, const void *r)
{
    mob_hist_write_hgrm(mob_result_latency(r), f, 1e6, 5);
}

static int write_hgrm(const mob_result *r, const char *path)
{
    return mob_outfile_write(path, hgrm_cb, r);
}

/* Writes one report file; on failure says why and turns a 0 exit code into 1. */
static void write_one(const char *path, int rc, int *code)
{
    if (rc < 0) {
        fprintf(stderr, "mob: cannot write %s: %s\n", path, mob_strerror(rc));
        if (*code == 0)
            *code = 1;
    }
}

int mob__cli_output(const mob_result *r, const mob_options *o, int code)
{
    if (!o->quiet) {
        mob_result_print(r, stdout);
        if (o->latency) {
            fputs("\n  Latency distribution (ms)\n", stdout);
            write_hgrm(r, "-");
        }
    }
    if (o->json_path)
        write_one(o->json_path, mob_result_write_json(r, o->json_path), &code);
    if (o->html_path)
        write_one(o->html_path, mob_result_write_html(r, o->html_path, code), &code);
    if (o->hgrm_path)
        write_one(o->hgrm_path, write_hgrm(r, o->hgrm_path), &code);
    fflush(stdout);
    return code;
}

int mob__cli_merge(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, nfiles = 0;
    mob_result *all = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = mob__cli_flag_value(argc, argv, &i, NULL, "--json", &missing))) {
            out = v;
            continue;
        }
        if (missing) {
            mob__cli_usage_error("%s needs a file name", argv[i]);
            return MOB__EXIT_USAGE;
        }
        if (mob__cli_is_flag(argv[i], "-q", "--quiet")) {
            quiet = 1;
            continue;
        }
        if (argv[i][0] == '-') {
            mob__cli_usage_error("unknown option '%s' for merge", argv[i]);
            return MOB__EXIT_USAGE;
        }
        mob_result *r;
        int rc = mob_result_read_json(argv[i], &r);
        if (rc < 0) {
            fprintf(stderr, "mob: %s: %s\n", argv[i],
                    rc == -EINVAL ? "not a mob JSON report" : mob_strerror(rc));
            mob_result_free(all);
            return MOB__EXIT_USAGE;
        }
        nfiles++;
        if (!all) {
            all = r;
        } else {
            mob_result_merge(all, r);
            mob_result_free(r);
        }
    }
    if (!nfiles) {
        mob__cli_usage_error("%s", "merge needs at least one result file");
        return MOB__EXIT_USAGE;
    }
    int rc = 0;
    if (!quiet)
        mob_result_print(all, stdout);
    if (out && mob_result_write_json(all, out) < 0) {
        fprintf(stderr, "mob: cannot write %s\n", out);
        rc = 1;
    }
    mob_result_free(all);
    return rc;
}
