/* SPDX-License-Identifier: MIT */
/*
 * san.h: private to platform/: how the context files start a fiber under AddressSanitizer.
 * A new fiber's first instruction must tell ASan it has arrived on a new stack
 * (__sanitizer_finish_switch_fiber), so under ASan mob__ctx_make stores the real entry and
 * argument at the top of the new stack and starts the fiber in mob__san_boot instead.
 * Read platform/san.c for the switch side.
 */
#ifndef MOB_PLATFORM_SAN_H
#define MOB_PLATFORM_SAN_H

#include "platform.h"

#if defined(MOB__ASAN)
struct mob__san_boot {
    mob__entry_fn entry;
    void *arg;
};
/* The entry every fiber starts in under ASan; boot points to a struct mob__san_boot. */
void mob__san_boot(void *boot);

/* Called by mob__ctx_make: keeps the real entry and argument at the top of the new stack
 * and makes the fiber start in mob__san_boot. Shrinks *size by what it used. */
static inline void mob__san_wrap(void *stack_lo, size_t *size, mob__entry_fn *entry,
                                 void **arg)
{
    uintptr_t top = ((uintptr_t)stack_lo + *size - sizeof(struct mob__san_boot)) &
                    ~(uintptr_t)15;
    struct mob__san_boot *b = (struct mob__san_boot *)top;
    b->entry = *entry;
    b->arg = *arg;
    *entry = mob__san_boot;
    *arg = b;
    *size = top - (uintptr_t)stack_lo;
}
#endif

#endif
