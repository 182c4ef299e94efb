/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c: the thread model of mob.h (one loop per thread, nothing shared). Two
 * threads each create, run and free their own loop at the same time, with a TCP echo server
 * and clients (sockets), mailboxes and sleeps in each, several rounds over; each finds exactly
 * its own results (tests/threads_world.c). The ThreadSanitizer leg (make test-tsan) runs the
 * same threads with SAN=thread, the switch then telling TSan about every fiber switch
 * (platform/san.c): a registry of live loops shared by the threads is a data race there.
 * Also: the timer slack is a loop option, not a side effect of creating a loop.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "helpers.h"
#include "mob.h"
#include "threads_world.h"

Test(threads, two_threads_each_run_their_own_loop_with_sockets_and_messages, .timeout = 20)
{
    char err[200] = "";
    cr_assert_eq(threads_two_worlds(err, sizeof err), 0, "%s", err);
}

#if defined(__linux__)
static long slack_ns(void) { return (long)prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0); }

Test(threads, the_timer_slack_is_a_loop_option_not_a_side_effect)
{
    long before = slack_ns();
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_eq(slack_ns(), before, "creating a loop left the thread as it was");
    cr_assert_eq(mob_loop_free(loop), 0);
    mob_loop_options o = {.timer_slack_ns = before == 2000 ? 3000 : 2000};
    loop = mob_loop_new(&o);
    cr_assert_eq(slack_ns(), (long)o.timer_slack_ns);
    cr_assert_eq(mob_loop_free(loop), 0);
}
#endif
