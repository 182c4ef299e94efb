/* SPDX-License-Identifier: MIT */
/*
 * mem.c: prefaulting memory the core is about to fill, in one call instead of one page fault
 * per page.
 *
 * Why: a page fault is a trap into the kernel for each 4 KiB page, and under a hypervisor that
 * shadows the guest's page tables it is a trip out to the hypervisor as well; populating a
 * range first, in one call, costs a fraction of that, and so does the first touch after it.
 * The core asks for this where it allocates a block it will fill densely and soon: a chunk of
 * 1,024 bot structs (320 KiB), which a thousand spawns then write one after another.
 * Measured by `mob-bench spawn --bots 100000` (it also prints the machine's plain page fault
 * for comparison); the figures are in tools/PERFORMANCE.md.
 *
 * Stacks: an idle bot touches only its stack's top page, one page in every stack-sized stride,
 * so platform/stack.c prefaults the top pages of the next 32 new stacks with one
 * process_madvise call (a vector of pages) where the kernel takes MADV_POPULATE_WRITE that
 * way (`mob-bench spawn --bots 1000000`, cold). The same vectored call installs the stacks'
 * guards (mob__mem_advise_strided).
 */
#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "platform.h"

#if defined(MOB_VALGRIND)
#include <valgrind/valgrind.h>
#endif

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

size_t mob__page_size(void)
{
    /* Atomic: loops in several threads ask at once (the same value, but a plain static
     * written by two threads is still a data race). */
    static atomic_size_t page;
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (!p) {
        p = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&page, p, memory_order_relaxed);
    }
    return p;
}

void mob__mem_prefault(void *p, size_t len)
{
#if defined(MADV_POPULATE_WRITE)
    static atomic_int refused; /* the kernel predates it: stop asking */
    if (atomic_load_explicit(&refused, memory_order_relaxed))
        return;
    size_t page = mob__page_size();
    /* Whole pages inside the block only: the pages at its edges may hold other allocations,
     * which populating would not harm, but madvise wants an aligned start. */
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)(page - 1);
    if (hi > lo && madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0 &&
        errno == EINVAL)
        atomic_store_explicit(&refused, 1, memory_order_relaxed);
#else
    (void)p;
    (void)len;
#endif
}

#define PIDFD_SELF_THREAD_ (-10000) /* process_madvise on the caller itself, Linux 6.15+ */
#define VEC 256                     /* pages per process_madvise call */

int mob__mem_advise_strided(char *first, size_t stride, int n, int advice)
{
#if defined(SYS_process_madvise)
#if defined(MOB_VALGRIND)
    if (RUNNING_ON_VALGRIND) /* valgrind does not know process_madvise and says so */
        return -1;
#endif
    size_t page = mob__page_size();
    struct iovec iov[VEC];
    for (int i = 0; i < n;) {
        int k = 0;
        for (; i < n && k < VEC; i++, k++) {
            iov[k].iov_base = first + (size_t)i * stride;
            iov[k].iov_len = page;
        }
        long r = syscall(SYS_process_madvise, PIDFD_SELF_THREAD_, iov, (size_t)k, advice, 0u);
        if (r != (long)((size_t)k * page))
            return -1;
    }
    return 0;
#else
    (void)first;
    (void)stride;
    (void)n;
    (void)advice;
    return -1;
#endif
}

void mob__mem_prefault_strided(char *first, size_t stride, int n)
{
#if defined(MADV_POPULATE_WRITE)
    static atomic_int refused; /* no process_madvise, or it does not take this advice */
    if (atomic_load_explicit(&refused, memory_order_relaxed))
        return;
    /* No per-page madvise fallback: a syscall per page costs about what the fault does. */
    if (mob__mem_advise_strided(first, stride, n, MADV_POPULATE_WRITE) != 0)
        atomic_store_explicit(&refused, 1, memory_order_relaxed);
#else
    (void)first;
    (void)stride;
    (void)n;
#endif
}
