/* SPDX-License-Identifier: MIT */
/*
 * 06-generator.c: bots that produce values. A generator is a bot that runs only when someone
 * asks it for a value: mob_gen_next() switches to it, mob_gen_yield() hands a value back and
 * suspends it right there, as a Python generator does. The consumer can be another bot or the
 * host (pass NULL as `self`).
 *
 * The second half is testtoolkit's result_wrapper: mob_run_bots() reduces the bots' results in id
 * order, so four bots returning id + 1 give 1+2+3+4 = 10 with mob_reduce_sum and 1*2*3*4 = 24
 * with mob_reduce_product. Next: 07-virtual-clock.c.
 */
#include <stdio.h>

#include "mob.h"

/* Counts down from `arg` to 1, one value per request. */
static intptr_t countdown(mob_bot *self, void *arg)
{
    for (intptr_t i = (intptr_t)arg; i > 0; i--)
        mob_gen_yield(self, i); /* suspends until the next mob_gen_next */
    return 0;                   /* returning ends the generator */
}

/* An ordinary bot that consumes the generator passed as its argument. */
static intptr_t consumer(mob_bot *self, void *arg)
{
    mob_bot *gen = arg;
    intptr_t v;
    while (mob_gen_next(self, gen, &v) == 1) /* 1: a value; 0: the generator returned */
        printf("bot got %ld\n", (long)v);
    printf("generator done\n");
    return 0;
}

static intptr_t id_plus_one(mob_bot *self, void *arg)
{
    (void)arg;
    return mob_bot_id(self) + 1;
}

int main(void)
{
    mob_loop *loop = mob_loop_new(NULL);
    if (!loop)
        return 1;

    /* A generator consumed by a bot. Generators are never scheduled on their own. */
    mob_bot *gen = mob_gen_spawn(loop, countdown, (void *)(intptr_t)3);
    mob_spawn(loop, consumer, gen);
    mob_loop_run(loop);

    /* The host can consume one too: mob_gen_next drives the loop as needed. */
    intptr_t v;
    gen = mob_gen_spawn(loop, countdown, (void *)(intptr_t)2);
    while (mob_gen_next(NULL, gen, &v) == 1)
        printf("host got %ld\n", (long)v);
    mob_loop_free(loop);

    /* Results reduced over all bots. */
    int rc;
    mob_run_bots_options sum = {.reduce = mob_reduce_sum, .init = 0};
    mob_run_bots_options product = {.reduce = mob_reduce_product, .init = 1};
    printf("sum of id + 1 over 4 bots: %ld\n", (long)mob_run_bots(4, id_plus_one, &sum, &rc));
    printf("product of id + 1 over 4 bots: %ld\n",
           (long)mob_run_bots(4, id_plus_one, &product, &rc));
    return rc < 0;
}
