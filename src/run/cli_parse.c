/* SPDX-License-Identifier: MIT */
/*
 * cli_parse.c: the flags of the `mob` command, into a mob_options. Flags follow molotov where
 * it has them (-w -d -p -r -x -f -q -v -s), wrk's -c is an alias of -w, and -R is wrk2's
 * rate. Values take human units (cli_units.c). A bad flag or value prints one clear line and
 * the usage hint; the caller exits 2. To add a flag: a line in usage_text and a branch in
 * mob__cli_parse; checks that involve several flags go in cli.c (validate).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SPAN (365 * 86400 * MOB_NS_PER_SEC) /* the longest -d, --timeout, ... */

static const char usage_text[] =
    "usage: mob [options] TARGET... TARGET: http[s]://HOST[:PORT]/PATH | tcp://H:P |\n"
    "                                 ws[s]://HOST[:PORT]/PATH | arena://H:P | ./x.so | ./x.c\n"
    "       mob merge FILE.json... [--json OUT]   mob report FILE.json... [--html OUT] [--csv P]\n"
    "       mob view [HOST:]PORT [--token T] [--json OUT] [--html OUT] [--expect N]\n"
    "\n"
    "  -w, -c, --workers N    bots per process (default 10)\n"
    "  -d, --duration T       run time, one global deadline (default 10s; 30s, 1h30m; 0: none)\n"
    "  -r, --max-runs N       runs per bot, then it stops\n"
    "  -p, --processes N      fork N processes, each with -w bots (results merged exactly)\n"
    "  -R, --rate N           runs per second for the whole run (open model; 10k)\n"
    "      --ramp-up T, --delay T  start the bots evenly over T; think time after every run\n"
    "      --stages SPEC      DUR:BOTS[:SPAWN_PER_S],... e.g. 10s:100:20,30s:100,10s:0\n"
    "      --timeout T        per-run timeout, default 10s (failures of class timeout)\n"
    "      --sizing           ramp up until 5% of a minute's runs fail (see --help sizing)\n"
    "      --force-shutdown   at the end, cut runs in flight (default: they finish)\n"
    "  -x, --exception        stop on the first failure   -f, --fail N  exit 1 at N failures\n"
    "  -s, --single-mode NAME run only scenario NAME    --single-run  each scenario once\n"
    "      --seed N           seed of the picks (replayable)  --stack N  bytes per bot (64Ki)\n"
    "      --start-at T       start at unix time T (seconds) or +DURATION: line up machines\n"
    "      --threshold EXPR   pass/fail gate, repeatable: p99<200ms, failures<1%, rps>5k\n"
    "      --kind NAME=W      weight of a kind of bot (0: none; see --help kinds)  --show-kinds\n"

    "      --json F, --html F, --csv PREFIX  report: all of it; HTML with charts; Locust CSV\n"
    "      --hgrm F, --latency  latency distribution (HdrHistogram text) to F; to stdout\n"
    "      --dashboard [HOST:]PORT  live page, /metrics   --report-to HOST:PORT  to mob view\n"
    "      --token T, --statsd udp://H:P, --index I/N (machine I of N: unique bot ids)\n"
    "  -q, --quiet  print nothing   -v, --verbose  say more   --no-live  no progress line\n"
    "      --config FILE NAME molotov.json's named run NAME (the command line overrides it)\n"
    "  -h, --help [TOPIC]     this, or: http (https, requests), thresholds, kinds, sizing\n"
    "Exit: 0 ok; 1 failures/cut runs past -f or -x, a bot setup failed, a -p child lost, nothing\n"
    "  succeeded, --sizing not reached; 2 usage or set-up error, before any load; 128+N: signal N\n";

