/* SPDX-License-Identifier: MIT */
/*
 * cli.c: the `mob` command line, for the mob tool and for any program that links the library
 * and calls mob_main(argc, argv, &suite). Flags follow molotov where it has them (-w -d -p -r
 * -x -f -q -v -s), wrk's -c is an alias of -w, and -R is wrk2's rate. Values take human units
 * (30s, 1h30m, 10k). A bad flag or value prints one clear line and the usage hint, and exits 2.
 * `mob merge a.json b.json ...` merges result files exactly.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: mob [options] TARGET    TARGET: http://HOST:PORT/PATH | tcp://HOST:PORT |\n"
    "                                       ws://HOST:PORT/PATH | arena://HOST:PORT | ./x.so\n"
    "       mob merge [--json OUT] FILE.json...\n"
    "\n"
    "  -w, -c, --workers N    bots per process (default 10)\n"
    "  -d, --duration T       run time, one global deadline (default 10s; 30s, 1h30m; 0: none)\n"
    "  -r, --max-runs N       runs per bot, then it stops\n"
    "  -p, --processes N      fork N processes, each with -w bots (results merged exactly)\n"
    "  -R, --rate N           runs per second for the whole run (open model; 10k)\n"
    "      --ramp-up T        start the bots evenly over T\n"
    "      --stages SPEC      DUR:BOTS[:SPAWN_PER_S],... e.g. 10s:100:20,30s:100,10s:0\n"
    "      --delay T          think time after every run\n"
    "      --timeout T        per-run timeout, default 10s (failures of class timeout)\n"
    "  -x, --exception        stop on the first failure (exit 1)\n"
    "  -f, --fail N           exit 1 when failures >= N\n"
    "  -s, --single-mode NAME run only scenario NAME\n"
    "      --single-run       every bot runs every scenario once\n"
    "      --seed N           seed of the scenario picks (reproducible runs)\n"
    "      --start-at T       start at unix time T (seconds) or +DURATION: line up machines\n"
    "      --size N           payload bytes of tcp:// and ws:// echoes (default 64)\n"
    "      --buffer N         http:// read buffer: the largest response head (default 512)\n"
    "      --stack N          stack bytes per bot (default 64Ki; pages are touched on use)\n"
    "      --json FILE        write the full report (histograms included) to FILE\n"
    "      --hgrm FILE        write the latency distribution, HdrHistogram text format\n"
    "      --latency          print that distribution after the summary\n"
    "      --no-live          no live line (default: redrawn on a terminal, else plain lines)\n"
    "  -q, --quiet            print nothing        -v, --verbose   say more\n"
    "  -h, --help             this text             --version      the version\n"
    "Exit codes: 0 ok, 1 failures past -f (or -x fired), 2 usage error.\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "mob: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'mob --help' for more information.\n");
}

int mob_parse_duration(const char *s, int64_t *ns)
{
    if (!s || !*s)
        return -EINVAL;
    double total = 0;
    const char *p = s;
    while (*p) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || !(v >= 0) || isinf(v))
            return -EINVAL;
        p = e;
        double unit;
        if (*p == 0 && p == e && total == 0 && e != s) {
            unit = 1e9; /* a bare number is seconds */
        } else if (strncmp(p, "ns", 2) == 0) {
            unit = 1, p += 2;
        } else if (strncmp(p, "us", 2) == 0) {
            unit = 1e3, p += 2;
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = 1e6, p += 2;
        } else if (*p == 's') {
            unit = 1e9, p++;
        } else if (*p == 'm') {
            unit = 60e9, p++;
        } else if (*p == 'h') {
            unit = 3600e9, p++;
        } else if (*p == 'd') {
            unit = 86400e9, p++;
        } else {
            return -EINVAL;
        }
        total += v * unit;
    }
    if (total > 9.2e18)
        return -EINVAL;
    *ns = (int64_t)total;
    return 0;
}

