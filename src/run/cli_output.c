/* SPDX-License-Identifier: MIT */
/*
 * cli_output.c: what the `mob` command prints and writes once a run is over (the summary,
 * --latency, --json, --hgrm, --html).
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
    if (o->csv_prefix)
        write_one(o->csv_prefix, mob_result_write_csv(r, o->csv_prefix), &code);
    fflush(stdout);
    return code;
}
