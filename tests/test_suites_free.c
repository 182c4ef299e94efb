/* SPDX-License-Identifier: MIT */
/*
 * test_suites_free.c: who owns a built-in suite (src/suites/builtin.c). Every choice of a
 * target makes a suite of its own (an https:// or wss:// one holds a TLS context); its owner
 * frees it with mob_suite_free, and mob_main_ex frees what its chooser made before it returns.
 * A program that chooses suites in a loop must not grow: the tests choose ten thousand times
 * and weigh the heap (glibc's mallinfo2, which counts OpenSSL's allocations too) before and
 * after. One copy kept per choice would add its size ten thousand times over.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mob_run.h"
#include "mob_suites.h"

#define CHOICES 10000
#define WARM 500 /* choices before the first weighing: OpenSSL's caches fill, then stay */
/* Bytes the heap may grow by over all the choices: malloc's own bookkeeping, far under one
 * copy per choice (an http:// copy alone is over five kilobytes, 10,000 of them 50 MB; an
 * https:// copy that trusts the system store holds its certificates, near a megabyte). */
#define SLACK (256 * 1024)

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* A TLS=0 build refuses https:// and wss:// at the choice. */
static const char *const targets[] = {
    "http://127.0.0.1:1/a", "tcp://127.0.0.1:1", "ws://127.0.0.1:1/echo",
#ifdef MOB_TLS_OPENSSL
    "https://127.0.0.1:1/", "wss://127.0.0.1:1/",
#endif
};
#define NTARGETS (sizeof targets / sizeof targets[0])

/* One choice of target t with args, freed at once; whether it was made. */
static int choose_and_free(const char *t, const mob_suite_args *args)
{
    char err[256];
    const mob_suite *s = mob_builtin_suite(t, args, err, sizeof err);
    mob_suite_free(s);
    return s != NULL;
}

/* Choice i: a TLS context of its own for https:// and wss://, the https:// one of each 500
 * choices loading the system's certificates (20 ms each), the others --insecure (none to
 * load). */
static int choice(int i)
{
    mob_suite_args args = {.method = "POST", .body = "x=1", .body_len = 3};
    args.insecure = i % WARM != 3;
    return choose_and_free(targets[i % NTARGETS], &args);
}

Test(suites_free, choosing_and_freeing_a_suite_ten_thousand_times_does_not_grow, .timeout = 60)
{
    for (int i = 0; i < WARM; i++)
        cr_assert(choice(i), "%s", targets[i % NTARGETS]);
    size_t before = heap_in_use();
    int made = 0;
    for (int i = 0; i < CHOICES; i++)
        made += choice(i);
    size_t after = heap_in_use();
    cr_assert_eq(made, CHOICES);
    cr_assert_lt(after, before + SLACK, "the heap grew by %zu bytes over %d choices",
                 after - before, CHOICES);
}

/* A choice that fails once its copy is made (a --size over the echo's bound; a --cacert that
 * is not there, after the request is built) frees the copy it made. */
Test(suites_free, a_choice_that_fails_half_way_leaves_nothing, .timeout = 60)
{
    mob_suite_args big = {.payload_size = 1 << 20};
    mob_suite_args nocert = {.cacert = "/nonexistent/ca.pem"};
    cr_assert_not(choose_and_free("ws://127.0.0.1:1/", &big));
#ifndef MOB_TLS_OPENSSL
    cr_skip_test("a TLS=0 build refuses https:// before it makes a copy");
#endif
    cr_assert_not(choose_and_free("https://127.0.0.1:1/", &nocert));
    size_t before = heap_in_use();
    for (int i = 0; i < CHOICES; i++)
        cr_assert_not(choose_and_free(i % 2 ? "ws://127.0.0.1:1/" : "https://127.0.0.1:1/",
                                      i % 2 ? &big : &nocert));
    size_t after = heap_in_use();
    cr_assert_lt(after, before + SLACK, "the heap grew by %zu bytes over %d failed choices",
                 after - before, CHOICES);
}

/* The command line chooses a suite per target and frees them as it returns, whatever way it
 * returns: here --show-kinds (two targets, two kinds, a TLS context each) and a -s naming no
 * scenario (exit 2): 7,500 suites in 5,000 commands. */
Test(suites_free, the_command_frees_the_suites_it_chose, .timeout = 120)
{
#ifndef MOB_TLS_OPENSSL
    cr_skip_test("a TLS=0 build refuses https:// and wss://");
#endif
    char *show[] = {"mob", "--show-kinds", "--insecure", "https://127.0.0.1:1/",
                    "wss://127.0.0.1:1/", NULL};
    char *bad[] = {"mob", "-s", "nosuch", "http://127.0.0.1:1/", NULL};
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    cr_assert(out >= 0 && err >= 0 && null >= 0);
    fflush(NULL);
    dup2(null, 1);
    dup2(null, 2);
    int wrong = 0;
    for (int i = 0; i < WARM; i++)
        wrong += i % 2 ? mob_main_ex(4, bad, NULL, mob_builtin_suite) != 2
                       : mob_main_ex(5, show, NULL, mob_builtin_suite) != 0;
    size_t before = heap_in_use();
    for (int i = 0; i < CHOICES / 2; i++)
        wrong += i % 2 ? mob_main_ex(4, bad, NULL, mob_builtin_suite) != 2
                       : mob_main_ex(5, show, NULL, mob_builtin_suite) != 0;
    size_t after = heap_in_use();
    fflush(NULL);
    dup2(out, 1);
    dup2(err, 2);
    close(null);
    cr_assert_eq(wrong, 0, "--show-kinds exits 0, -s nosuch exits 2");
    cr_assert_lt(after, before + SLACK, "the heap grew by %zu bytes over %d commands",
                 after - before, CHOICES / 2);
}
