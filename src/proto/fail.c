/* SPDX-License-Identifier: MIT */
/*
 * fail.c: the failure classes of a request (connect, read, write, timeout, status, protocol):
 * which class a result falls in, and its name in reports.
 */
#include <errno.h>

#include "mob_http.h"

int mob_err_classify(int rc, int phase)
{
    if (rc >= 0)
        return MOB_ERR_NONE;
    switch (-rc) {
    case ETIMEDOUT:
        return MOB_ERR_TIMEOUT;
    case ECANCELED:
        return MOB_ERR_CANCELED;
    case EPROTO:
    case EBADMSG:
    case EMSGSIZE:
        return MOB_ERR_PROTOCOL;
    default:
        break;
    }
    switch (phase) {
    case MOB_PHASE_CONNECT:
        return MOB_ERR_CONNECT;
    case MOB_PHASE_WRITE:
        return MOB_ERR_WRITE;
    default:
        return MOB_ERR_READ;
    }
}

const char *mob_err_class_name(int cls)
{
    static const char *const names[MOB_ERR_NCLASS] = {
        "none", "connect", "read", "write", "timeout", "status", "protocol", "canceled",
    };
    if (cls < 0 || cls >= MOB_ERR_NCLASS)
        return "unknown";
    return names[cls];
}