int mob_parse_count(const char *s, double *out)
{
    if (!s || !*s)
        return -EINVAL;
    char *e;
    double v = strtod(s, &e);
    if (e == s || !(v >= 0) || isinf(v))
        return -EINVAL;
    double m = 1;
    if (*e == 'k' || *e == 'K')
        m = 1e3, e++;
    else if (*e == 'M')
        m = 1e6, e++;
    else if (*e == 'G')
        m = 1e9, e++;
    if (*e == 'i' && m > 1) /* Ki, Mi, Gi: powers of 1024 */
        m = m == 1e3 ? 1024.0 : m == 1e6 ? 1048576.0 : 1073741824.0, e++;
    if (*e)
        return -EINVAL;
    *out = v * m;
    return 0;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    double v;
    if (mob_parse_count(s, &v) < 0 || v != floor(v) || v < (double)lo || v > (double)hi)
        return -EINVAL;
    *out = (int64_t)v;
    return 0;
}

int mob_parse_int(const char *s, int lo, int hi, int *out)
{
    int neg = s && s[0] == '-';
    int64_t v;
    if (!s || parse_int(s + neg, 0, (int64_t)1 << 40, &v) < 0)
        return -EINVAL;
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return -ERANGE;
    *out = (int)v;
    return 0;
}

/* "+30s" from now, or seconds since the epoch ("1763780000.5"), as wall-clock ns. */
static int parse_start_at(const char *s, int64_t *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * MOB_NS_PER_SEC + now.tv_nsec, d;
    if (s[0] == '+') {
        if (mob_parse_duration(s + 1, &d) < 0)
            return -EINVAL;
        *out = now_ns + d;
        return 0;
    }
    char *e;
    double secs = strtod(s, &e);
    if (e == s || *e || !(secs > 0) || secs > 4e9)
        return -EINVAL;
    *out = (int64_t)(secs * 1e9);
    if (*out - now_ns > 86400 * MOB_NS_PER_SEC)
        return -EINVAL; /* more than a day ahead is a typo */
    return 0;
}

static int parse_stages(const char *spec, mob_options *o)
{
    char buf[1024];
    if (strlen(spec) >= sizeof buf)
        return -EINVAL;
    strcpy(buf, spec);
    o->nstages = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->nstages == MOB_MAX_STAGES)
            return -EINVAL;
        mob_stage *st = &o->stages[o->nstages];
        char *c1 = strchr(tok, ':');
        if (!c1)
            return -EINVAL;
        *c1++ = 0;
        char *c2 = strchr(c1, ':');
        if (c2)
            *c2++ = 0;
        int64_t bots;
        double rate = 0;
        if (mob_parse_duration(tok, &st->duration_ns) < 0 || st->duration_ns <= 0 ||
            parse_int(c1, 0, 1000000, &bots) < 0 || (c2 && mob_parse_count(c2, &rate) < 0))
            return -EINVAL;
        st->bots = (int)bots;
        st->spawn_rate = rate;
        o->nstages++;
    }
    return o->nstages > 0 ? 0 : -EINVAL;
}

/* Matches argv[*i] against a flag with a value: "-w 10", "-w10", "--workers 10",
 * "--workers=10". Returns the value, NULL when it is another flag; sets *missing when the
 * flag matched but its value is absent. */
static const char *flag_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
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

static int is_flag(const char *a, const char *shrt, const char *lng)
{
    return (shrt && strcmp(a, shrt) == 0) || strcmp(a, lng) == 0;
}