/* mob --help http: what the built-in protocol suites take. */
static const char help_http[] =
    "http://, https://, tcp://, ws://, wss://: what the built-in bots send\n"
    "\n"
    "  -m, --method M         the request method (default GET)\n"
    "  -H, --header 'N: V'    a header field, repeatable (Host replaces the URL's)\n"
    "      --body TEXT|@FILE  the request body (Content-Length is set)\n"
    "      --connection close a new connection (and TLS handshake) for every request\n"
    "                         (ws[s]://: a new WebSocket for every run)\n"
    "      --expect-status L  statuses that pass, e.g. 200,204 or 2xx or 200-299; any other\n"
    "                         fails as class check (and a listed status >= 400 passes)\n"
    "      --expect-body TEXT the body must contain TEXT in its first 16 KiB (else: check)\n"
    "      --cacert FILE      https://, wss://: trust the CAs in FILE (PEM), not the system's\n"
    "      --insecure         https://, wss://: check neither the certificate nor its name\n"
    "      --buffer N         http(s):// read buffer: the largest response head (default 512)\n"
    "      --size N           payload bytes of tcp:// and ws[s]:// echoes (default 64)\n"
    "  -vv                    print each request and response: line, fields, body (1 KiB,\n"
    "                         escaped), as molotov does; 20 exchanges a second at most\n"
    "\n"
    "https:// and wss:// verify the server's certificate against the system store (or\n"
    "--cacert) and its name, send SNI, offer ALPN http/1.1 and resume the bot's last session on\n"
    "reconnect. A failed handshake is a failure of class tls, with the reason in the summary.\n";

/* mob --help thresholds */
static const char help_thresholds[] =
    "--threshold '[SCENARIO:]METRIC OP VALUE[,abort]'   (k6's thresholds; repeatable)\n"
    "\n"
    "  METRIC  p50 p95 p99 p99.9 (also p(95), med), mean (avg), min, max: latency of the\n"
    "          successful runs; a bare VALUE is in ms (200 = 200ms), units as -d (1.5s)\n"
    "          failures: with %, the share of the runs counted; without, a count\n"
    "          rps: runs counted per second of the run (5000, 5k)\n"
    "  OP      <  <=  >  >=\n"
    "  SCENARIO  only that scenario's numbers (login:p99<50ms)\n"
    "  ,abort  stop the run as soon as the threshold is crossed (--threshold-abort: all)\n"
    "\n"
    "The summary and the JSON report show each threshold, its value and pass or FAIL; one\n"
    "that fails makes the exit code 1. Examples:\n"
    "  mob https://host/ -d 1m --threshold p99<200ms --threshold 'failures<1%'\n"
    "  mob ./game.so --threshold login:p95<=50ms --threshold 'rps>5000,abort'\n";

/* mob --help kinds */
static const char help_kinds[] =
    "Kinds of bot (aiotest's user classes): several in one run, each with its own weight,\n"
    "scenarios, setup and state. A suite in C lists them (mob_kind, mob_run.h); on the command\n"
    "line each target is a kind with its own built-in suite, named by its scheme; the second\n"
    "target of a scheme is scheme2, and so on (http, http2, https):\n"
    "\n"
    "  mob http://127.0.0.1:8080/ ws://127.0.0.1:9000/ --kind http=3 --kind ws=1 -w 100\n"
    "  mob http://127.0.0.1:8080/login http://127.0.0.1:8080/browse --kind http2=4 -w 50\n"
    "  mob arena://127.0.0.1:7000 http://127.0.0.1:8080/ --kind arena=3 --kind http=1\n"
    "\n"
    "  --kind NAME=WEIGHT  reweights a kind (repeatable); 0 leaves it out\n"
    "  --show-kinds        prints each kind, its weight and its bots, then exits\n"
    "\n"
    "N bots in the whole run (-w, or the largest stage, times -p and --index N) are split as\n"
    "aiotest does: round(N * weight / sum of weights), then fixed by the residuals (1:1 over 10\n"
    "is 5/5, 1:2 over 10 is 3/7, 1:2 over 1 gives the weight-2 kind). Bots keep their kind\n"
    "by id; those that start first (ramp-up, stages) follow the split of their own number.\n"
    "Reports name a kind's scenarios KIND/SCENARIO (http/get) and list the bots per kind.\n"
    "Arena players fill rooms in order of their index among the arena kind's bots, as they\n"
    "would alone; one arena:// or arena+ws:// target per run.\n";

