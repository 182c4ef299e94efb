/* SPDX-License-Identifier: MIT */
/*
 * view.c: `mob view [HOST:]PORT`: a viewer for many processes and machines. It listens on one
 * port for both people (the live page, /metrics, /report.json: dash.c) and reporters
 * (`mob ... --report-to HOST:PORT`, whose streams the hub sums: hub.c). It runs until Ctrl-C,
 * until --expect N reporters have ended, or for --for T; then it writes the merged report:
 * the exact merge (`mob merge`'s) of the final reports the reporters sent. A reporter that
 * never sent one (it lost the viewer at the end) is named, and its numbers are missing from
 * the merge but not from its own JSON file. Beyond loopback it needs --token. Its exit status
 * is the merged run's, with the reporters' -f and -x (their thresholds are not carried).
 *
 * Read next: src/run/hub.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "watch.h"

struct view {
    const char *host;
    int port;
    const char *token, *json, *html, *csv;
    int expect, quiet;
    int64_t for_ns;
    struct mob__hub *hub;
    int rc;
};

static int view_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "mob view: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: mob view [HOST:]PORT [--token T] [--json OUT] [--html OUT] "
                    "[--csv PREFIX] [--expect N] [--for T] [-q]\n");
    return MOB__EXIT_USAGE;
}

static intptr_t view_main(mob_bot *self, void *arg)
{
    struct view *v = arg;
    mob_loop *loop = mob_bot_loop(self);
    struct mob__dash *dash;
    v->rc = mob__dash_start(loop, v->hub, v->host, v->port, v->token, 1, NULL, NULL, &dash);
    if (v->rc < 0)
        return 0;
    fprintf(stderr, "mob view: http://%s:%d/%s%s (reporters: --report-to %s:%d)\n", v->host,
            mob__dash_port(dash), v->token ? "?token=" : "", v->token ? v->token : "", v->host,
            mob__dash_port(dash));
    int64_t start = mob_now(loop), next = start + MOB_NS_PER_SEC;
    for (;;) {
        if (mob_sleep_until(self, next) < 0)
            break;
        next += MOB_NS_PER_SEC;
        mob__hub_tick(v->hub);
        int sources, done;
        mob__hub_counts(v->hub, &sources, &done);
        if (!v->quiet) {
            uint64_t zok, zfail;
            char z[96];
            int sizing = mob__hub_sizing(v->hub, &zok, &zfail, z, sizeof z);
            fprintf(stderr, "mob view: %d reporter%s, %d done, stalest %.2f s ago%s%s\n",
                    sources, sources == 1 ? "" : "s", done, mob__hub_lag(v->hub),
                    sizing ? " | " : "", sizing ? z : "");
        }
        if (mob__stop_signal || (v->expect > 0 && done >= v->expect) ||
            (v->for_ns > 0 && mob_now(loop) - start >= v->for_ns))
            break;
    }
    mob__hub_set_done(v->hub);
    mob__hub_tick(v->hub);
    mob__dash_flush(dash, self, mob_now(loop) + MOB_NS_PER_SEC);
    mob__dash_stop(dash, self);
    return 0;
}

static int view_output(struct view *v)
{
    const mob_result *fin = mob__hub_final(v->hub);
    mob_result *live = NULL;
    int rc = 0;
    if (!fin) {
        fprintf(stderr, "mob view: no reporter sent its final report; writing the live sums\n");
        fin = live = mob__hub_result(v->hub);
        if (!fin)
            return 1;
    }
    mob__hub_missing_finals(v->hub, stderr);
    /* The merged run's status, as mob gives its own: the reporters' -f and -x applied to the
     * sum, so a CI job can wait on the viewer alone (and the HTML report shows it). */
    mob_options gates = {0};
    mob__hub_gates(v->hub, &gates);
    int code = mob_result_exit_code(fin, &gates);
    if (!v->quiet)
        mob_result_print(fin, stdout);
    if (v->json && mob_result_write_json(fin, v->json) < 0) {
        fprintf(stderr, "mob view: cannot write %s\n", v->json);
        rc = 1;
    }
    if (v->html && mob_result_write_html(fin, v->html, code) < 0) {
        fprintf(stderr, "mob view: cannot write %s\n", v->html);
        rc = 1;
    }
    if (v->csv && mob_result_write_csv(fin, v->csv) < 0) {
        fprintf(stderr, "mob view: cannot write %s_*.csv\n", v->csv);
        rc = 1;
    }
    mob_result_free(live);
    return code ? code : rc;
}

int mob__view_main(int argc, char **argv)
{
    struct view v = {0};
    char host[256] = "";
    const char *where = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = strcmp(a, "--token") == 0  ? &v.token
                           : strcmp(a, "--json") == 0 ? &v.json
                           : strcmp(a, "--html") == 0 ? &v.html
                           : strcmp(a, "--csv") == 0  ? &v.csv
                                                      : NULL;
        int is_num = strcmp(a, "--expect") == 0 || strcmp(a, "--for") == 0;
        if ((dst || is_num) && (i + 1 >= argc || !argv[i + 1][0]))
            return view_usage("%s needs a value", a);
        if (dst) {
            *dst = argv[++i];
        } else if (strcmp(a, "--expect") == 0) {
            if (mob_parse_int(argv[++i], 1, 1 << 20, &v.expect) < 0)
                return view_usage("bad value '%s' for --expect", argv[i]);
        } else if (strcmp(a, "--for") == 0) {
            if (mob_parse_duration(argv[++i], &v.for_ns) < 0 || v.for_ns <= 0)
                return view_usage("bad value '%s' for --for", argv[i]);
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            v.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return view_usage("unknown option '%s'", a);
        } else if (where) {
            return view_usage("one address only (got another: '%s')", a);
        } else {
            where = a;
        }
    }
    if (!where)
        return view_usage("%s", "needs [HOST:]PORT to listen on");
    if (mob__parse_hostport(where, host, sizeof host, &v.port) < 0)
        return view_usage("bad address '%s'", where);
    if (!mob__host_is_loopback(host) && !v.token)
        return view_usage("listening on %s (beyond loopback) needs --token", host);
    v.host = host;
    v.hub = mob__hub_new("mob view", v.token);
    mob_loop *loop = mob_loop_new(NULL);
    if (!v.hub || !loop || !mob_spawn(loop, view_main, &v)) {
        fprintf(stderr, "mob view: out of memory\n");
        mob__hub_free(v.hub);
        if (loop)
            mob_loop_free(loop);
        return 1;
    }
    mob__signals_install();
    mob_loop_run(loop);
    mob__signals_restore();
    mob_loop_free(loop);
    int rc = 1;
    if (v.rc < 0)
        fprintf(stderr, "mob view: cannot listen on %s:%d: %s\n", host, v.port,
                mob_strerror(v.rc));
    else
        rc = view_output(&v);
    mob__hub_free(v.hub);
    fflush(stdout);
    return rc;
}
