/* SPDX-License-Identifier: MIT */
/*
 * guard_page.h: inputs that end flush against a PROT_NONE page, so that a parser reading one
 * byte past the end faults the test (test_http.c, test_http_chunked.c). Use guard_setup and
 * guard_teardown as the suite's .init and .fini, then flush() each input.
 */
#ifndef MOB_TEST_GUARD_PAGE_H
#define MOB_TEST_GUARD_PAGE_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

/* Two pages: the first holds the input, ending exactly at the second, which is PROT_NONE. */
static char *guard_base;
static size_t page_size;

static inline void guard_setup(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    void *p = NULL;
    cr_assert_eq(posix_memalign(&p, page_size, 16 * page_size), 0);
    guard_base = p;
    cr_assert_eq(mprotect(guard_base + 15 * page_size, page_size, PROT_NONE), 0);
}

static inline void guard_teardown(void)
{
    mprotect(guard_base + 15 * page_size, page_size, PROT_READ | PROT_WRITE);
    free(guard_base);
}

/* Copies s[0..n) so that it ends at the guard page; returns where it starts. */
static inline char *flush(const char *s, size_t n)
{
    cr_assert_leq(n, 15 * page_size, "input too long for the guard buffer");
    char *p = guard_base + 15 * page_size - n;
    memcpy(p, s, n);
    return p;
}

#endif /* MOB_TEST_GUARD_PAGE_H */
