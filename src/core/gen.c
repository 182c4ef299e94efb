/* SPDX-License-Identifier: MIT */
/*
 * gen.c: what testtoolkit built on bots: generators (mob_gen_spawn, mob_gen_yield,
 * mob_gen_next: Python's generator, in C) and mob_run_bots, which runs n bots from one
 * function in a fresh loop and reduces their results in id order.
 *
 * Read next: src/core/msg.c.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------------------------------- */
/* Generators                                                                               */
/* ---------------------------------------------------------------------------------------- */

mob_bot *mob_gen_spawn(mob_loop *loop, mob_bot_fn fn, void *arg)
{
    mob_spawn_options o = {.generator = 1};
    return mob_spawn_ex(loop, fn, arg, &o);
}

int mob_gen_yield(mob_bot *self, intptr_t value)
{
    MOB_CHECK_SELF(self);
    MOB_ASSERT(self->is_generator, "mob_gen_yield from bot %d, which is not a generator",
               self->id);
    mob_loop *loop = self->loop;
    if (self->cancelled)
        return -ECANCELED;
    self->result = value;
    self->gen_has_value = 1;
    self->state = MOB__GEN_IDLE;
    loop->gen_idle++;
    mob_bot *consumer = self->gen_consumer;
    self->gen_consumer = NULL;
    if (consumer && consumer != MOB__HOST_CONSUMER && consumer->state == MOB__PARKED) {
        /* Hand the value straight back, as a Python generator does: no queue, no tick. */
        consumer->unpark = NULL;
        consumer->wait_obj = NULL;
        consumer->wait_rc = 0;
        mob__switch_to(loop, &self->ctx, consumer);
    } else {
        mob__schedule(loop);
    }
    return self->cancelled ? -ECANCELED : 0;
}

static void unpark_gen(mob_bot *self)
{
    mob_bot *gen = self->wait_obj;
    if (gen->gen_consumer == self)
        gen->gen_consumer = NULL;
}

/* Takes the value a generator has handed over, if any. */
static int take_value(mob_bot *gen, intptr_t *value)
{
    if (!gen->gen_has_value)
        return 0;
    gen->gen_has_value = 0;
    if (value)
        *value = gen->result;
    return 1;
}

int mob_gen_next(mob_bot *self, mob_bot *gen, intptr_t *value)
{
    MOB_ASSERT(gen->is_generator, "mob_gen_next on bot %d, which is not a generator", gen->id);
    mob_loop *loop = gen->loop;
    if (take_value(gen, value))
        return 1;
    if (gen->state == MOB__DONE)
        return 0;
    if (gen->gen_consumer)
        return -EBUSY;
    if (self) {
        MOB_CHECK_SELF(self);
        if (self->cancelled)
            return -ECANCELED;
        gen->gen_consumer = self;
        if (gen->state == MOB__GEN_IDLE) {
            loop->gen_idle--;
            self->state = MOB__PARKED;
            self->unpark = unpark_gen;
            self->wait_obj = gen;
            self->wait_rc = 0;
            mob__switch_to(loop, &self->ctx, gen);
        } else {
            /* The generator is busy (sleeping or doing I/O): wait for its next value. */
            int rc = mob__park(self, MOB_FOREVER, unpark_gen, gen);
            if (rc < 0)
                return rc;
        }
        if (self->wait_rc < 0)
            return self->wait_rc;
        return take_value(gen, value);
    }
    MOB_ASSERT(loop->current == NULL, "mob_gen_next with self == NULL called from a bot");
    gen->gen_consumer = MOB__HOST_CONSUMER;
    if (gen->state == MOB__GEN_IDLE) {
        loop->gen_idle--;
        mob__switch_from_host(loop, gen);
    }
    /* The generator blocked on something: drive the loop until it hands a value or ends. */
    while (!gen->gen_has_value && gen->state != MOB__DONE) {
        int rc = mob_loop_step(loop, MOB_FOREVER);
        if (rc < 0)
            return rc;
    }
    gen->gen_consumer = NULL;
    return take_value(gen, value);
}

/* ---------------------------------------------------------------------------------------- */
/* mob_run_bots                                                                             */
/* ---------------------------------------------------------------------------------------- */

intptr_t mob_reduce_sum(intptr_t acc, intptr_t v) { return acc + v; }
intptr_t mob_reduce_product(intptr_t acc, intptr_t v) { return acc * v; }
intptr_t mob_reduce_max(intptr_t acc, intptr_t v) { return v > acc ? v : acc; }

intptr_t mob_run_bots(int n, mob_bot_fn fn, const mob_run_bots_options *opt, int *rc)
{
    static const mob_run_bots_options defaults = {0};
    if (!opt)
        opt = &defaults;
    mob_loop_options lo = {.mode = opt->mode};
    mob_loop *loop = mob_loop_new(opt->loop ? opt->loop : &lo);
    int status = 0;
    intptr_t acc = opt->init;
    if (!loop) {
        status = -errno;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        void *arg = opt->factory ? opt->factory(i, opt->factory_ud) : opt->factory_ud;
        if (!mob_spawn(loop, fn, arg)) {
            status = -ENOMEM;
            break;
        }
    }
    if (status == 0)
        status = mob_loop_run(loop);
    if (status >= 0) {
        for (int i = 0; i < mob_bot_count(loop); i++) {
            intptr_t r = mob_bot_result(mob_bot_get(loop, i));
            acc = opt->reduce ? opt->reduce(acc, r) : r;
        }
    }
    mob_loop_free(loop);
out:
    if (rc)
        *rc = status < 0 ? status : 0;
    return acc;
}
