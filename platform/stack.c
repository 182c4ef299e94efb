/* SPDX-License-Identifier: MIT */
/*
 * stack.c: the stack pools behind platform.h, and the SIGSEGV handler that names the bot
 * whose stack overflowed. A pool hands out stacks of one size, carved from slabs (one mmap
 * holds many stacks), and takes them back on a free list: a freed stack is reused as it is,
 * never zeroed and never given back to the kernel until the pool is freed. It does not grow
 * or shrink stacks, and it does not copy them.
 *
 * One slab, growing down within each slot (stride = one page + the usable size):
 *
 *   base                                                                       base + len
 *   +-------+----------------------+-------+----------------------+-------+--- ...
 *   | guard | stack 0       <- top | guard | stack 1       <- top | guard | ...
 *   +-------+----------------------+-------+----------------------+-------+--- ...
 *   ^ slot 0                       ^ slot 1
 *   lo = slot + page; a canary stack keeps a magic word at lo instead of a guard.
 *
 * Guards, best first (MOB__WANT_AUTO):
 *   madvise   MADV_GUARD_INSTALL (Linux 6.13+) turns the guard page into a fault-on-access
 *             marker in the page table: no extra mapping, so a slab stays one line of
 *             /proc/self/maps however many stacks it holds. Installed for a batch of slots at
 *             once with process_madvise() where the kernel allows it on itself.
 *   mprotect  PROT_NONE on the guard page splits the mapping: about two mappings per stack,
 *             so it is used only while the process-wide count stays under a quarter of
 *             vm.max_map_count (65530 by default: about 16,000 stacks).
 *   canary    beyond that, a magic word at the low end that the core checks when it switches
 *             away from the bot (mob__stack_canary_ok). It catches an overflow after the fact,
 *             and it costs a second resident page per stack.
 *
 * Not coloured, on purpose: the tops of all stacks sit at the same page offset, so the hot
 * lines of many parked bots compete for the same cache sets. Moving each top some lines down
 * its page spreads them (a yield among 1,000 bots got faster, `mob-bench switch --case 1000`),
 * but a bot parked deeper than 4 KiB minus its colour then touches a second page, which
 * nearly doubled the resident memory of 10,000 HTTP bots. Memory per bot won (the figures are
 * in tools/PERFORMANCE.md).
 *
 * Memory: slabs are MAP_NORESERVE and never huge pages, so only pages a bot touches are
 * resident: an idle bot parked at its first yield costs one page (its stack top). Creating a
 * stack costs a first-touch page fault plus the guard install (batched); reusing one costs
 * neither (`mob-bench spawn` measures both ways).
 *
 * Limits: one guard page. A function with a frame bigger than a page can jump over it and
 * write into the stack below without faulting; build with -fstack-clash-protection if bots
 * keep big arrays on the stack.
 *
 * Read next: platform/ctx_asm.c (what is written at the top of a fresh stack).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform.h"

#if defined(MOB_VALGRIND)
#include <valgrind/valgrind.h>
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOB_STACK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MOB_STACK_ASAN 1
#endif
#if defined(MOB_STACK_ASAN)
#include <sanitizer/asan_interface.h>
#define MOB_NO_ASAN __attribute__((no_sanitize_address))
#else
#define MOB_NO_ASAN
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif
#define BATCH 256                   /* slots whose guards are installed at once */
#define POPULATE_BATCH 32           /* new stacks whose top page is prefaulted at once */
#define SLAB_MAX_BYTES ((size_t)1 << 30)
#define CANARY 0x6d6f622d73746b21ull /* "mob-stk!" */

struct slab {
    struct slab *next;      /* the process-wide registry, walked by the SIGSEGV handler */
    struct slab *pool_next; /* the slabs of one pool, newest first */
    char *base;
    size_t len, stride, size;
    int nslots;
    int used;     /* slots [0, used) have been handed out at least once */
    int prepared; /* slots [0, prepared) already have their guard */
    int populated; /* slots [0, populated) have had their top page prefaulted */
    int *owner;   /* bot id per slot, -1 while free */
#if defined(MOB_VALGRIND)
    unsigned *vg_id; /* VALGRIND_STACK_REGISTER's id per slot */
#endif
    unsigned char *kind; /* enum mob__guard_kind per slot */
};

/* A free stack, on the pool's free list. The list lives outside the stacks, so that handing
 * a stack out does not touch it: the new bot's first switch is then the first and only touch
 * (with a million bots, each touch of a cold stack top is a cache and TLB miss). */
struct free_slot {
    struct slab *slab;
    int index;
};

