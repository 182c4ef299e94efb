/* SPDX-License-Identifier: MIT */
/*
 * vg_suites.c: the built-in suites' ownership under valgrind (the valgrind leg of .ci/run runs
 * it with every leak kind an error). It chooses every scheme and frees it, makes choices that
 * fail half-way, and runs the command: --show-kinds over several targets, a usage error, and
 * one short run of tcp:// bots against a closed port (the run, its global setup and
 * teardown). When it returns, nothing may be left on the heap, not even reachable: a suite
 * kept by the library for the process's life would show. test_suites_free.c weighs the same
 * thing over 10,000 choices.
 * Prints one line and exits non-zero when a choice or a command does not do what it should.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "mob_run.h"
#include "mob_suites.h"

static int failures;

static void choose(const char *target, const mob_suite_args *args, int want)
{
    char err[256] = "";
    const mob_suite *s = mob_builtin_suite(target, args, err, sizeof err);
    if ((s != NULL) != want) {
        printf("FAIL: %s was %s (%s)\n", target, s ? "made" : "refused", err);
        failures++;
    }
    mob_suite_free(s);
}

static void command(int argc, char **argv, int want)
{
    int code = mob_main_ex(argc, argv, NULL, mob_builtin_suite);
    if (code != want) {
        printf("FAIL: mob %s ... exited %d, want %d\n", argv[1], code, want);
        failures++;
    }
}

int main(void)
{
    static const char *const ok[] = {"http://127.0.0.1:1/", "tcp://127.0.0.1:1",
                                     "ws://127.0.0.1:1/", "arena://127.0.0.1:1",
                                     "arena://in-process",
#ifdef MOB_TLS_OPENSSL
                                     "https://127.0.0.1:1/", "wss://127.0.0.1:1/"
#endif
    };
    mob_suite_args plain = {.method = "POST", .body = "x", .body_len = 1};
    mob_suite_args big = {.payload_size = 1 << 20};
    mob_suite_args nocert = {.cacert = "/nonexistent/ca.pem"};
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            choose(ok[i], &plain, 1);
        choose("ws://127.0.0.1:1/", &big, 0);
        choose("https://127.0.0.1:1/", &nocert, 0);
        choose("wss://127.0.0.1:1/", &nocert, 0);
    }
    int out = dup(1), null = open("/dev/null", O_WRONLY);
    fflush(stdout);
    dup2(null, 1);
    char *show[] = {"mob", "--show-kinds", "--kind", "ws=2", "http://127.0.0.1:1/",
                    "tcp://127.0.0.1:1", "ws://127.0.0.1:1/", NULL};
    command(7, show, 0);
    char *refused[] = {"mob", "-s", "nosuch", "ws://127.0.0.1:1/", NULL};
    command(4, refused, 2);
    char *run[] = {"mob", "-q", "-w", "2", "-r", "1", "tcp://127.0.0.1:1", NULL};
    command(7, run, 1); /* nothing listens: every run fails to connect */
    fflush(stdout);
    dup2(out, 1);
    close(out);
    close(null);
    printf("vg_suites: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
