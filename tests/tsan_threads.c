/* SPDX-License-Identifier: MIT */
/*
 * tsan_threads.c: the ThreadSanitizer leg's program (make test-tsan): two threads, each with
 * its own loop (threads_world.c), in a build where every fiber switch is announced to TSan
 * (platform/san.c). TSan reports any data race between the threads and exits non-zero.
 */
#include <stdio.h>

#include "mob.h"
#include "threads_world.h"

int main(void)
{
    char err[200] = "";
    int rc = threads_two_worlds(err, sizeof err);
    printf("tsan_threads: %s%s (%s, %s)\n", rc == 0 ? "ok" : "FAILED: ", err, mob_backend_name(),
           mob_switch_name());
    return rc == 0 ? 0 : 1;
}