struct mob__stack_pool {
    size_t size, stride, page;
    int want; /* enum mob__guard_want */
    struct slab *slabs;
    struct free_slot *free; /* LIFO: the stack freed last is the one most likely cached */
    int nfree;
    int nslots; /* over all slabs, to size the next one; also the free list's capacity */
};

/* The registry: a lock-free push for readers in the signal handler; writers (slab creation
 * and removal) take a spinlock so that loops on several threads may share it. */
static struct slab *_Atomic registry;
static atomic_flag registry_lock = ATOMIC_FLAG_INIT;
static atomic_int mprotect_budget = -1; /* guards mprotect may still make; -1: not read yet */
static atomic_int madvise_state;        /* 0 unknown, 1 works, -1 refused */
static atomic_int pmadvise_state;       /* same for process_madvise on ourselves */

static size_t page_size(void) { return mob__page_size(); }

const char *mob__guard_name(int kind)
{
    static const char *names[] = {"madvise", "mprotect", "canary", "none"};
    return kind >= 0 && kind < 4 ? names[kind] : "?";
}

/* A quarter of vm.max_map_count: each mprotect guard may cost two mappings, so this keeps
 * the guards under half the limit and leaves the rest to the program. */
static int read_budget(void)
{
    long max = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 65530;
        fclose(f);
    }
    return (int)(max / 4);
}

static int take_mprotect_budget(void)
{
    int b = atomic_load(&mprotect_budget);
    if (b < 0) {
        int want = read_budget(), expect = -1;
        atomic_compare_exchange_strong(&mprotect_budget, &expect, want);
    }
    for (b = atomic_load(&mprotect_budget); b > 0;)
        if (atomic_compare_exchange_weak(&mprotect_budget, &b, b - 1))
            return 1;
    return 0;
}

/* Installs MADV_GUARD_INSTALL guards on slots [from, to). Returns 0, or -1 when the kernel
 * refuses. Installing a guard twice is harmless, so a failed batch is simply redone page by
 * page with madvise. */
static int madvise_guards(struct slab *s, int from, int to)
{
    if (atomic_load(&pmadvise_state) >= 0) {
        if (mob__mem_advise_strided(s->base + (size_t)from * s->stride, s->stride, to - from,
                                    MADV_GUARD_INSTALL) == 0) {
            atomic_store(&pmadvise_state, 1);
            return 0;
        }
        atomic_store(&pmadvise_state, -1);
    }
    size_t page = page_size();
    for (int i = from; i < to; i++)
        if (madvise(s->base + (size_t)i * s->stride, page, MADV_GUARD_INSTALL) != 0)
            return -1;
    return 0;
}

/* Nonzero when touching addr faults. write(2) reads the byte in the kernel, which returns
 * EFAULT instead of raising a signal: a safe probe. It catches a kernel or an emulator
 * (qemu-user) that accepts MADV_GUARD_INSTALL and does nothing. Done once per process. */
static int guard_works(const void *addr)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1; /* cannot tell: trust the kernel */
    ssize_t r = write(fds[1], addr, 1);
    int faulted = r < 0 && errno == EFAULT;
    close(fds[0]);
    close(fds[1]);
    return faulted;
}

/* Gives slot i of s its guard, choosing the kind the first time. Slots are prepared in
 * batches so the syscalls are amortised. */
static void prepare_slot(struct mob__stack_pool *pool, struct slab *s, int i)
{
    if (i < s->prepared)
        return;
    if (pool->want == MOB__WANT_NONE || pool->want == MOB__WANT_CANARY) {
        s->kind[i] = pool->want == MOB__WANT_NONE ? MOB__GUARD_NONE : MOB__GUARD_CANARY;
        s->prepared = i + 1;
        return;
    }
    if (atomic_load(&madvise_state) >= 0) {
        int to = i + BATCH < s->nslots ? i + BATCH : s->nslots;
        if (madvise_guards(s, i, to) == 0 &&
            (atomic_load(&madvise_state) == 1 || guard_works(s->base + (size_t)i * s->stride))) {
            atomic_store(&madvise_state, 1);
            for (int k = i; k < to; k++)
                s->kind[k] = MOB__GUARD_MADVISE;
            s->prepared = to;
            return;
        }
        atomic_store(&madvise_state, -1); /* an older kernel: never ask again */
    }
    s->kind[i] = MOB__GUARD_CANARY;
    if (take_mprotect_budget()) {
        if (mprotect(s->base + (size_t)i * s->stride, pool->page, PROT_NONE) == 0)
            s->kind[i] = MOB__GUARD_MPROTECT;
        else
            atomic_fetch_add(&mprotect_budget, 1); /* ENOMEM: the map limit; canary */
    }
    s->prepared = i + 1;
}

