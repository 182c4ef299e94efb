/* SPDX-License-Identifier: MIT */
/*
 * test_fail.c: the one failure vocabulary (mob_fail.h, src/proto/fail.c): a phase decides what
 * a generic error counts as, a few errors are the same in every phase, a class passes through
 * unchanged, and every class has the name the reports print.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "mob_fail.h"

Test(fail, the_phase_decides_generic_errors)
{
    cr_expect_eq(mob_fail_classify(-ECONNREFUSED, MOB_PHASE_CONNECT), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-EMFILE, MOB_PHASE_CONNECT), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-ECONNRESET, MOB_PHASE_CONNECT), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-EPIPE, MOB_PHASE_WRITE), MOB_FAIL_WRITE);
    cr_expect_eq(mob_fail_classify(-ECONNRESET, MOB_PHASE_WRITE), MOB_FAIL_WRITE);
    cr_expect_eq(mob_fail_classify(-ECONNRESET, MOB_PHASE_READ), MOB_FAIL_READ);
    cr_expect_eq(mob_fail_classify(-EPIPE, MOB_PHASE_READ), MOB_FAIL_READ);
}

Test(fail, timeouts_protocol_errors_and_cancellation_are_the_same_in_every_phase)
{
    for (int ph = MOB_PHASE_ANY; ph <= MOB_PHASE_READ; ph++) {
        cr_expect_eq(mob_fail_classify(-ETIMEDOUT, ph), MOB_FAIL_TIMEOUT, "phase %d", ph);
        cr_expect_eq(mob_fail_classify(-EPROTO, ph), MOB_FAIL_PROTOCOL, "phase %d", ph);
        cr_expect_eq(mob_fail_classify(-EBADMSG, ph), MOB_FAIL_PROTOCOL, "phase %d", ph);
        cr_expect_eq(mob_fail_classify(-EMSGSIZE, ph), MOB_FAIL_PROTOCOL, "phase %d", ph);
        cr_expect_eq(mob_fail_classify(-ECANCELED, ph), MOB_FAIL_CANCELED, "phase %d", ph);
    }
}

Test(fail, without_a_phase_the_errno_decides)
{
    cr_expect_eq(mob_fail_classify(-ECONNREFUSED, MOB_PHASE_ANY), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-EADDRNOTAVAIL, MOB_PHASE_ANY), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-EHOSTUNREACH, MOB_PHASE_ANY), MOB_FAIL_CONNECT);
    cr_expect_eq(mob_fail_classify(-EPIPE, MOB_PHASE_ANY), MOB_FAIL_WRITE);
    cr_expect_eq(mob_fail_classify(-ECONNRESET, MOB_PHASE_ANY), MOB_FAIL_READ);
    cr_expect_eq(mob_fail_classify(-EMFILE, MOB_PHASE_ANY), MOB_FAIL_OTHER);
    cr_expect_eq(mob_fail_classify(-EIO, MOB_PHASE_ANY), MOB_FAIL_OTHER);
}

Test(fail, a_class_passes_through_and_anything_else_positive_is_other)
{
    for (int c = MOB_FAIL_NONE; c < MOB_FAIL_NCLASS; c++)
        for (int ph = MOB_PHASE_ANY; ph <= MOB_PHASE_READ; ph++)
            cr_expect_eq(mob_fail_classify(c, ph), c);
    cr_expect_eq(mob_fail_classify(MOB_FAIL_NCLASS, MOB_PHASE_ANY), MOB_FAIL_OTHER);
    cr_expect_eq(mob_fail_classify(200, MOB_PHASE_READ), MOB_FAIL_OTHER);
}

Test(fail, the_tls_handshake_phase_is_its_own_class_but_for_timeouts_and_cancels)
{
    cr_expect_eq(mob_fail_classify(-ECONNABORTED, MOB_PHASE_TLS), MOB_FAIL_TLS);
    cr_expect_eq(mob_fail_classify(-ECONNRESET, MOB_PHASE_TLS), MOB_FAIL_TLS);
    cr_expect_eq(mob_fail_classify(-EPROTO, MOB_PHASE_TLS), MOB_FAIL_TLS);
    cr_expect_eq(mob_fail_classify(-ETIMEDOUT, MOB_PHASE_TLS), MOB_FAIL_TIMEOUT);
    cr_expect_eq(mob_fail_classify(-ECANCELED, MOB_PHASE_TLS), MOB_FAIL_CANCELED);
}

Test(fail, names)
{
    static const char *const want[MOB_FAIL_NCLASS] = {"ok",      "connect", "read",
                                                      "write",   "timeout", "status",
                                                      "protocol", "other",   "tls",
                                                      "check"};
    for (int c = 0; c < MOB_FAIL_NCLASS; c++)
        cr_expect_str_eq(mob_fail_name(c), want[c]);
    cr_expect_str_eq(mob_fail_name(MOB_FAIL_CANCELED), "canceled");
    cr_expect_str_eq(mob_fail_name(MOB_FAIL_NCLASS), "other");
    cr_expect_str_eq(mob_fail_name(-7), "other");
}
