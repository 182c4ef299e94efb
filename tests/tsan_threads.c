/* SPDX-License-Identifier: MIT */
/*
 * tsan_threads.c: the ThreadSanitizer leg's program (make test-tsan). First two threads, each
 * with its own loop (threads_world.c): TSan reports any data race between them. Then what the
 * fiber annotations (platform/san.c) are for, on one thread: DEEP_BOTS bots, each DEEP_CALLS
 * calls deep, park with data in their stack frames, and each checks its frames when resumed.
 * TSan keeps one shadow call stack per fiber it knows of, of a fixed 65,536 entries (gcc 12's
 * runtime); if the switches were not announced, every parked bot's calls would pile up on the
 * thread's one shadow stack and overflow it. The same program linked with tsan_bare_switch.c
 * (switches not announced) is expected to die here, and the leg checks that it does.
 */
#include <stdio.h>
#include <string.h>

#include "mob.h"
#include "threads_world.h"

/* 400 x 200 calls: well past the 65,536 entries of one shadow stack, and few enough TSan
 * fibers (each costs TSan a thread slot, of 8,128) to stay quick. */
#define DEEP_BOTS 400
#define DEEP_CALLS 200

struct deep {
    int parked, intact;
};

/* Recurses `depth` calls, each frame keeping a word of its own; parks at the bottom. Returns
 * 1 when every frame's word was still its own after the bot was resumed. */
__attribute__((noinline)) static int dive(mob_bot *self, struct deep *d, int depth)
{
    volatile int mine = mob_bot_id(self) * 1000 + depth;
    int ok;
    if (depth == 0) {
        d->parked++;
        mob_sleep(self, 3600 * MOB_NS_PER_SEC); /* until cancelled */
        ok = 1;
    } else {
        ok = dive(self, d, depth - 1);
    }
    return ok && mine == mob_bot_id(self) * 1000 + depth;
}

static intptr_t deep_bot(mob_bot *self, void *arg)
{
    struct deep *d = arg;
    if (dive(self, d, DEEP_CALLS))
        d->intact++;
    return 0;
}

static int deep_parked_bots(char *err, size_t errlen)
{
    struct deep d = {0};
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop) {
        snprintf(err, errlen, "mob_loop_new failed");
        return -1;
    }
    for (int i = 0; i < DEEP_BOTS; i++)
        mob_spawn(loop, deep_bot, &d);
    while (d.parked < DEEP_BOTS && mob_loop_step(loop, 0) > 0)
        ;
    for (int i = 0; i < DEEP_BOTS; i++)
        mob_cancel(mob_bot_get(loop, i));
    int rc = mob_loop_run(loop), leaks = mob_loop_free(loop);
    if (d.parked != DEEP_BOTS || d.intact != DEEP_BOTS || rc != 0 || leaks != 0) {
        snprintf(err, errlen, "deep bots: %d parked and %d intact of %d, run %d, %d leaks",
                 d.parked, d.intact, DEEP_BOTS, rc, leaks);
        return -1;
    }
    return 0;
}

int main(void)
{
    char err[200] = "";
    int rc = threads_two_worlds(err, sizeof err);
    if (rc == 0) {
        printf("tsan_threads: two threads, two loops: ok\n");
        fflush(stdout); /* said before the part that dies without the annotations */
        rc = deep_parked_bots(err, sizeof err);
    }
    printf("tsan_threads: %s%s (%s, %s)\n", rc == 0 ? "ok" : "FAILED: ", err, mob_backend_name(),
           mob_switch_name());
    return rc == 0 ? 0 : 1;
}
