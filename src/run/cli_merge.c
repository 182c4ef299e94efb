/* SPDX-License-Identifier: MIT */
/*
 * cli_merge.c: `mob merge [--json OUT] [--force] FILE.json...`, and the checks behind every
 * merge of report files (`mob report` takes the same path). A merge is exact, so it must
 * refuse what would make it a lie, each with one line and exit 2, before anything is written:
 *   - a file that is not a mob report, or of a format version this mob does not read, or
 *     past 64 MiB (json.c);
 *   - counts past 64 bits, or that do not add up: histograms against their counts, failure
 *     classes against the failures, scenarios against the totals (json.c);
 *   - the same run twice (every report carries its run id and the ids of the runs it adds up;
 *     a report written before ids is known by a hash of its text);
 *   - reports of different targets or suites, whose latencies mean different things, unless
 *     --force says the mix is meant;
 *   - sums that would overflow.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static const char *why(int rc)
{
    switch (rc) {
    case -EINVAL:
    case -ENOTSUP:
    case -ERANGE:
    case -EBADMSG:
    case -EFBIG:
        return mob__json_why();
    default:
        return mob_strerror(rc);
    }
}

int mob__merge_files(const char *const *files, int n, int force, const char *who,
                     mob_result **out)
{
    mob_result *all = NULL;
    *out = NULL;
    for (int i = 0; i < n; i++) {
        mob_result *r;
        int rc = mob_result_read_json(files[i], &r);
        if (rc < 0) {
            fprintf(stderr, "%s: %s: %s\n", who, files[i], why(rc));
            goto fail;
        }
        if (!all) {
            all = r;
            continue;
        }
        const char *what = strcmp(all->target, r->target) != 0  ? "target"
                           : strcmp(all->suite, r->suite) != 0 ? "suite"
                                                               : NULL;
        if (what && !force) {
            fprintf(stderr, "%s: %s: its %s '%s' is not %s's '%s' (--force merges them anyway)\n",
                    who, files[i], what, what[0] == 't' ? r->target : r->suite, files[0],
                    what[0] == 't' ? all->target : all->suite);
            mob_result_free(r);
            goto fail;
        }
        rc = mob_result_merge(all, r);
        if (rc == -EEXIST)
            fprintf(stderr, "%s: %s: a run it holds is counted already (the same run twice)\n",
                    who, files[i]);
        else if (rc == -EOVERFLOW)
            fprintf(stderr, "%s: %s: the merged counts would not fit 64 bits\n", who, files[i]);
        else if (rc < 0)
            fprintf(stderr, "%s: %s\n", who, mob_strerror(rc));
        mob_result_free(r);
        if (rc < 0)
            goto fail;
    }
    if (n > 1) { /* a new report: its own id, the runs it adds up listed */
        char id[MOB__RUN_ID_LEN];
        mob__run_id_new(id);
        memcpy(all->run_id, id, sizeof id);
    }
    *out = all;
    return 0;
fail:
    mob_result_free(all);
    return -1;
}

int mob__cli_merge(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, force = 0, nfiles = 0;
    const char **files = MOB_CALLOC((size_t)argc, sizeof *files);
    if (!files)
        return 1;
    int code = MOB__EXIT_USAGE;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = mob__cli_flag_value(argc, argv, &i, NULL, "--json", &missing))) {
            out = v;
        } else if (missing) {
            mob__cli_usage_error("%s needs a file name", argv[i]);
            goto done;
        } else if (mob__cli_is_flag(argv[i], "-q", "--quiet")) {
            quiet = 1;
        } else if (mob__cli_is_flag(argv[i], NULL, "--force")) {
            force = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            mob__cli_usage_error("unknown option '%s' for merge", argv[i]);
            goto done;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (!nfiles) {
        mob__cli_usage_error("%s", "merge needs at least one result file");
        goto done;
    }
    int rc = out ? mob_outfile_check(out) : 0;
    if (rc < 0) {
        fprintf(stderr, "mob merge: cannot write %s: %s\n", out, mob_strerror(rc));
        goto done;
    }
    mob_result *all;
    if (mob__merge_files(files, nfiles, force, "mob merge", &all) < 0)
        goto done;
    code = 0;
    if (!quiet)
        mob_result_print(all, stdout);
    if (out && (rc = mob_result_write_json(all, out)) < 0) {
        fprintf(stderr, "mob merge: cannot write %s: %s\n", out, mob_strerror(rc));
        code = 1;
    }
    mob_result_free(all);
done:
    MOB_FREE(files);
    return code;
}