/* mob --help sizing */
static const char help_sizing[] =
    "--sizing [--sizing-tolerance PCT] [--sizing-window T]   (molotov's auto-sizing)\n"
    "\n"
    "  The bots ramp up (-w, default 500; --ramp-up, default 5m) while the failed share of\n"
    "  the runs in a sliding window is watched, at every run, over all processes. Once the\n"
    "  window holds 100 runs and more than PCT percent of them failed, the run ends as at -d,\n"
    "  and the report says \"Sizing is over! Error Ratio X % obtained with N workers\".\n"
    "  --sizing-tolerance PCT  0 to under 100 (default 5)\n"
    "  --sizing-window T       1s to 1h, whole seconds (default 1m; mob's, molotov has 1m)\n"
    "  Without -d the run lasts the ramp plus one window. A run that ends without crossing\n"
    "  says \"Sizing not reached\" and exits 1. The live line ends with the window as it\n"
    "  stands (\"sizing 3.21% / 5% over 60s\"); mob merge and mob view of --index machines\n"
    "  give their sum one verdict. Example:\n"
    "  mob http://127.0.0.1:8080/ --sizing -w 200 --ramp-up 2m --sizing-tolerance 1\n";

/* Prints the help of `topic` (NULL: the main one). Returns 0, or 2 for an unknown topic. */
static int print_help(const char *topic)
{
    static const struct {
        const char *name, *text;
    } topics[] = {{"http", help_http},
                  {"thresholds", help_thresholds},
                  {"kinds", help_kinds},
                  {"sizing", help_sizing}};
    if (!topic) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        if (strcmp(topic, topics[i].name) == 0) {
            fputs(topics[i].text, stdout);
            return 0;
        }
    }
    mob__cli_usage_error("no help topic '%s' (topics: http, thresholds, kinds, sizing)", topic);
    return MOB__EXIT_USAGE;
}

void mob__cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "mob: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'mob --help' for more information.\n");
}

const char *mob__cli_flag_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
                                int *missing)
{
    const char *a = argv[*i];
    size_t sl = shrt ? strlen(shrt) : 0, ll = strlen(lng);
    const char *v = NULL;
    if (strncmp(a, lng, ll) == 0 && (a[ll] == '=' || a[ll] == 0)) {
        v = a[ll] == '=' ? a + ll + 1 : NULL;
    } else if (shrt && strncmp(a, shrt, sl) == 0) {
        v = a[sl] ? a + sl : NULL;
    } else {
        return NULL;
    }
    if (!v) {
        if (*i + 1 >= argc) {
            *missing = 1;
            return NULL;
        }
        v = argv[++*i];
    }
    return v;
}

int mob__cli_is_flag(const char *a, const char *shrt, const char *lng)
{
    return (shrt && strcmp(a, shrt) == 0) || strcmp(a, lng) == 0;
}

