/* SPDX-License-Identifier: MIT */
/*
 * net.c: making sockets for bots: address parsing (numeric, "localhost", names resolved once
 * by mob_resolve, /etc/hosts and "unix:/path"), TCP and Unix connect with an optional source
 * address, listen, accept, and UDP sockets. Every socket is non-blocking and close-on-exec, never raises
 * SIGPIPE, and belongs to the bot that made it (closed when it returns).
 *
 * Waiting and the byte moving itself are in io.c; read that first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io_fd.h"

/* ---------------------------------------------------------------------------------------- */
/* Addresses                                                                                */
/* ---------------------------------------------------------------------------------------- */

static int addr_numeric(const char *host, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return (int)sizeof *a4;
    }
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = '\0';
        host = tmp;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return (int)sizeof *a6;
    }
    return -EINVAL;
}

/* Looks `name` up in /etc/hosts, the only name service mob uses (a load test must not make
 * DNS traffic of its own). */
static int addr_hosts_file(const char *name, int port, struct sockaddr_storage *out)
{
    FILE *f = fopen("/etc/hosts", "r");
    if (!f)
        return -EINVAL;
    char line[512];
    int rc = -EINVAL;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *addr = strtok_r(line, " \t\r\n", &save);
        if (!addr)
            continue;
        for (char *h; (h = strtok_r(NULL, " \t\r\n", &save));)
            if (!strcmp(h, name)) {
                rc = addr_numeric(addr, port, out);
                break;
            }
    }
    fclose(f);
    return rc;
}

/*
 * Names mob_resolve looked up, kept for the life of the process: a name is resolved once,
 * before the load, and every connect after that finds its address here without a lookup.
 * Appended to only by mob_resolve (before the loops run); read by any loop, so an entry is
 * complete before the count that publishes it moves.
 */
#define RESOLVED_MAX 64
static struct resolved {
    char name[256];
    struct sockaddr_storage addr; /* port 0 */
    socklen_t len;
} resolved[RESOLVED_MAX];
static int nresolved;

static int addr_resolved(const char *name, int port, struct sockaddr_storage *out)
{
    int n = __atomic_load_n(&nresolved, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (strcmp(resolved[i].name, name) == 0) {
            *out = resolved[i].addr;
            if (out->ss_family == AF_INET)
                ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
            return (int)resolved[i].len;
        }
    return -EINVAL;
}

int mob_resolve(const char *host, int port, struct sockaddr_storage *out, char *err,
                size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    int rc = mob_addr_parse(host, port, out);
    if (rc >= 0 || !host || strlen(host) >= sizeof resolved[0].name)
        return rc;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* IPv4 and IPv6, in the order the system prefers */
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, NULL, &hints, &res);
    if (g != 0 || !res) {
        if (err && errlen)
            snprintf(err, errlen, "%s", g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
        if (res)
            freeaddrinfo(res);
        return -EHOSTUNREACH;
    }
    struct addrinfo *a = res;
    while (a && a->ai_family != AF_INET && a->ai_family != AF_INET6)
        a = a->ai_next;
    if (!a || a->ai_addrlen > sizeof(struct sockaddr_storage)) {
        freeaddrinfo(res);
        if (err && errlen)
            snprintf(err, errlen, "no IPv4 or IPv6 address");
        return -EHOSTUNREACH;
    }
    int n = __atomic_load_n(&nresolved, __ATOMIC_ACQUIRE);
    if (n < RESOLVED_MAX) {
        struct resolved *e = &resolved[n];
        snprintf(e->name, sizeof e->name, "%s", host);
        memset(&e->addr, 0, sizeof e->addr);
        memcpy(&e->addr, a->ai_addr, a->ai_addrlen);
        e->len = a->ai_addrlen;
        __atomic_store_n(&nresolved, n + 1, __ATOMIC_RELEASE);
    }
    memset(out, 0, sizeof *out);
    memcpy(out, a->ai_addr, a->ai_addrlen);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    rc = (int)a->ai_addrlen;
    freeaddrinfo(res);
    return rc;
}

int mob_addr_parse(const char *host, int port, struct sockaddr_storage *out)
{
    if (!host || !out || port < 0 || port > 65535)
        return -EINVAL;
    if (!strncmp(host, "unix:", 5)) {
        struct sockaddr_un *un = (struct sockaddr_un *)out;
        size_t n = strlen(host + 5);
        if (n == 0 || n >= sizeof un->sun_path)
            return -EINVAL;
        memset(out, 0, sizeof *out);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, host + 5, n + 1);
        return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    int rc = addr_numeric(host, port, out);
    if (rc >= 0)
        return rc;
    /* Fixed, so that a machine without /etc/hosts (a container) still knows it. */
    if (!strcmp(host, "localhost"))
        return addr_numeric("127.0.0.1", port, out);
    if (addr_resolved(host, port, out) >= 0)
        return addr_resolved(host, port, out);
    return addr_hosts_file(host, port, out);
}

int mob_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

/* ---------------------------------------------------------------------------------------- */
/* Sockets                                                                                  */
/* ---------------------------------------------------------------------------------------- */

void mob__sock_prepare(int fd)
{
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#else
    (void)fd;
#endif
}

/* A non-blocking, close-on-exec socket: one system call where SOCK_NONBLOCK exists. */
static int sock_new(int family, int type)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
#else
    int fd = socket(family, type, 0);
    if (fd < 0)
        return -errno;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
    mob__sock_prepare(fd);
    return fd;
}

