/* SPDX-License-Identifier: MIT */
/*
 * error.c: error names and messages for the -errno values mob returns, and the panic that
 * reports a broken contract (file and line) and aborts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The errno values the runtime and its protocols return, by name. */
#define MOB__ERRNOS(X)                                                                         \
    X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES)         \
    X(EFAULT) X(EBUSY) X(EEXIST) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOSPC) X(EPIPE) X(ERANGE)    \
    X(EDEADLK) X(ENAMETOOLONG) X(ENOSYS) X(ENODATA) X(EPROTO) X(EBADMSG) X(EOVERFLOW)          \
    X(EMSGSIZE) X(EPROTONOSUPPORT) X(EAFNOSUPPORT) X(EADDRINUSE) X(EADDRNOTAVAIL)              \
    X(ENETDOWN) X(ENETUNREACH) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN)             \
    X(ENOTCONN) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTUNREACH) X(EALREADY) X(EINPROGRESS)        \
    X(ECANCELED) X(ENOTSUP) X(ENOTSOCK) X(EDESTADDRREQ)

const char *mob_errname(int rc)
{
    if (rc >= 0)
        return "OK";
    switch (-rc) {
#define MOB__CASE(e)                                                                           \
    case e:                                                                                    \
        return #e;
        MOB__ERRNOS(MOB__CASE)
#undef MOB__CASE
    default:
        return "E?";
    }
}

const char *mob_strerror(int rc)
{
    if (rc >= 0)
        return "success";
    if (rc == -ECANCELED)
        return "operation canceled (the bot was cancelled)";
    return strerror(-rc);
}

void mob_panic(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mob: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