static struct slab *slab_new(struct mob__stack_pool *pool)
{
    /* Grow geometrically (16, 16, 32, 64... slots) up to 1 GiB of address space per slab, so
     * a million 64 KiB stacks take about 70 mappings. */
    size_t n = pool->nslots < 16 ? 16 : (size_t)pool->nslots;
    if (n * pool->stride > SLAB_MAX_BYTES)
        n = SLAB_MAX_BYTES / pool->stride;
    if (n < 1)
        n = 1;
    size_t extra = n * sizeof(int) + n;
#if defined(MOB_VALGRIND)
    extra += n * sizeof(unsigned);
#endif
    /* Room on the free list for every slot there will be, so that mob__stack_put never
     * allocates (it runs when a bot ends, where a failure could not be reported). */
    struct free_slot *fl = realloc(pool->free, ((size_t)pool->nslots + n) * sizeof *fl);
    if (!fl)
        return NULL;
    pool->free = fl;
    struct slab *s = calloc(1, sizeof *s + extra);
    if (!s)
        return NULL;
    s->len = n * pool->stride;
    void *m = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        free(s);
        return NULL;
    }
#if defined(MADV_NOHUGEPAGE)
    /* A huge page would make one touched stack top cost 2 MiB. */
    madvise(m, s->len, MADV_NOHUGEPAGE);
#endif
    s->base = m;
    s->stride = pool->stride;
    s->size = pool->size;
    s->nslots = (int)n;
    s->owner = (int *)(s + 1);
    s->kind = (unsigned char *)(s->owner + n);
#if defined(MOB_VALGRIND)
    s->vg_id = (unsigned *)(s->owner + n);
    s->kind = (unsigned char *)(s->vg_id + n);
#endif
    for (size_t i = 0; i < n; i++)
        s->owner[i] = -1;
    while (atomic_flag_test_and_set(&registry_lock))
        ;
    s->next = atomic_load(&registry);
    atomic_store(&registry, s);
    atomic_flag_clear(&registry_lock);
    s->pool_next = pool->slabs;
    pool->slabs = s;
    pool->nslots += (int)n;
    return s;
}

static void slab_free(struct slab *s)
{
    while (atomic_flag_test_and_set(&registry_lock))
        ;
    struct slab *head = atomic_load(&registry);
    if (head == s) {
        atomic_store(&registry, s->next);
    } else {
        for (struct slab *p = head; p; p = p->next)
            if (p->next == s) {
                p->next = s->next;
                break;
            }
    }
    atomic_flag_clear(&registry_lock);
    int given = 0;
    for (int i = 0; i < s->prepared; i++)
        given += s->kind[i] == MOB__GUARD_MPROTECT;
    atomic_fetch_add(&mprotect_budget, given);
    munmap(s->base, s->len);
    free(s);
}

struct mob__stack_pool *mob__stack_pool_new(size_t size, int want_guard)
{
    struct mob__stack_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->page = page_size();
    if (size < 2 * p->page)
        size = 2 * p->page;
    p->size = (size + p->page - 1) & ~(p->page - 1);
    p->stride = p->size + p->page;
    p->want = want_guard;
    return p;
}

void mob__stack_pool_free(struct mob__stack_pool *pool)
{
    if (!pool)
        return;
    for (struct slab *s = pool->slabs, *next; s; s = next) {
        next = s->pool_next;
        slab_free(s);
    }
    free(pool->free);
    free(pool);
}

size_t mob__stack_pool_size(const struct mob__stack_pool *pool) { return pool->size; }

/* The canary sits where a deep frame of the bot may have left ASan redzones: read and write
 * it unchecked. */
static MOB_NO_ASAN void write_canary(void *lo)
{
    *(uint64_t *)lo = CANARY ^ (uint64_t)(uintptr_t)lo;
}

int mob__stack_get(struct mob__stack_pool *pool, struct mob__stack *st, int owner)
{
    struct slab *s;
    int i;
    if (pool->nfree > 0) {
        struct free_slot *f = &pool->free[--pool->nfree];
        s = f->slab;
        i = f->index;
    } else {
        s = pool->slabs;
        if (!s || s->used == s->nslots) {
            s = slab_new(pool);
            if (!s)
                return -ENOMEM;
        }
        i = s->used++;
        prepare_slot(pool, s, i);
        if (i >= s->populated) {
            /* The top pages of this and the next new stacks, which their first runs will
             * touch: at most 31 pages (124 KiB) resident ahead of need. */
            int to = i + POPULATE_BATCH < s->nslots ? i + POPULATE_BATCH : s->nslots;
            mob__mem_prefault_strided(s->base + (size_t)(i + 1) * s->stride - pool->page,
                                      s->stride, to - i);
            s->populated = to;
        }
    }
    s->owner[i] = owner;
    st->lo = s->base + (size_t)i * s->stride + pool->page;
    st->size = pool->size;
    st->guard = s->kind[i];
    st->slot = s;
#if defined(MOB_STACK_ASAN)
    /* mob__ctx_make writes the first frame from C, so its page must not carry stale poison:
     * a slab may reuse the address range of an earlier one (ours, or our parent's before a
     * fork) whose frames left poisoned shadow behind, which munmap does not clear. Deeper
     * pages need nothing: each instrumented frame writes its own shadow on entry. */
    __asan_unpoison_memory_region((char *)st->lo + st->size - pool->page, pool->page);
#endif
    if (st->guard == MOB__GUARD_CANARY)
        write_canary(st->lo);
#if defined(MOB_VALGRIND)
    s->vg_id[i] = VALGRIND_STACK_REGISTER(st->lo, (char *)st->lo + st->size);
#endif
    return 0;
}

