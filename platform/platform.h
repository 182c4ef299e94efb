/* SPDX-License-Identifier: MIT */
/*
 * platform.h: the only contract between the portable core (src/) and the OS and CPU
 * (platform/). Nothing about an OS or a CPU crosses this line: src/ includes this file and
 * never <sys/epoll.h>, <ucontext.h> or an asm header.
 *
 * Four services: a context switch, stacks, a clock, and a poller. The Makefile picks one
 * switch (switch_<arch>.S, or ctx_ucontext.c with FIBER=ucontext) and one poller
 * (poll_<name>.c, POLLER=) from `uname`.
 *
 * Read next: platform/switch_x86_64.S (the switch), platform/stack.c (the stack layout).
 */
#ifndef MOB_PLATFORM_H
#define MOB_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------- */
/* Context switch                                                                           */
/* ---------------------------------------------------------------------------------------- */

#if defined(MOB_FIBER_UCONTEXT)
/* The portable fallback keeps a whole ucontext_t; it is opaque storage here, sized for glibc
 * and macOS with room to spare, and checked with a _Static_assert in ctx_ucontext.c. */
struct mob__ctx {
    _Alignas(16) unsigned char uc[1024];
};
#else
/* The asm switches push every callee-saved register on the stack being left and keep only
 * the stack pointer here, so this struct is one word. */
struct mob__ctx {
    void *sp;
};
#endif

/*
 * Asks the CPU to start fetching, for writing, the top of the stack a parked context will
 * resume on: the line at its saved stack pointer (the switch's own saved words) and the one
 * 192 bytes above it (the frame it returns into). The scheduler calls it one bot ahead, so the
 * fetch, and above all the page-table walk, overlap the running bot's work instead of
 * stalling the next switch. A no-op where the context is not a stack pointer.
 */
#if defined(MOB_FIBER_UCONTEXT)
#define mob__ctx_prefetch(ctx) ((void)(ctx))
#else
#define mob__ctx_prefetch(ctx)                                                                     \
    (__builtin_prefetch((ctx)->sp, 1), __builtin_prefetch((char *)(ctx)->sp + 192, 1))
#endif

struct mob__stack;

/* The first function a new context runs. It must never return: when a fiber is done it
 * switches away for good. */
typedef void (*mob__entry_fn)(void *arg);

/*
 * Prepares `ctx` so that the first mob__switch to it calls entry(arg) on the stack
 * [stack_lo, stack_lo + size). If entry ever returns, the process aborts with "fiber function
 * returned past its trampoline".
 */
void mob__ctx_make(struct mob__ctx *ctx, void *stack_lo, size_t size, mob__entry_fn entry,
                   void *arg);

/*
 * Saves the callee-saved state of the running context into `from` and resumes `to`. Returns
 * when something switches back to `from`. The integer registers the ABI calls callee-saved,
 * and d8-d15 on aarch64; not the floating-point environment (MXCSR and the x87 control and
 * status words, FPCR and FPSR), which the asm switches leave to the thread: see mob__fpenv
 * below. (The ucontext switch does keep it per context: swapcontext saves it.) On x86-64
 * this is an inline statement, not a call (switch_x86_64.h says why); elsewhere a function.
 */
#if defined(__x86_64__) && !defined(MOB_FIBER_UCONTEXT) && !defined(__cplusplus)
#include "switch_x86_64.h"
/*
 * Every function the inline switch ends up in must be opaque to interprocedural analysis. To
 * the compiler the asm is a statement that touches memory it can see, but in truth it runs
 * other bots, which may change a static the enclosing code keeps in a register: with -flto,
 * GCC concluded that mob_yield leaves a caller's non-escaping static alone and served a stale
 * copy (tests/lto_statics.c). noipa makes every such function look like an unknown call.
 */
