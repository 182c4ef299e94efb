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

#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MOB_MALLOC
#define MOB_MALLOC(n) malloc(n)
#define MOB_CALLOC(n, size) calloc((n), (size))
#define MOB_REALLOC(p, n) realloc((p), (n))
#define MOB_FREE(p) free(p)
#endif

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
