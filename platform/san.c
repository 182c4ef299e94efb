/* SPDX-License-Identifier: MIT */
/*
 * san.c: the sanitizer side of the context switch. AddressSanitizer keeps a picture of the
 * current stack (its bounds, and a "fake stack" for use-after-return detection); a switch
 * that moves sp behind its back makes it report false stack overflows and
 * "ASan is ignoring requested __asan_handle_no_return". So when the library is built with
 * SAN=address, every switch the core makes goes through mob__switch_annotated, which tells
 * ASan where it is going (__sanitizer_start_switch_fiber) and that it has arrived
 * (__sanitizer_finish_switch_fiber). Without ASan, platform.h makes mob__switch_annotated
 * plain mob__switch and this file is empty.
 *
 * Valgrind needs no per-switch help: stack.c registers each stack (VALGRIND_STACK_REGISTER)
 * when built with -DMOB_VALGRIND (the Makefile adds it when valgrind.h is installed).
 */
#define _GNU_SOURCE
#include "san.h"

#if defined(MOB__ASAN)
#include <sanitizer/common_interface_defs.h>

/* The thread's own stack, where the host context (mob_loop_run's caller) lives. The first
 * fiber a thread ever starts is necessarily started from it, so mob__san_boot learns its
 * bounds from ASan itself the first time. */
static _Thread_local const void *host_bottom;
static _Thread_local size_t host_size;

static void host_bounds(const void **bottom, size_t *size)
{
    *bottom = host_bottom;
    *size = host_size;
}

MOB__SWITCHES void mob__switch_annotated(struct mob__ctx *from, struct mob__ctx *to,
                           const struct mob__stack *to_stack, int from_done)
{
    const void *bottom;
    size_t size;
    if (to_stack) {
        bottom = to_stack->lo;
        size = to_stack->size;
    } else {
        host_bounds(&bottom, &size);
    }
    /* A context that will never run again gives its fake stack back (NULL save slot). */
    void *fake = NULL;
    __sanitizer_start_switch_fiber(from_done ? NULL : &fake, bottom, size);
    mob__switch(from, to);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
}

void mob__san_boot(void *boot)
{
    struct mob__san_boot *b = boot;
    mob__entry_fn entry = b->entry;
    void *arg = b->arg;
    const void *from_bottom;
    size_t from_size;
    __sanitizer_finish_switch_fiber(NULL, &from_bottom, &from_size);
    if (!host_bottom) {
        host_bottom = from_bottom;
        host_size = from_size;
    }
    entry(arg);
}
#elif defined(MOB__TSAN)
#include <sanitizer/tsan_interface.h>

/*
 * ThreadSanitizer follows one thread's accesses as one history; bots switching on it behind
 * its back would look, to it, like one thread jumping between stacks, and what one bot did
 * would be mixed with the next one's. So each bot gets a TSan fiber (made on its first run,
 * kept in its stack struct) and every switch tells TSan which fiber now runs; flag 0 makes a
 * switch a synchronisation, as it is: a bot runs only after the one before it stopped. The
 * fiber of a bot that returned is destroyed at the next switch, once we are off it.
 */
static _Thread_local void *host_fiber; /* the thread's own, where the host context runs */
static _Thread_local void *dead_fiber; /* of a bot that returned, not destroyed yet */

static void reap_fiber(void)
{
    if (dead_fiber && dead_fiber != __tsan_get_current_fiber()) {
        __tsan_destroy_fiber(dead_fiber);
        dead_fiber = NULL;
    }
}

MOB__SWITCHES void mob__switch_annotated(struct mob__ctx *from, struct mob__ctx *to,
                                         const struct mob__stack *to_stack, int from_done)
{
    reap_fiber();
    if (!host_fiber) /* a thread's first switch leaves its host context for its first bot */
        host_fiber = __tsan_get_current_fiber();
    void *target = host_fiber;
    if (to_stack) {
        struct mob__stack *st = (struct mob__stack *)to_stack; /* the bot's own, writable */
        if (!st->tsan_fiber)
            st->tsan_fiber = __tsan_create_fiber(0);
        target = st->tsan_fiber;
    }
    if (from_done)
        dead_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(target, 0);
    mob__switch(from, to);
    reap_fiber();
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int mob__san_unused;
#endif
