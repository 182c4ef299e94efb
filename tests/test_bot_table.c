/* SPDX-License-Identifier: MIT */
/*
 * test_bot_table.c: the loop's table of bots (chunks of 1,024 structs, the chunk table
 * doubling when full): ids stay dense and every bot keeps its address however many chunks
 * come after it, including across the table's growth at 1, 2, 4, 8 ... chunks; and that
 * growth is geometric.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "mob.h"
#define MOB_TEST_HOOKS /* the table's capacity */
#include "mob_test_hooks.h"

static intptr_t returns_id(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_bot_id(self);
}

Test(bot_table, ids_and_addresses_hold_across_many_chunks)
{
    enum { N = 9 * 1024 + 7 }; /* past 8 chunks: the table grows 1 -> 2 -> 4 -> 8 -> 16 */
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_not_null(loop);
    mob_bot **seen = calloc(N, sizeof *seen);
    cr_assert_not_null(seen);
    for (int i = 0; i < N; i++) {
        seen[i] = mob_spawn(loop, returns_id, NULL);
        cr_assert_not_null(seen[i]);
        cr_assert_eq(mob_bot_id(seen[i]), i);
    }
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(mob_bot_count(loop), N);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(mob_bot_get(loop, i), seen[i], "bot %d moved", i);
        cr_assert_eq(mob_bot_result(seen[i]), i);
    }
    cr_assert_null(mob_bot_get(loop, N));
    free(seen);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* The chunk table is reallocated O(log n) times, not once per chunk: each reallocation copies
 * the whole table, so growing it by one chunk at a time made spawning quadratic. */
Test(bot_table, the_chunk_table_is_reallocated_a_logarithmic_number_of_times)
{
    enum { CHUNKS = 200, N = CHUNKS * 1024 };
    mob_loop *loop = mob_loop_new(NULL);
    cr_assert_not_null(loop);
    int grows = 0, cap = mob__bot_table_cap(loop);
    for (int i = 0; i < N; i++) {
        cr_assert_not_null(mob_spawn(loop, returns_id, NULL));
        int now = mob__bot_table_cap(loop);
        if (now != cap) {
            cr_assert_gt(now, cap, "the table shrank at bot %d", i);
            grows++;
            cap = now;
        }
        /* Run each chunk's bots to their end, so their stacks go back to the pool. */
        if (i % 1024 == 1023)
            cr_assert_eq(mob_loop_run(loop), 0);
    }
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_geq(cap, CHUNKS, "room for every chunk");
    cr_assert_lt(cap, 2 * CHUNKS, "at most twice what is used");
    /* 1, 2, 4, ... 256: nine sizes. One per chunk would be 200. */
    cr_assert_leq(grows, 9, "%d reallocations for %d chunks", grows, CHUNKS);
    cr_assert_eq(mob_loop_free(loop), 0);
}
