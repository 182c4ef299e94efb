/* SPDX-License-Identifier: MIT */
/*
 * fail.c: the one failure vocabulary (mob_fail.h): which class a result falls in, and its
 * name in reports.
 */
#include <errno.h>

#include "mob_fail.h"

int mob_fail_classify(int rc, int phase)
{
    if (rc >= 0)
        return rc < MOB_FAIL_NCLASS ? rc : MOB_FAIL_OTHER;
    switch (-rc) {
    case ECANCELED:
        return MOB_FAIL_CANCELED;
    case ETIMEDOUT:
        return MOB_FAIL_TIMEOUT;
    default:
        break;
    }
    if (phase == MOB_PHASE_TLS)
        return MOB_FAIL_TLS;
    switch (-rc) {
    case EPROTO:
    case EBADMSG:
    case EMSGSIZE:
        return MOB_FAIL_PROTOCOL;
    default:
        break;
    }
    switch (phase) {
    case MOB_PHASE_CONNECT:
        return MOB_FAIL_CONNECT;
    case MOB_PHASE_WRITE:
        return MOB_FAIL_WRITE;
    case MOB_PHASE_READ:
        return MOB_FAIL_READ;
    default:
        break;
    }
    switch (-rc) {
    case ECONNREFUSED:
    case EADDRNOTAVAIL:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRINUSE:
        return MOB_FAIL_CONNECT;
    case EPIPE:
        return MOB_FAIL_WRITE;
    case ECONNRESET:
        return MOB_FAIL_READ;
    default:
        return MOB_FAIL_OTHER;
    }
}

const char *mob_fail_name(int cls)
{
    static const char *const names[MOB_FAIL_NCLASS] = {"ok",      "connect", "read",
                                                       "write",   "timeout", "status",
                                                       "protocol", "other", "tls", "check"};
    if (cls == MOB_FAIL_CANCELED)
        return "canceled";
    return cls >= 0 && cls < MOB_FAIL_NCLASS ? names[cls] : "other";
}
