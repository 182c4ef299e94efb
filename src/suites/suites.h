/* SPDX-License-Identifier: MIT */
/*
 * suites.h: what the built-in suites share (builtin.c chooses among them), and nobody else
 * includes. Like a user's suite, they use the public headers only.
 */
#ifndef MOB_SUITES_PRIVATE_H
#define MOB_SUITES_PRIVATE_H

#include <stddef.h>

#include "mob_base.h"
#include "mob_suites.h"

/* Splits "HOST:PORT[/PATH]" (IPv6 in brackets: "[::1]:80"), the part after "scheme://".
 * path may be NULL (then anything after the port but a '/' is refused); it gets "/" when the
 * target has no path. Returns 0, or -1 for a malformed target or one too long for the
 * buffers. */
int mob__suite_host_port(const char *hp, char *host, size_t hostlen, int *port, char *path,
                         size_t pathlen);

/* A built-in suite's constructor: fills a zeroed instance (its mob_suite first, whose ud
 * points back at it; its target; what its bots share) from the target and args. 0, or -1 with
 * a message in err. */
typedef int (*mob__suite_make_fn)(void *instance, const char *target,
                                  const mob_suite_args *args, char *err, size_t errlen);

/* Makes an instance of `size` bytes with make, so that several targets of one scheme are
 * several kinds of one run, and returns its suite, whose release (mob__suite_release) calls
 * fini (may be NULL: what the instance points to) and frees it. NULL with a message in err
 * when make fails (the instance is freed then) or memory is short. */
const mob_suite *mob__suite_new(size_t size, mob__suite_make_fn make,
                                void (*fini)(void *instance), const char *target,
                                const mob_suite_args *args, char *err, size_t errlen);
/* What make sets as its suite's release. */
void mob__suite_release(const mob_suite *s);

/* Resolves a target's host once, before the load (mob_resolve); -1 with "cannot resolve host
 * 'HOST' of 'TARGET': REASON" in err. */
int mob__suite_resolve(const char *host, int port, const char *target, char *err, size_t errlen);

/* Each parses its whole target, takes what it needs from args (never NULL here) and returns
 * its suite, or NULL with a message in err. */
const mob_suite *mob__suite_http(const char *target, const mob_suite_args *args, char *err,
                                 size_t errlen);
const mob_suite *mob__suite_tcp(const char *target, const mob_suite_args *args, char *err,
                                size_t errlen);
const mob_suite *mob__suite_ws_echo(const char *target, const mob_suite_args *args, char *err,
                                    size_t errlen);
/* "ws[s]://HOST[:PORT][/PATH]" parsed by the rules of the http[s]:// URL it stands for
 * (mob_http_url_parse): port 80 for ws://, 443 for wss:// when the URL has none, url->tls
 * for wss://. Returns 0, or -EINVAL for another scheme or a URL http would refuse. */
struct mob_http_url;
int mob__suite_ws_url(const char *target, struct mob_http_url *url);

const mob_suite *mob__suite_arena(const char *target, const mob_suite_args *args, char *err,
                                  size_t errlen);

#endif /* MOB_SUITES_PRIVATE_H */
