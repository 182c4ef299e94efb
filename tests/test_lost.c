/* SPDX-License-Identifier: MIT */
/*
 * Processes fail alone (issue 11, part 5): with -p, a child killed by a signal loses only its
 * own results. The report merges the survivors, names the lost child (index, pid, signal),
 * is marked incomplete in the summary and the JSON, and the exit code is 1.
 */
#include <criterion/criterion.h>
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
void run_server_stop(pid_t pid);

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

Test(lost, a_killed_child_loses_only_its_own_results, .timeout = 30)
{
    int port;
    pid_t srv = run_server_start(&port, 0, 0, 0);
    char url[64], json[64], out[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(json, sizeof json, "/tmp/mob-lost-%d.json", (int)getpid());
    snprintf(out, sizeof out, "/tmp/mob-lost-%d.out", (int)getpid());
    char bin[512];
    snprintf(bin, sizeof bin, "%s/mob", test_build_dir());
    fflush(NULL);
    pid_t mob = fork();
    cr_assert_geq(mob, 0);
    if (mob == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin, bin, "-p", "3", "-w", "2", "-d", "1500ms", "--no-live", "--json", json, url,
              (char *)NULL);
        _exit(127);
    }
    /* The third child, once all three run: /proc lists a process's children. */
    pid_t victim = 0;
    for (int tries = 0; tries < 100 && !victim; tries++) {
        nap_ms(20);
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
    nap_ms(300);
    kill(victim, SIGKILL);
    int st;
    waitpid(mob, &st, 0);
    run_server_stop(srv);
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