#if defined(__clang__)
#define MOB__SWITCHES __attribute__((noinline))
#elif defined(__GNUC__)
#define MOB__SWITCHES __attribute__((noipa))
#endif
#else
void mob__switch(struct mob__ctx *from, struct mob__ctx *to);
#endif
#ifndef MOB__SWITCHES
#define MOB__SWITCHES
#endif

/* Built with AddressSanitizer? (gcc says __SANITIZE_ADDRESS__, clang __has_feature.) */
#if defined(__SANITIZE_ADDRESS__)
#define MOB__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOB__ASAN 1
#endif
#endif

/* Built with ThreadSanitizer? */
#if defined(__SANITIZE_THREAD__)
#define MOB__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MOB__TSAN 1
#endif
#endif

/*
 * The switch the core makes every switch through: mob__switch, plus the AddressSanitizer or
 * ThreadSanitizer annotations when built with SAN=address or SAN=thread (platform/san.c).
 * `to_stack` is the stack `to` runs on, or NULL for the thread's own stack (the host
 * context); `from_done` is nonzero when the context being left will never be resumed (a bot
 * that has returned), so the sanitizer can drop what it kept for it. Without a sanitizer
 * this is mob__switch itself.
 */
#if defined(MOB__ASAN) || defined(MOB__TSAN)
void mob__switch_annotated(struct mob__ctx *from, struct mob__ctx *to,
                           const struct mob__stack *to_stack, int from_done);
#else
static inline void mob__switch_annotated(struct mob__ctx *from, struct mob__ctx *to,
                                         const struct mob__stack *to_stack, int from_done)
{
    (void)to_stack;
    (void)from_done;
    mob__switch(from, to);
}
#endif

/*
 * mob__switch_annotated for a context that will be resumed, returning `from` once it is.
 * With the inline x86-64 switch the pointer comes back in a register (switch_x86_64.h), so a
 * caller that needs its bot after the switch keeps nothing on the stack across it: no store
 * before the switch, no reload that waits on it after (mob_yield, `mob-bench switch --case 2`).
 * Elsewhere it is `from`, kept by the compiler as any other value.
 */
static inline __attribute__((always_inline)) struct mob__ctx *
mob__switch_resume(struct mob__ctx *from, struct mob__ctx *to, const struct mob__stack *to_stack)
{
#if defined(MOB__SWITCH_INLINE) && !defined(MOB__ASAN) && !defined(MOB__TSAN)
    (void)to_stack;
    return mob__switch(from, to);
#else
    mob__switch_annotated(from, to, to_stack, 0);
    return from;
#endif
}

/*
 * Jumps to `label` when the pointers `a` and `b` differ, without letting the compiler learn
 * that they are equal on the way through. mob_yield checks that its argument is the running
 * bot (`loop->current`) and then works with the value it loaded. Told they are equal, the
 * compiler would use the argument instead, and that register was just reloaded from the
 * stack by the caller: every store of the yield (the queue, the saved stack pointer) would
 * wait for that load, and the next yield's switch for those stores, one chain of memory
 * round trips through all the yields (`mob-bench switch --case 2`; tools/PERFORMANCE.md).
 * The loaded value depends only on the previous yield's store. A compare in asm carries no
 * such knowledge; elsewhere it is a plain compare.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define MOB__GOTO_IF_NE(a, b, label)                                                       \
    __asm__ goto("cmpq %0, %1\n\tjne %l[" #label "]" : : "r"(a), "r"(b) : "cc" : label)
#elif defined(__aarch64__) && defined(__GNUC__)
#define MOB__GOTO_IF_NE(a, b, label)                                                       \
    __asm__ goto("cmp %0, %1\n\tb.ne %l[" #label "]" : : "r"(a), "r"(b) : "cc" : label)
#else
#define MOB__GOTO_IF_NE(a, b, label)                                                       \
    do {                                                                                   \
        if ((a) != (b))                                                                    \
            goto label;                                                                    \
    } while (0)
#endif

/* "asm-x86_64", "asm-aarch64" or "ucontext". */
const char *mob__switch_name(void);

