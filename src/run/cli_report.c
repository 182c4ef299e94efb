/* SPDX-License-Identifier: MIT */
/*
 * cli_report.c: `mob report RUN.json [--html FILE] [--json FILE] [-q]`: a saved or merged run
 * read back and shown again: the summary on stdout, and the HTML report (html.c) or a
 * rewritten JSON. Several files are merged first, exactly as `mob merge` does.
 */
#include <errno.h>
#include <string.h>

#include "run.h"

static int report_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "mob report: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: mob report RUN.json... [--html FILE] [--json FILE] [--csv PREFIX] [-q]\n");
    return 2;
}

int mob__report_main(int argc, char **argv)
{
    const char *html = NULL, *json = NULL, *csv = NULL;
    int quiet = 0, force = 0, nfiles = 0, exit_code = -1;
    const char **files = MOB_CALLOC((size_t)argc, sizeof *files);
    if (!files)
        return 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = strcmp(a, "--html") == 0   ? &html
                           : strcmp(a, "--json") == 0 ? &json
                           : strcmp(a, "--csv") == 0  ? &csv
                                                      : NULL;
        if (dst) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                MOB_FREE(files);
                return report_usage("%s needs a file name", a);
            }
            *dst = argv[++i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--force") == 0) {
            force = 1;
        } else if (a[0] == '-' && a[1]) {
            MOB_FREE(files);
            return report_usage("unknown option '%s'", a);
        } else {
            files[nfiles++] = a;
        }
    }
    if (!nfiles) {
        MOB_FREE(files);
        return report_usage("%s", "needs at least one JSON report");
    }
    const char *const outs[] = {html, json};
    for (int i = 0; i < 2; i++) {
        int rc = outs[i] ? mob_outfile_check(outs[i]) : 0;
        if (rc < 0) {
            fprintf(stderr, "mob report: cannot write %s: %s\n", outs[i], mob_strerror(rc));
            MOB_FREE(files);
            return 2;
        }
    }
    mob_result *all;
    int merged = mob__merge_files(files, nfiles, force, "mob report", &all);
    MOB_FREE(files);
    if (merged < 0)
        return 2;
    /* The report does not keep the -f threshold, so only -x tells the exit status. */
    if (all->t.stopped_on_failure)
        exit_code = 1;
    int rc = 0;
    if (!quiet)
        mob_result_print(all, stdout);
    if (html && mob_result_write_html(all, html, exit_code) < 0) {
        fprintf(stderr, "mob report: cannot write %s\n", html);
        rc = 1;
    }
    if (csv && mob_result_write_csv(all, csv) < 0) {
        fprintf(stderr, "mob report: cannot write %s_*.csv\n", csv);
        rc = 1;
    }
    if (json && mob_result_write_json(all, json) < 0) {
        fprintf(stderr, "mob report: cannot write %s\n", json);
        rc = 1;
    }
    mob_result_free(all);
    return rc;
}
