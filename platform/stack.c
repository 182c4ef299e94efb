/* SPDX-License-Identifier: MIT */
/*
 * stack.c: TEMPORARY minimal stack pool (one mmap per stack, no guard, no reuse). The
 * platform helper replaces this with slabs, guards and the overflow handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform.h"

struct mob__stack_pool {
    size_t size;
};

struct mob__stack_pool *mob__stack_pool_new(size_t size, int want_guard)
{
    (void)want_guard;
    struct mob__stack_pool *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    p->size = (size + page - 1) & ~(page - 1);
    return p;
}

void mob__stack_pool_free(struct mob__stack_pool *pool) { free(pool); }
size_t mob__stack_pool_size(const struct mob__stack_pool *pool) { return pool->size; }

int mob__stack_get(struct mob__stack_pool *pool, struct mob__stack *st, int owner)
{
    (void)owner;
    void *m = mmap(NULL, pool->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -ENOMEM;
    st->lo = m;
    st->size = pool->size;
    st->guard = MOB__GUARD_NONE;
    st->slot = NULL;
    return 0;
}

void mob__stack_put(struct mob__stack_pool *pool, struct mob__stack *st)
{
    (void)pool;
    munmap(st->lo, st->size);
}

int mob__stack_canary_ok(const struct mob__stack *st) { (void)st; return 1; }

const char *mob__guard_name(int kind)
{
    static const char *names[] = {"madvise", "mprotect", "canary", "none"};
    return kind >= 0 && kind < 4 ? names[kind] : "?";
}

void mob__stack_install_overflow_handler(void) {}