/*
 * A floating-point environment: everything fegetenv covers (x86-64: the x87 control, status
 * and tag words as fnstenv stores them, and MXCSR; aarch64: FPCR and FPSR), for a context
 * that keeps its own. The asm switches do not touch it, so by default all contexts of a
 * thread share one. For one that keeps its own, the core calls mob__fpenv_swap before every
 * switch into or out of it: the leaving side's environment (that context's, or the thread's
 * when it shares) is saved in `save`, the arriving side's loaded from `load`.
 *
 * With FIBER=ucontext both are no-ops (MOB__FPENV_PER_CONTEXT): swapcontext already saves
 * and restores the whole environment with every context, so there every bot keeps its own,
 * whatever it asked for.
 */
struct mob__fpenv {
    _Alignas(16) uint32_t w[8];
};
#if defined(MOB_FIBER_UCONTEXT)
#define MOB__FPENV_PER_CONTEXT 1
#endif
/* Fills `env` with the ABI's defaults: round to nearest, all exceptions masked, no flags.
 * Every env must be initialised so before its first use, including one that is first saved
 * into: a save writes only what carries state. */
void mob__fpenv_init(struct mob__fpenv *env);
void mob__fpenv_swap(struct mob__fpenv *save, const struct mob__fpenv *load);

/* ---------------------------------------------------------------------------------------- */
/* Stacks                                                                                   */
/* ---------------------------------------------------------------------------------------- */

enum mob__guard_kind {
    MOB__GUARD_MADVISE = 0, /* MADV_GUARD_INSTALL: a guard page that costs no extra mapping */
    MOB__GUARD_MPROTECT,    /* PROT_NONE page: one more mapping per stack, under the limit */
    MOB__GUARD_CANARY,      /* a magic word at the low end, checked on switch */
    MOB__GUARD_NONE
};

/* A stack handed out by a pool. `lo` is the lowest usable byte, `size` the usable bytes. */
struct mob__stack {
    void *lo;
    size_t size;
    int guard; /* enum mob__guard_kind actually in force for this stack */
    void *slot; /* pool bookkeeping; opaque to src/ */
#if defined(MOB__TSAN)
    void *tsan_fiber; /* ThreadSanitizer's fiber for the bot on it (san.c), made on first use */
#endif
};

/* A pool of same-size stacks carved from slabs; freed stacks are reused, never zeroed. */
struct mob__stack_pool;

/* What the creator of a pool asks for; with AUTO the pool picks the best guard it can
 * (madvise, else mprotect under the map limit, else canary). */
enum mob__guard_want { MOB__WANT_AUTO = 0, MOB__WANT_CANARY, MOB__WANT_NONE };

/* Creates a pool of stacks of at least `size` usable bytes. `want_guard` is an enum
 * mob__guard_want. Returns NULL on ENOMEM. */
struct mob__stack_pool *mob__stack_pool_new(size_t size, int want_guard);
void mob__stack_pool_free(struct mob__stack_pool *pool);
size_t mob__stack_pool_size(const struct mob__stack_pool *pool);

/* Returns 0 and fills *st, or -ENOMEM. `owner` is the bot id named if the stack overflows. */
int mob__stack_get(struct mob__stack_pool *pool, struct mob__stack *st, int owner);
void mob__stack_put(struct mob__stack_pool *pool, struct mob__stack *st);

/* Canary stacks: nonzero when the canary word at st->lo is intact. */
int mob__stack_canary_ok(const struct mob__stack *st);

/* "madvise", "mprotect", "canary", "none". */
const char *mob__guard_name(int guard_kind);

/* Installs the process-wide SIGSEGV handler (on an alternate stack) that turns a fault in a
 * stack guard into a one-line message naming the bot and its stack size. Idempotent. */
void mob__stack_install_overflow_handler(void);

