/* SPDX-License-Identifier: MIT */
/*
 * ctx_ucontext.c: the portable context switch (make FIBER=ucontext), built on
 * getcontext/makecontext/swapcontext for CPUs without a switch_<arch>.S. It is the
 * correctness path, not the fast one: glibc's swapcontext makes a sigprocmask system call on
 * every switch (about 400 ns against under 10 ns for the asm switch).
 *
 * Where the registers go: a suspended context is always inside mob__switch, so its
 * ucontext_t is a local of that call, on its own stack, and struct mob__ctx keeps only a
 * pointer to it. That keeps struct mob__ctx small on every libc (glibc's ucontext_t is about
 * 1 KiB on x86-64 and 4.5 KiB on aarch64) and costs nothing until a context is first
 * suspended. A new context keeps its entry point instead, and the first switch to it builds
 * its ucontext_t with makecontext on the switcher's stack.
 *
 * Floating point, unlike the asm switches: swapcontext saves and restores the whole FP
 * environment (glibc: fnstenv/fldenv and stmxcsr/ldmxcsr on x86-64, FPCR/FPSR on aarch64), so
 * here every context keeps its own rounding mode, exception masks and sticky exception flags,
 * as a bot that asks for its own environment does with the asm switches, and the core's
 * mob__fpenv_swap is a no-op. A new context starts with the default environment (FE_DFL_ENV),
 * not the spawner's.
 *
 * Read next: platform/switch_x86_64.h, the inline asm switch that does the same thing without
 * a system call.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include "platform.h"
#include "san.h"

/* The state a struct mob__ctx holds in its opaque storage. */
struct ucstate {
    ucontext_t *uc;       /* the suspended context's registers, in its mob__switch frame */
    mob__entry_fn entry;  /* set until the context first runs */
    void *arg;
    void *stack_lo;
    size_t stack_size;
};

_Static_assert(sizeof(struct ucstate) <= sizeof(struct mob__ctx),
               "struct mob__ctx must hold the ucontext switch's state");
_Static_assert(_Alignof(struct ucstate) <= _Alignof(struct mob__ctx),
               "struct mob__ctx is not aligned enough for the ucontext switch's state");

/* Which context is starting, for start() (makecontext can pass only ints portably). */
static _Thread_local struct ucstate *starting;

const char *mob__switch_name(void) { return "ucontext"; }

static struct ucstate *state(struct mob__ctx *ctx) { return (struct ucstate *)(void *)ctx->uc; }

void mob__fiber_returned(void);
void mob__fiber_returned(void)
{
    fputs("mob: fiber function returned past its trampoline\n", stderr);
    abort();
}

void mob__ctx_make(struct mob__ctx *ctx, void *stack_lo, size_t size, mob__entry_fn entry,
                   void *arg)
{
#if defined(MOB__ASAN)
    mob__san_wrap(stack_lo, &size, &entry, &arg);
#endif
    struct ucstate *s = state(ctx);
    s->uc = NULL;
    s->entry = entry;
    s->arg = arg;
    s->stack_lo = stack_lo;
    s->stack_size = size;
}

/* swapcontext keeps each context's FP environment already (the file top says so). */
void mob__fpenv_init(struct mob__fpenv *env) { (void)env; }
void mob__fpenv_swap(struct mob__fpenv *save, const struct mob__fpenv *load)
{
    (void)save;
    (void)load;
}

/* The first frame of a new context. */
static void start(void)
{
    struct ucstate *s = starting;
    mob__entry_fn entry = s->entry;
    void *arg = s->arg;
    s->entry = NULL;
    fesetenv(FE_DFL_ENV);
    entry(arg);
    mob__fiber_returned();
}

void mob__switch(struct mob__ctx *from, struct mob__ctx *to)
{
    struct ucstate *f = state(from), *t = state(to);
    ucontext_t here;
    f->uc = &here;
    f->entry = NULL;
    if (t->entry) {
        ucontext_t boot;
        if (getcontext(&boot) != 0)
            abort();
        boot.uc_stack.ss_sp = t->stack_lo;
        boot.uc_stack.ss_size = t->stack_size;
        boot.uc_link = NULL;
        makecontext(&boot, start, 0);
        starting = t;
        if (swapcontext(&here, &boot) != 0)
            abort();
    } else if (swapcontext(&here, t->uc) != 0) {
        abort();
    }
}
