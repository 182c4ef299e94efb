/* SPDX-License-Identifier: MIT */
/*
 * vars.c: molotov's process-wide variable store (set_var / get_var): named pointers any bot,
 * hook or scenario of the process can read, with a lazy factory that makes the value the
 * first time it is asked for. Values set in global_setup are inherited by every -p process
 * (they are forked after it); each process then has its own store, as in molotov.
 *
 * A short array searched linearly: a load test has a handful of such variables, set once and
 * read often. A spin lock (C11 atomics, no libpthread) keeps it sound when several loops run
 * on several threads; bots of one loop never contend.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

struct var {
    char *name;
    void *value;
};

static struct {
    atomic_flag lock;
    struct var *v;
    int n, cap;
} vars = {ATOMIC_FLAG_INIT, NULL, 0, 0};

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&vars.lock, memory_order_acquire))
        ;
}

static void unlock(void)
{
    atomic_flag_clear_explicit(&vars.lock, memory_order_release);
}

static struct var *find(const char *name)
{
    for (int i = 0; i < vars.n; i++)
        if (strcmp(vars.v[i].name, name) == 0)
            return &vars.v[i];
    return NULL;
}

/* Called with the lock held. */
static int put(const char *name, void *value)
{
    struct var *v = find(name);
    if (v) {
        v->value = value;
        return 0;
    }
    if (mob_grow(&vars.v, &vars.cap, vars.n + 1, sizeof *vars.v, 8))
        return -ENOMEM;
    size_t len = strlen(name) + 1;
    char *copy = MOB_MALLOC(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, name, len);
    vars.v[vars.n++] = (struct var){copy, value};
    return 0;
}

int mob_set_var(const char *name, void *value)
{
    if (!name)
        return -EINVAL;
    lock();
    int rc = put(name, value);
    unlock();
    return rc;
}

void *mob_get_var(const char *name, void *(*factory)(void *arg), void *arg)
{
    if (!name)
        return NULL;
    lock();
    struct var *v = find(name);
    void *value = v ? v->value : NULL;
    unlock();
    if (v || !factory)
        return value;
    /* The factory runs unlocked (it may take its time); if another thread set the name
     * meanwhile, the first value stays and this one is handed back to nobody but the caller. */
    value = factory(arg);
    lock();
    v = find(name);
    if (v)
        value = v->value;
    else if (put(name, value) < 0)
        value = NULL;
    unlock();
    return value;
}

void mob_vars_clear(void)
{
    lock();
    for (int i = 0; i < vars.n; i++)
        MOB_FREE(vars.v[i].name);
    MOB_FREE(vars.v);
    vars.v = NULL;
    vars.n = vars.cap = 0;
    unlock();
}
