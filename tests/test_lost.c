/* SPDX-License-Identifier: MIT */
/*
 * Processes fail alone (issue 11, part 5): with -p, a child killed by a signal loses only its
 * own results. The report merges the survivors, names the lost child (index, pid, signal),
 * is marked incomplete in the summary and the JSON, and the exit code is 1. A fork that fails
 * loses only that child too: as root RLIMIT_NPROC does not stop fork, so the test makes one fork
 * fail with a preload library it compiles (MOB_SHIM_FAIL_FORK=INDEX is read by that shim only,
 * never by mob: mob has no test knob).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

pid_t run_server_start(int *port, int64_t delay_ns, int64_t stall_at_ns, int64_t stall_len_ns);

/* Starts `mob -p 3 -w 2 -d D --no-live --json JSON URL` with stdout and stderr in the file out;
 * with a shim, LD_PRELOADs it (the fork-failure shim, told to fail the second fork). */
static pid_t start_mob(const char *out, const char *shim, const char *d, const char *json,
                       const char *url)
{
    char bin[512];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    fflush(NULL);
    pid_t mob = fork();
    cr_assert_geq(mob, 0);
    if (mob == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        if (shim) {
            setenv("LD_PRELOAD", shim, 1);
            setenv("MOB_SHIM_FAIL_FORK", "1", 1);
            /* Under SAN=address the shim comes before the sanitizer's runtime, which it allows. */
            const char *asan = getenv("ASAN_OPTIONS");
            char opts[512];
            snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0", asan ? asan : "",
                     asan && *asan ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
        }
        execl(bin, bin, "-p", "3", "-w", "2", "-d", d, "--no-live", "--json", json, url,
              (char *)NULL);
        _exit(127);
    }
    return mob;
}

Test(lost, a_killed_child_loses_only_its_own_results, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    char url[64], json[64], out[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(json, sizeof json, "/tmp/mob-lost-%d.json", (int)getpid());
    snprintf(out, sizeof out, "/tmp/mob-lost-%d.out", (int)getpid());
    pid_t mob = start_mob(out, NULL, "1500ms", json, url);
    /* The third child, once all three run: /proc lists a process's children. */
    pid_t victim = 0;
    for (int tries = 0; tries < 100 && !victim; tries++) {
        test_nap_ms(20);
        char path[64], buf[256] = "";
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)mob, (int)mob);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(buf, sizeof buf, f))
                buf[0] = 0;
            fclose(f);
        }
        int a, b, c;
        if (sscanf(buf, "%d %d %d", &a, &b, &c) == 3)
            victim = c;
    }
    cr_assert_gt(victim, 0, "three children seen");
    test_nap_ms(300);
    kill(victim, SIGKILL);
    int st;
    waitpid(mob, &st, 0);
    test_child_stop(srv);
    cr_assert(WIFEXITED(st), "mob itself ended normally");
    cr_assert_eq(WEXITSTATUS(st), 1, "incomplete: exit 1");
    const char *text = test_read_file(out);
    unlink(out);
    cr_assert_not_null(strstr(text, "INCOMPLETE: 1 process lost"), "%s", text);
    char name[96];
    snprintf(name, sizeof name, "child 2 (pid %d) was killed by signal 9", (int)victim);
    cr_assert_not_null(strstr(text, name), "%s", text);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    unlink(json);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.processes, 2, "the two survivors merged");
    cr_assert_eq(t.processes_lost, 1);
    cr_assert_gt(t.ok, 100);
    mob_result_free(r);
}

/* fork() that fails with EAGAIN on the call numbered MOB_SHIM_FAIL_FORK (from 0), as the kernel
 * does when a process limit is reached; every other call is the real fork. */
static const char fork_shim[] =
    "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <errno.h>\n#include <stdlib.h>\n"
    "#include <unistd.h>\nstatic int calls;\n"
    "pid_t fork(void) {\n"
    "    const char *s = getenv(\"MOB_SHIM_FAIL_FORK\");\n"
    "    if (s && calls++ == atoi(s)) { errno = EAGAIN; return -1; }\n"
    "    pid_t (*real)(void) = (pid_t (*)(void))dlsym(RTLD_NEXT, \"fork\");\n"
    "    return real();\n}\n";

Test(lost, a_fork_that_fails_loses_only_that_child, .timeout = 30)
{
    char dir[] = "/tmp/mob-forkfail-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char src[64], so[64], cmd[256], json[64], out[64], url[64];
    snprintf(src, sizeof src, "%s/shim.c", dir);
    snprintf(so, sizeof so, "%s/shim.so", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    test_write_file(src, fork_shim);
    snprintf(cmd, sizeof cmd, "cc -shared -fPIC -o %s %s -ldl", so, src);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    pid_t mob = start_mob(out, so, "500ms", json, url);
    int st;
    waitpid(mob, &st, 0);
    test_child_stop(srv);
    const char *text = test_read_file(out);
    cr_assert(WIFEXITED(st), "mob itself ended normally: %s", text);
    cr_assert_eq(WEXITSTATUS(st), 1, "incomplete: exit 1: %s", text);
    cr_assert_not_null(strstr(text, "INCOMPLETE: 1 process lost"), "%s", text);
    char name[128];
    snprintf(name, sizeof name, "child 1 was never started: fork: %s", strerror(EAGAIN));
    cr_assert_not_null(strstr(text, name), "%s", text);
    const char *raw = test_read_file(json);
    cr_assert_not_null(strstr(raw, "\"incomplete\":true"), "%s", raw);
    cr_assert_not_null(strstr(raw, name), "%s", raw);
    mob_result *r;
    cr_assert_eq(mob_result_read_json(json, &r), 0);
    mob_totals t;
    mob_result_totals(r, &t);
    cr_assert_eq(t.processes, 2, "children 0 and 2 merged");
    cr_assert_eq(t.processes_lost, 1);
    cr_assert_gt(t.ok, 0);
    mob_result_free(r);
    unlink(json);
    unlink(out);
    unlink(src);
    unlink(so);
    rmdir(dir);
}
