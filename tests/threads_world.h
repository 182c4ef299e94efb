/* SPDX-License-Identifier: MIT */
/* threads_world.h: two threads, each with its own loop (threads_world.c says what they do). */
#ifndef MOB_TEST_THREADS_WORLD_H
#define MOB_TEST_THREADS_WORLD_H

#include <stddef.h>

/* Runs both threads to the end. Returns 0 when each found exactly its own results, else -1
 * with a message in err. */
int threads_two_worlds(char *err, size_t errlen);

#endif