void mob__stack_put(struct mob__stack_pool *pool, struct mob__stack *st)
{
    struct slab *s = st->slot;
    int i = (int)(((char *)st->lo - s->base) / s->stride);
    s->owner[i] = -1;
#if defined(MOB_VALGRIND)
    VALGRIND_STACK_DEREGISTER(s->vg_id[i]);
#endif
#if defined(MOB_STACK_ASAN)
    /* A bot that finished left its frames' redzones poisoned; the next owner starts clean. */
    __asan_unpoison_memory_region(st->lo, st->size);
#endif
    pool->free[pool->nfree++] = (struct free_slot){s, i};
    st->lo = NULL;
}

MOB_NO_ASAN int mob__stack_canary_ok(const struct mob__stack *st)
{
    return st->guard != MOB__GUARD_CANARY ||
           *(const uint64_t *)st->lo == (CANARY ^ (uint64_t)(uintptr_t)st->lo);
}

/* ---------------------------------------------------------------------------------------- */
/* The overflow handler                                                                     */
/* ---------------------------------------------------------------------------------------- */

static struct sigaction old_segv;
static atomic_int handler_installed;
static _Thread_local int altstack_done;

static char *fmt_u(char *p, unsigned long long v, int base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_s(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

/*
 * Async-signal-safe: walks the registry, prints with write(2). On a guard hit it prints one
 * line and lets the process die of SIGSEGV: it restores the default action and returns, so
 * the faulting instruction runs again and the kernel kills the process with the signal (and
 * a core dump where enabled). We chose that over _exit so that a parent, a shell or a test
 * runner sees an honest "killed by SIGSEGV". Faults anywhere else go to the handler that was
 * installed before ours, or get the default action.
 */
static void on_segv(int sig, siginfo_t *info, void *uc)
{
    char *addr = info->si_addr;
    size_t page = page_size();
    for (struct slab *s = atomic_load(&registry); s; s = s->next) {
        if (addr < s->base || addr >= s->base + s->len)
            continue;
        size_t off = (size_t)(addr - s->base);
        size_t i = off / s->stride;
        if (off % s->stride >= page)
            break; /* inside a stack, not a guard: not ours */
        char line[200], *p = line;
        int owner = s->owner[i];
        if (owner >= 0) {
            p = put_s(p, "mob: bot ");
            p = fmt_u(p, (unsigned long long)owner, 10);
            p = put_s(p, " overflowed its ");
        } else {
            p = put_s(p, "mob: a bot overflowed into the guard of a free ");
        }
        p = fmt_u(p, s->size, 10);
        p = put_s(p, "-byte stack (fault at 0x");
        p = fmt_u(p, (unsigned long long)(uintptr_t)addr, 16);
        p = put_s(p, ")\n");
        ssize_t w = write(2, line, (size_t)(p - line));
        (void)w;
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    if (old_segv.sa_flags & SA_SIGINFO) {
        if (old_segv.sa_sigaction) {
            old_segv.sa_sigaction(sig, info, uc);
            return;
        }
    } else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL); /* the fault happens again and kills us as usual */
}

void mob__stack_install_overflow_handler(void)
{
    if (!altstack_done) {
        /* The handler must run on its own stack: the faulting one has no room left. One per
         * thread that runs bots, kept for the thread's life. */
        stack_t cur;
        if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
            size_t sz = 64 * 1024;
            void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m != MAP_FAILED) {
                stack_t ss = {.ss_sp = m, .ss_size = sz, .ss_flags = 0};
                if (sigaltstack(&ss, NULL) != 0)
                    munmap(m, sz);
            }
        }
        altstack_done = 1;
    }
    int expect = 0;
    if (!atomic_compare_exchange_strong(&handler_installed, &expect, 1))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
}