/* Gives a new fd to `self` (when not NULL); on failure closes it and returns -ENOMEM. */
static int sock_own(mob_bot *self, int fd, unsigned flags)
{
    if (!self)
        return fd;
    int rc = mob__fd_own(self, fd, flags);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static void sock_set_int(int fd, int level, int name, int value)
{
    setsockopt(fd, level, name, &value, sizeof value);
}

int mob_connect(mob_bot *self, const struct sockaddr *addr, socklen_t len,
                const mob_connect_options *opt, int64_t deadline)
{
    int t = mob__io_begin(self, deadline);
    if (t < 0)
        return t;
    int family = addr->sa_family;
    int fd = sock_new(family, SOCK_STREAM);
    if (fd < 0)
        return fd;
    if ((fd = sock_own(self, fd, 0)) < 0)
        return fd;
    int rc;
    if (family != AF_UNIX && !(opt && opt->nodelay == -1))
        sock_set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (opt && opt->sndbuf > 0)
        sock_set_int(fd, SOL_SOCKET, SO_SNDBUF, opt->sndbuf);
    if (opt && opt->rcvbuf > 0)
        sock_set_int(fd, SOL_SOCKET, SO_RCVBUF, opt->rcvbuf);
    if (opt && opt->source) {
        struct sockaddr_storage src;
        int slen = mob_addr_parse(opt->source, 0, &src);
        if (slen < 0 || src.ss_family != family) {
            rc = -EINVAL;
            goto fail;
        }
        if (bind(fd, (struct sockaddr *)&src, (socklen_t)slen) < 0) {
            rc = -errno;
            goto fail;
        }
    }
    if (connect(fd, addr, len) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR && errno != EAGAIN) {
        /* Unix sockets give EAGAIN when the backlog is full: retrying after writable is not
         * defined for them, so that one is reported as it is. */
        rc = -errno;
        goto fail;
    }
    if (family == AF_UNIX && errno == EAGAIN) {
        rc = -EAGAIN;
        goto fail;
    }
    struct mob__fdent *e = mob__fd_get(self->loop->io, fd);
    if (!e) {
        rc = -ENOMEM;
        goto fail;
    }
    e->ready &= (unsigned char)~MOB__OUT;
    rc = mob__fd_park(self, e, MOB__OUT, deadline);
    if (rc < 0)
        goto fail;
    int err = 0;
    socklen_t elen = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        err = errno;
    if (err == 0)
        return fd;
    rc = -err;
fail:
    mob_close(self, fd);
    return rc;
}

int mob_tcp_connect(mob_bot *self, const char *host, int port, const mob_connect_options *opt,
                    int64_t deadline)
{
    struct sockaddr_storage ss;
    int len = mob_addr_parse(host, port, &ss);
    if (len < 0)
        return len;
    return mob_connect(self, (struct sockaddr *)&ss, (socklen_t)len, opt, deadline);
}

/* Makes a socket bound to host:port (NULL host: any IPv4 address). */
static int sock_bound(mob_bot *self, const char *host, int port, int type, unsigned flags)
{
    if (self)
        MOB_CHECK_SELF(self);
    struct sockaddr_storage ss;
    int len = mob_addr_parse(host ? host : "0.0.0.0", port, &ss);
    if (len < 0)
        return len;
    int fd = sock_new(ss.ss_family, type);
    if (fd < 0)
        return fd;
    if (type == SOCK_STREAM && ss.ss_family != AF_UNIX)
        sock_set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (bind(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return sock_own(self, fd, flags);
}

int mob_tcp_listen(mob_bot *self, const char *host, int port, int backlog)
{
    int fd = sock_bound(self, host, port, SOCK_STREAM, 0);
    if (fd < 0)
        return fd;
    if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
        int rc = -errno;
        if (self)
            mob_close(self, fd);
        else
            close(fd);
        return rc;
    }
    return fd;
}

int mob_udp_socket(mob_bot *self, const char *host, int port)
{
    return sock_bound(self, host, port, SOCK_DGRAM, MOB__FD_DGRAM);
}

int mob_accept(mob_bot *self, int lfd, int64_t deadline)
{
    int t = mob__io_begin(self, deadline);
    if (t < 0)
        return t;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept(lfd, (struct sockaddr *)&ss, &len);
        if (fd >= 0) {
            /* POSIX accept(2) has no flags argument: two fcntl calls, off the hot path. */
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            mob__sock_prepare(fd);
            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
                sock_set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
            return sock_own(self, fd, 0);
        }
        /* A connection reset before we took it is the peer's business, not ours. */
        if (errno == ECONNABORTED)
            continue;
        int rc = mob__fd_retry(self, lfd, MOB__IN, deadline);
        if (rc < 0)
            return rc;
    }
}