int mob__cli_parse(int argc, char **argv, struct mob__cli *cli)
{
    mob_options *o = &cli->o;
    memset(cli, 0, sizeof *cli);
    mob_options_init(o);
    /* A server that never answers must show up as failures, not as a quiet run with nothing
     * counted: the command gives every run 10 s unless told otherwise (wrk gives 2 s). */
    o->timeout_ns = 10 * MOB_NS_PER_SEC;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") != 0)
            continue;
        /* molotov's named runs: the file's flags first, so the command line overrides them */
        char **cargv;
        int cargc;
        if (i + 2 >= argc) {
            mob__cli_usage_error("%s", "--config needs a file and a run name (molotov.json test)");
            return MOB__EXIT_USAGE;
        }
        if (mob__cli_config(argv[i + 1], argv[i + 2], &cargv, &cargc) < 0)
            return MOB__EXIT_USAGE;
        static char **nargv; /* for the life of the process, as argv is */
        MOB_FREE(nargv);
        nargv = MOB_CALLOC((size_t)(argc + cargc), sizeof *nargv);
        if (!nargv)
            return 1;
        int n = 0;
        nargv[n++] = argv[0];
        for (int k = 0; k < cargc; k++)
            nargv[n++] = cargv[k];
        for (int k = 1; k < argc; k++)
            if (k < i || k > i + 2)
                nargv[n++] = argv[k];
        argv = nargv;
        argc = n;
        break;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        int64_t n;
        double d;
#define VAL(shrt, lng) MOB__CLI_VAL(&i, shrt, lng)
#define BAD(what) MOB__CLI_BAD(what)
        int w = mob__cli_watch_flag(argc, argv, &i, o);
        if (w < 0)
            w = mob__cli_http_flag(argc, argv, &i, &cli->args);
        if (w < 0)
            w = mob__cli_kind_flag(argc, argv, &i, cli);
        if (w >= 0) {
            if (w > 0)
                return w;
            continue;
        }
        if (mob__cli_is_flag(a, "-h", "--help")) {
            return print_help(i + 1 < argc && argv[i + 1][0] != '-' &&
                                      !strstr(argv[i + 1], "://") && !strchr(argv[i + 1], '/')
                                  ? argv[i + 1]
                                  : NULL);
        } else if (mob__cli_is_flag(a, NULL, "--version")) {
            printf("mob %s\n", mob_version());
            return 0;
        } else if (a[0] == '-' && a[1] && a[1] != '-' && a[2] &&
                   strspn(a + 1, "qxv") == strlen(a + 1)) {
            /* molotov's bundled short flags: -qx, -vv, -xv */
            for (const char *c = a + 1; *c; c++) {
                if (*c == 'q')
                    o->quiet = 1;
                else if (*c == 'x')
                    o->stop_on_failure = 1;
                else
                    o->verbose++;
            }
        } else if (mob__cli_is_flag(a, "-x", "--exception")) {
            o->stop_on_failure = 1;
        } else if (mob__cli_is_flag(a, "-q", "--quiet")) {
            o->quiet = 1;
        } else if (mob__cli_is_flag(a, "-v", "--verbose")) {
            o->verbose++;
        } else if (mob__cli_is_flag(a, NULL, "--single-run")) {
            o->single_run = 1;
        } else if (mob__cli_is_flag(a, NULL, "--latency")) {
            o->latency = 1;
        } else if (mob__cli_is_flag(a, NULL, "--no-live")) {
            o->live = 0;
        } else if (mob__cli_is_flag(a, NULL, "--force-shutdown")) {
            o->force_shutdown = 1;
        } else if (mob__cli_is_flag(a, NULL, "--threshold-abort")) {
            o->threshold_abort = 1;
        } else if (VAL(NULL, "--threshold")) {
            if (!v || o->nthresholds == MOB_MAX_THRESHOLDS ||
                mob_threshold_parse(v, &o->thresholds[o->nthresholds]) < 0)
                BAD("--threshold (like p99<200ms, failures<1%, rps>5000, login:p95<=50ms; "
                    "see mob --help thresholds)");
            o->nthresholds++;
        } else if (mob__cli_is_flag(a, NULL, "--insecure")) {
            cli->args.insecure = 1;
        } else if (VAL(NULL, "--cacert")) {
            if (!v || !*v)
                BAD("--cacert");
            cli->args.cacert = v;
        } else if (VAL("-w", "--workers") || (!v && VAL("-c", "--connections"))) {
            if (!v || mob__cli_parse_int64(v, 1, 10000000, &n) < 0)
                BAD("bots (-w): a whole number from 1 to 10M");
            o->bots = (int)n;
            cli->bots_set = 1;
        } else if (VAL("-d", "--duration")) {
            if (!v || mob_parse_duration(v, &o->duration_ns) < 0 || o->duration_ns > MAX_SPAN)
                BAD("duration (-d): 0 (none) to 365d, like 30s or 1h30m");
            cli->duration_set = 1;
        } else if (VAL("-r", "--max-runs")) {
            if (!v || mob__cli_parse_int64(v, 1, (int64_t)1 << 53, &n) < 0)
                BAD("max runs (-r): a whole number from 1 to 2^53");
            o->max_runs = n;
        } else if (VAL("-p", "--processes")) {
            if (!v || mob__cli_parse_int64(v, 1, 1024, &n) < 0)
                BAD("processes (-p): 1 to 1024");
            o->processes = (int)n;
        } else if (VAL("-R", "--rate")) {
            if (!v || mob_parse_count(v, &d) < 0 || d <= 0 || d > 1e9)
                BAD("rate (-R): runs per second, above 0 and up to 1G");
            o->rate = d;
        } else if (VAL(NULL, "--ramp-up")) {
            if (!v || mob_parse_duration(v, &o->ramp_up_ns) < 0 || o->ramp_up_ns > MAX_SPAN)
                BAD("--ramp-up: 0 to 365d");
            cli->ramp_set = 1;
        } else if (mob__cli_is_flag(a, NULL, "--sizing")) {
            o->sizing = 1;
        } else if (VAL(NULL, "--sizing-tolerance")) {
            char *e;
            if (!v || !*v || (d = strtod(v, &e), *e) || !(d >= 0 && d < 100))
                BAD("--sizing-tolerance: a percentage from 0 to under 100, like 5 or 2.5");
            o->sizing_tolerance = d;
        } else if (VAL(NULL, "--sizing-window")) {
            if (!v || mob_parse_duration(v, &o->sizing_window_ns) < 0 ||
                o->sizing_window_ns < MOB_NS_PER_SEC || o->sizing_window_ns > 3600 * MOB_NS_PER_SEC)
                BAD("--sizing-window: 1s to 1h, like 30s or 1m");
        } else if (VAL(NULL, "--stages")) {
            if (!v || mob__cli_parse_stages(v, o) < 0)
                BAD("--stages (DUR:BOTS[:RATE],... with up to 32 stages, DUR over 0 and up to "
                    "365d, BOTS 0 to 1M)");
        } else if (VAL(NULL, "--delay")) {
            if (!v || mob_parse_duration(v, &o->delay_ns) < 0 || o->delay_ns > MAX_SPAN)
                BAD("--delay: 0 to 365d");
        } else if (VAL(NULL, "--timeout")) {
            if (!v || mob_parse_duration(v, &o->timeout_ns) < 0 || o->timeout_ns == 0 ||
                o->timeout_ns > MAX_SPAN)
                BAD("--timeout: above 0 and up to 365d");
        } else if (VAL("-f", "--fail")) {
            if (!v || mob__cli_parse_int64(v, 1, (int64_t)1 << 53, &n) < 0)
                BAD("failure threshold (-f): a whole number from 1 to 2^53");
            o->fail_threshold = n;
        } else if (VAL("-s", "--single-mode")) {
            if (!v || !*v)
                BAD("-s");
            o->single = v;
        } else if (VAL(NULL, "--seed")) {
            char *e;
            if (!v || !*v || (o->seed = strtoull(v, &e, 0), *e) || o->seed == 0)
                BAD("--seed: a nonzero integer below 2^64");
        } else if (VAL(NULL, "--size")) {
            if (!v || mob__cli_parse_int64(v, 1, 64 << 20, &n) < 0)
                BAD("--size: 1 to 64Mi bytes");
            cli->args.payload_size = (size_t)n;
        } else if (VAL(NULL, "--start-at")) {
            if (!v || mob__cli_parse_start_at(v, &o->start_at_ns) < 0)
                BAD("--start-at: unix seconds within a day from now, or +DURATION");
        } else if (VAL(NULL, "--buffer")) {
            if (!v || mob__cli_parse_int64(v, 256, 1 << 20, &n) < 0)
                BAD("--buffer (256 to 1Mi)");
            cli->args.buffer_size = (size_t)n;
        } else if (VAL(NULL, "--stack")) {
            if (!v || mob__cli_parse_int64(v, 4096, 64 << 20, &n) < 0)
                BAD("--stack: 4Ki to 64Mi bytes");
            o->stack_size = (size_t)n;
        } else if (VAL(NULL, "--json")) {
            if (!v || !*v)
                BAD("--json");
            o->json_path = v;
        } else if (VAL(NULL, "--html")) {
            if (!v || !*v)
                BAD("--html");
            o->html_path = v;
        } else if (VAL(NULL, "--hgrm")) {
            if (!v || !*v)
                BAD("--hgrm");
            o->hgrm_path = v;
        } else if (a[0] == '-' && a[1]) {
            mob__cli_usage_error("unknown option '%s'", a);
            return MOB__EXIT_USAGE;
        } else if (cli->ntargets == MOB__MAX_TARGETS) {
            mob__cli_usage_error("too many targets (16 at most; got '%s')", a);
            return MOB__EXIT_USAGE;
        } else {
            o->target = o->target ? o->target : a;
            cli->targets[cli->ntargets++] = a;
        }
#undef VAL
#undef BAD
    }
    return -1;
}
