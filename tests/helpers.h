/* SPDX-License-Identifier: MIT */
/*
 * helpers.h: the few things several test files share: a time tolerance that MOB_TEST_SLOW=1
 * widens (libuv's UV_TEST_TIMEOUT_MULTIPLIER idea), and a loopback listener.
 */
#ifndef MOB_TEST_HELPERS_H
#define MOB_TEST_HELPERS_H

#include <stdint.h>

/* 1, or 10 when MOB_TEST_SLOW=1 is set (valgrind, qemu, a loaded machine). */
int test_slow_factor(void);

/* Asserts (cr_expect) that `got_ns` lies in [want_ns, want_ns + tol_ms * slow factor]. */
#define TIME_EXPECT(got_ns, want_ns, tol_ms)                                                   \
    cr_expect((got_ns) >= (want_ns) - 1000000 &&                                               \
                  (got_ns) <= (want_ns) + (int64_t)(tol_ms) * 1000000 * test_slow_factor(),    \
              "took %lld ns, wanted %lld ns (+%d ms)", (long long)(got_ns),                     \
              (long long)(want_ns), (int)(tol_ms))

/* The latency-truth bound: a p50 measured against a server that answers `delay_ns` late is at
 * least that delay and within 3% of it plus `transport_ns` (the same measured against a server
 * with no delay: what crossing processes costs). Host side only (cr_assert). */
#define P50_TRUTH_ASSERT(p50_ns, delay_ns, transport_ns)                                       \
    do {                                                                                       \
        int64_t p50_ = (p50_ns), delay_ = (delay_ns), transport_ = (transport_ns);             \
        cr_assert(p50_ >= delay_, "p50 = %lld ns", (long long)p50_);                           \
        cr_assert(p50_ <= (delay_ + transport_) * 103 / 100,                                   \
                  "p50 = %lld ns, transport alone %lld ns", (long long)p50_,                   \
                  (long long)transport_);                                                      \
    } while (0)

/* A blocking TCP listener on 127.0.0.1 with an ephemeral port. Returns the fd (> 0) and sets
 * *port, or -errno. */
int test_listen_loopback(int *port);

/* A new loop in `mode` (MOB_FREE or MOB_LOCKSTEP), asserted (host side only). */
struct mob_loop *test_loop_new(int mode);
/* Runs the loop to its end and frees it, asserting both. */
void test_loop_run_free(struct mob_loop *loop);

/* The build directory of the binaries under test (env MOB_BUILD, default "build"). */
const char *test_build_dir(void);

/* What a run of the mob binary ($MOB_BUILD/mob) printed, how it ended (128 + N when signal N
 * killed it), and how long it took from fork to exit. */
struct test_out {
    char out[16384], err[16384];
    int code;
    int64_t wall_ns;
};

/* Runs mob with args (NULL-terminated), stdin from /dev/null, in its own process group; if sig
 * is nonzero, sends it after sig_after_ns (to the whole group, as a terminal's Ctrl-C does,
 * when negative). */
void test_run_mob(struct test_out *o, int sig, int64_t sig_after_ns, const char *const *args);
#define MOB(o, ...) test_run_mob((o), 0, 0, (const char *const[]){__VA_ARGS__, NULL})

/* Copies the JSON report at src to dst as another run: the same counts under a new run id, so
 * that merging the two doubles every count instead of being refused as the same run twice. */
void test_copy_as_new_run(const char *src, const char *dst);

/* The text of the file at path (which must open), NUL-terminated, in a static 1 MiB buffer
 * that the next call overwrites. */
char *test_read_file(const char *path);

/* Writes text to the file at path (which must open), replacing what it held. */
void test_write_file(const char *path, const char *text);

/* Runs fn with this process's stderr going to a file; returns what it wrote there
 * (test_read_file's buffer). */
char *test_stderr_of(void (*fn)(void));

/* Starts `$MOB_BUILD/tests/hostile MODE` (tests/hostile_server.c) and reads the port it
 * listens on. Returns its pid (> 0), or -errno. Stop it with test_child_stop. */
int test_hostile_start(const char *mode, int *port);
/* Kills and reaps a child process of the test. */
void test_child_stop(int pid);

struct mob_bot;
/* A server of the test's own in a forked child, listening on 127.0.0.1 (*port): its mob loop
 * runs conn(self, (void *)(intptr_t)fd) as a bot for each connection, and conn adopts fd.
 * init, if not NULL, runs first in the child; what the parent set before the call is there
 * too (the child is a copy). The child dies with the test process (PR_SET_PDEATHSIG, on
 * Linux) and after 60 s. Returns its pid; stop it with test_child_stop. Host side only. */
int test_server_fork(int *port, intptr_t (*conn)(struct mob_bot *self, void *fd),
                     void (*init)(void));

/* The totals of the JSON report at path, which must read (host side). */
struct mob_totals test_report_totals(const char *path);

/* Sleeps ms milliseconds (host side). */
void test_nap_ms(int ms);

/* The number after "key": in a JSON text (its first occurrence); asserts it is there. */
unsigned long long test_json_num(const char *text, const char *key);

#endif
