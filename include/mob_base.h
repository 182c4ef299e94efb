/* SPDX-License-Identifier: MIT */
/*
 * mob_base.h: what every layer of mob builds on, and a program embedding mob may use too:
 * the one allocator, the contract check, and branch hints. Each layer above the core includes
 * this header instead of the core's private ones, so the layers stay sealed.
 *
 * Allocation goes through MOB_MALLOC, MOB_CALLOC, MOB_REALLOC and MOB_FREE everywhere in the
 * library. To plug in another allocator, define all four when building mob (for example
 * -DMOB_MALLOC=my_malloc ...); nothing calls malloc directly.
 *
 * A broken contract (a NULL where the API forbids it, a bot call from outside its bot)
 * aborts through MOB_ASSERT / MOB_PANIC with the file and the line. Runtime conditions (a
 * refused connection, a timeout, EMFILE) are values, never panics.
 */
#ifndef MOB_BASE_H
#define MOB_BASE_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MOB_MALLOC
#define MOB_MALLOC(n) malloc(n)
#define MOB_CALLOC(n, size) calloc((n), (size))
#define MOB_REALLOC(p, n) realloc((p), (n))
#define MOB_FREE(p) free(p)
#endif

/* Grows the array *arrp (arrp is the address of a T* variable; elem is sizeof(T)) so that it
 * holds at least need elements: the capacity *cap starts at first and doubles until it is
 * enough, through MOB_REALLOC. Returns 0 (nothing moves when *cap >= need already), or
 * -ENOMEM with errno set and *arrp and *cap untouched when memory is short or the size would
 * overflow. The pointer goes in and out through memcpy, so any T* works without an alias. */
static inline int mob_grow(void *arrp, int *cap, int need, size_t elem, int first)
{
    if (need <= *cap)
        return 0;
    int c = *cap > 0 ? *cap : (first > 0 ? first : 1);
    while (c < need) {
        if (c > INT_MAX / 2) {
            c = need;
            break;
        }
        c *= 2;
    }
    if (elem && (size_t)c > SIZE_MAX / elem) {
        errno = ENOMEM;
        return -ENOMEM;
    }
    void *old, *p;
    memcpy(&old, arrp, sizeof old);
    p = MOB_REALLOC(old, (size_t)c * elem);
    if (!p) {
        errno = ENOMEM;
        return -ENOMEM;
    }
    memcpy(arrp, &p, sizeof p);
    *cap = c;
    return 0;
}

/* Prints "mob: FILE:LINE: message" on stderr and aborts. */
void mob_panic(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 3, 4)))
#endif
    ;
#define MOB_PANIC(...) mob_panic(__FILE__, __LINE__, __VA_ARGS__)
#define MOB_ASSERT(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond))                                                                           \
            mob_panic(__FILE__, __LINE__, __VA_ARGS__);                                        \
    } while (0)

#if defined(__GNUC__)
#define MOB_LIKELY(x) __builtin_expect(!!(x), 1)
#define MOB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MOB_LIKELY(x) (x)
#define MOB_UNLIKELY(x) (x)
#endif

#ifdef __cplusplus
}
#endif

#endif /* MOB_BASE_H */