/* ---------------------------------------------------------------------------------------- */
/* Memory                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* The page size, asked of the OS once (safe from any thread). */
size_t mob__page_size(void);

/* Maps in now, in one call, the whole pages inside [p, p + len), which the caller is about to
 * fill: cheaper than a page fault per page at first touch (platform/mem.c says how much).
 * Changes no byte. Best effort: does nothing where the OS cannot. */
void mob__mem_prefault(void *p, size_t len);

/* The same for n single pages, at first, first + stride, ... (page-aligned): in one call
 * where the kernel can take a vector of them (process_madvise), else not at all. */
void mob__mem_prefault_strided(char *first, size_t stride, int n);

/* madvise(advice) on n single pages at first, first + stride, ... (page-aligned), through
 * process_madvise on ourselves, a vector of up to 256 pages per call. Returns 0 when every
 * page was advised, -1 when the kernel (or valgrind) refuses: the caller falls back or gives
 * up. Used for stack guards and for prefaulting stack tops. */
int mob__mem_advise_strided(char *first, size_t stride, int n, int advice);

/* ---------------------------------------------------------------------------------------- */
/* Clock and process limits                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC in ns. */
int64_t mob__clock_ns(void);

/* Raises RLIMIT_NOFILE's soft limit to the hard limit. Returns the resulting soft limit. */
/* Sets the calling thread's timer slack (Linux: PR_SET_TIMERSLACK), the time the kernel may
 * add to a timed wait to batch wake-ups. Returns 0, or -errno (-ENOSYS elsewhere). */
int mob__set_timer_slack(int64_t ns);
int64_t mob__raise_fd_limit(void);

/* In a forked worker: asks the kernel to send `sig` when the parent dies (Linux), so workers
 * never outlive a killed parent. Returns 0, or -ENOSYS where the OS has no such thing (the
 * caller then relies on polling getppid()). */
int mob__die_with_parent(int sig);

/* ---------------------------------------------------------------------------------------- */
/* Poller                                                                                   */
/* ---------------------------------------------------------------------------------------- */

#define MOB__IN 1u
#define MOB__OUT 2u
/* Set together with IN (and OUT on error) when the peer hung up or an error is pending: a
 * lasting state, not an edge. The core then never assumes the fd drained after a short read,
 * since an edge-triggered backend will not report the hang-up again. */
#define MOB__HUP 4u

/* One readiness report. Hang-up and error are reported as MOB__IN | MOB__OUT, so the waiting
 * bot's next read or write returns the real error. */
struct mob__event {
    int fd;
    unsigned mask;
};

struct mob__poller;

/* Returns 0 and *out, or -errno. */
int mob__poller_new(struct mob__poller **out);
void mob__poller_free(struct mob__poller *p);

/*
 * Nonzero when the backend is edge-triggered (epoll EPOLLET, kqueue EV_CLEAR): the core then
 * registers each fd once for IN|OUT and never changes it. Level-triggered backends (poll) get
 * the interest of the waiting bots, updated only when it changes.
 */
int mob__poller_edge(void);

/* Changes the interest for fd from `old_mask` to `new_mask`; new_mask 0 removes it. The core
 * keeps both masks, so a backend never has to look anything up. Returns 0 or -errno. */
int mob__poller_set(struct mob__poller *p, int fd, unsigned old_mask, unsigned new_mask);

/*
 * Waits up to timeout_ns (-1: forever, 0: just look) and stores at most `max` events. Returns
 * the event count (0 on timeout), or -errno (-EINTR is returned as 0).
 */
int mob__poller_wait(struct mob__poller *p, int64_t timeout_ns, struct mob__event *events,
                     int max);

/* The fd a host loop can watch for readiness of this poller, or -1. */
int mob__poller_fd(const struct mob__poller *p);

/* "epoll", "kqueue" or "poll". */
const char *mob__poller_name(void);

#endif /* MOB_PLATFORM_H */