static int merge_main(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, nfiles = 0;
    mob_result *all = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = flag_value(argc, argv, &i, NULL, "--json", &missing))) {
            out = v;
            continue;
        }
        if (missing) {
            usage_error("%s needs a file name", argv[i]);
            return EXIT_USAGE;
        }
        if (is_flag(argv[i], "-q", "--quiet")) {
            quiet = 1;
            continue;
        }
        if (argv[i][0] == '-') {
            usage_error("unknown option '%s' for merge", argv[i]);
            return EXIT_USAGE;
        }
        mob_result *r;
        int rc = mob_result_read_json(argv[i], &r);
        if (rc < 0) {
            fprintf(stderr, "mob: %s: %s\n", argv[i],
                    rc == -EINVAL ? "not a mob JSON report" : mob_strerror(rc));
            mob_result_free(all);
            return EXIT_USAGE;
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
        usage_error("%s", "merge needs at least one result file");
        return EXIT_USAGE;
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

static int write_hgrm(const mob_result *r, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        return -errno;
    int rc = mob_hist_write_hgrm(mob_result_latency(r), f, 1e6, 5);
    if (f != stdout && fclose(f) != 0)
        rc = -EIO;
    return rc;
}

int mob_main_ex(int argc, char **argv, const mob_suite *s, mob_suite_chooser builtin)
{
    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc, argv);
    mob_options o;
    mob_options_init(&o);
    /* A server that never answers must show up as failures, not as a quiet run with nothing
     * counted: the command gives every run 10 s unless told otherwise (wrk gives 2 s). */
    o.timeout_ns = 10 * MOB_NS_PER_SEC;
    int duration_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        int64_t n;
        double d;
#define VAL(shrt, lng) ((v = flag_value(argc, argv, &i, shrt, lng, &missing)) || missing)
#define BAD(what)                                                                              \
    do {                                                                                       \
        if (missing)                                                                           \
            usage_error("option '%s' needs a value", a);                                       \
        else                                                                                   \
            usage_error("bad value '%s' for " what, v);                                        \
        return EXIT_USAGE;                                                                     \
    } while (0)
        if (is_flag(a, "-h", "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (is_flag(a, NULL, "--version")) {
            printf("mob %s\n", mob_version());
            return 0;
        } else if (is_flag(a, "-x", "--exception")) {
            o.stop_on_failure = 1;
        } else if (is_flag(a, "-q", "--quiet")) {
            o.quiet = 1;
        } else if (is_flag(a, "-v", "--verbose")) {
            o.verbose++;
        } else if (is_flag(a, NULL, "--single-run")) {
            o.single_run = 1;
        } else if (is_flag(a, NULL, "--latency")) {
            o.latency = 1;
        } else if (is_flag(a, NULL, "--no-live")) {
            o.live = 0;
        } else if (VAL("-w", "--workers") || (!v && VAL("-c", "--connections"))) {
            if (!v || parse_int(v, 1, 10000000, &n) < 0)
                BAD("bots (-w)");
            o.bots = (int)n;
        } else if (VAL("-d", "--duration")) {
            if (!v || mob_parse_duration(v, &o.duration_ns) < 0)
                BAD("duration (-d)");
            duration_set = 1;
        } else if (VAL("-r", "--max-runs")) {
            if (!v || parse_int(v, 1, INT64_MAX / 2, &n) < 0)
                BAD("max runs (-r)");
            o.max_runs = n;
        } else if (VAL("-p", "--processes")) {
            if (!v || parse_int(v, 1, 1024, &n) < 0)
                BAD("processes (-p)");
            o.processes = (int)n;
        } else if (VAL("-R", "--rate")) {
            if (!v || mob_parse_count(v, &d) < 0 || d <= 0)
                BAD("rate (-R)");
            o.rate = d;
        } else if (VAL(NULL, "--ramp-up")) {
            if (!v || mob_parse_duration(v, &o.ramp_up_ns) < 0)
                BAD("--ramp-up");
        } else if (VAL(NULL, "--stages")) {
            if (!v || parse_stages(v, &o) < 0)
                BAD("--stages (DUR:BOTS[:RATE],...)");
        } else if (VAL(NULL, "--delay")) {
            if (!v || mob_parse_duration(v, &o.delay_ns) < 0)
                BAD("--delay");
        } else if (VAL(NULL, "--timeout")) {
            if (!v || mob_parse_duration(v, &o.timeout_ns) < 0 || o.timeout_ns == 0)
                BAD("--timeout");
        } else if (VAL("-f", "--fail")) {
            if (!v || parse_int(v, 1, INT64_MAX / 2, &n) < 0)
                BAD("failure threshold (-f)");
            o.fail_threshold = n;
        } else if (VAL("-s", "--single-mode")) {
            if (!v || !*v)
                BAD("-s");
            o.single = v;
        } else if (VAL(NULL, "--seed")) {
            char *e;
            if (!v || !*v || (o.seed = strtoull(v, &e, 0), *e) || o.seed == 0)
                BAD("--seed (a nonzero integer)");
        } else if (VAL(NULL, "--size")) {
            if (!v || parse_int(v, 1, 64 << 20, &n) < 0)
                BAD("--size");
            o.payload_size = (size_t)n;
        } else if (VAL(NULL, "--start-at")) {
            if (!v || parse_start_at(v, &o.start_at_ns) < 0)
                BAD("--start-at (unix seconds, or +30s)");
        } else if (VAL(NULL, "--buffer")) {
            if (!v || parse_int(v, 256, 1 << 20, &n) < 0)
                BAD("--buffer (256 to 1Mi)");
            o.buffer_size = (size_t)n;
        } else if (VAL(NULL, "--stack")) {
            if (!v || parse_int(v, 4096, 64 << 20, &n) < 0)
                BAD("--stack");
            o.stack_size = (size_t)n;
        } else if (VAL(NULL, "--json")) {
            if (!v || !*v)
                BAD("--json");
            o.json_path = v;
        } else if (VAL(NULL, "--hgrm")) {
            if (!v || !*v)
                BAD("--hgrm");
            o.hgrm_path = v;
        } else if (a[0] == '-' && a[1]) {
            usage_error("unknown option '%s'", a);
            return EXIT_USAGE;
        } else if (o.target) {
            usage_error("one target only (got another: '%s')", a);
            return EXIT_USAGE;
        } else {
            o.target = a;
        }
#undef VAL
#undef BAD
    }
    if (o.quiet && o.verbose) {
        usage_error("%s", "-q and -v cannot be used together");
        return EXIT_USAGE;
    }
    if (o.single && o.single_run) {
        usage_error("%s", "-s and --single-run cannot be used together");
        return EXIT_USAGE;
    }
    if (o.nstages > 0 && o.rate > 0) {
        usage_error("%s", "--stages and -R cannot be used together");
        return EXIT_USAGE;
    }
    if (o.nstages > 0 && !duration_set)
        o.duration_ns = 0; /* the stages' sum */
    if ((!s || !s->scenarios) && builtin) {
        char err[256] = "";
        if (!o.target) {
            usage_error("%s", "no target (a URL like http://127.0.0.1:8080/ or a .so)");
            return EXIT_USAGE;
        }
        s = builtin(o.target, err, sizeof err);
        if (!s) {
            usage_error("%s", err[0] ? err : "bad target");
            return EXIT_USAGE;
        }
    }
    if (!s || !s->scenarios || !s->scenarios[0].name) {
        usage_error("%s", "no scenario to run");
        return EXIT_USAGE;
    }
    if (o.single) {
        int found = 0;
        for (const mob_scenario *sc = s->scenarios; sc->name; sc++)
            found |= strcmp(sc->name, o.single) == 0;
        if (!found) {
            usage_error("no scenario named '%s' (-s)", o.single);
            return EXIT_USAGE;
        }
    }
    mob_result *r = NULL;
    int rc = mob_run_suite(s, &o, &r);
    if (rc == -EINVAL) {
        usage_error("%s", "bad target or option combination");
        return EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "mob: %s\n",
                rc == -ECANCELED ? "global setup failed" : mob_strerror(rc));
        return 1;
    }
    int code = mob_result_exit_code(r, &o);
    if (!o.quiet) {
        mob_result_print(r, stdout);
        if (o.latency) {
            fputs("\n  Latency distribution (ms)\n", stdout);
            write_hgrm(r, "-");
        }
    }
    if (o.json_path && mob_result_write_json(r, o.json_path) < 0) {
        fprintf(stderr, "mob: cannot write %s\n", o.json_path);
        code = code ? code : 1;
    }
    if (o.hgrm_path && write_hgrm(r, o.hgrm_path) < 0) {
        fprintf(stderr, "mob: cannot write %s\n", o.hgrm_path);
        code = code ? code : 1;
    }
    mob_result_free(r);
    fflush(stdout);
    return code;
}

int mob_main(int argc, char **argv, const mob_suite *s)
{
    return mob_main_ex(argc, argv, s, NULL);
}
