/* SPDX-License-Identifier: MIT */
/*
 * builtin.c: which built-in suite a target names (mob_builtin_suite), the arena:// targets,
 * the one HOST:PORT[/PATH] splitter, and the instances every suite uses with their owner's
 * mob_suite_free.
 *
 * Read next: src/suites/http.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mob_arena.h"
#include "mob_io.h"
#include "suites.h"

int mob__suite_host_port(const char *hp, char *host, size_t hostlen, int *port, char *path,
                         size_t pathlen)
{
    const char *h = hp, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end || end[1] != ':')
            return -1;
        h++;
    } else {
        end = strchr(h, ':');
        if (!end)
            return -1;
    }
    size_t n = (size_t)(end - h);
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = 0;
    const char *p = end + (*end == ']' ? 2 : 1);
    char *e;
    long v = strtol(p, &e, 10);
    if (e == p || (*e && *e != '/') || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    if (path) {
        const char *pa = *e ? e : "/";
        if (strlen(pa) >= pathlen)
            return -1;
        strcpy(path, pa);
    }
    return 0;
}

/* What an instance's owner frees it with, ahead of its bytes. */
union instance_head {
    void (*fini)(void *instance);
    max_align_t align;
};

static void instance_free(void *instance)
{
    union instance_head *h = (union instance_head *)instance - 1;
    if (h->fini)
        h->fini(instance);
    MOB_FREE(h);
}

/* Every instance starts with its mob_suite, so the suite's address is the instance's. */
void mob__suite_release(const mob_suite *s)
{
    instance_free((void *)(uintptr_t)s);
}

const mob_suite *mob__suite_new(size_t size, mob__suite_make_fn make,
                                void (*fini)(void *instance), const char *target,
                                const mob_suite_args *args, char *err, size_t errlen)
{
    union instance_head *h = MOB_CALLOC(1, sizeof *h + size);
    if (!h) {
        snprintf(err, errlen, "%s", mob_strerror(-ENOMEM));
        return NULL;
    }
    h->fini = fini;
    if (make(h + 1, target, args, err, errlen) < 0) {
        instance_free(h + 1);
        return NULL;
    }
    return (const mob_suite *)(void *)(h + 1);
}

void mob_suite_free(const mob_suite *s)
{
    if (s && s->release)
        s->release(s);
}

int mob__suite_resolve(const char *host, int port, const char *target, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    char why[160];
    if (mob_resolve(host, port, &ss, why, sizeof why) >= 0)
        return 0;
    snprintf(err, errlen, "cannot resolve host '%s' of '%s': %s", host, target, why);
    return -1;
}

const mob_suite *mob__suite_arena(const char *target, const mob_suite_args *args, char *err,
                                  size_t errlen)
{
    (void)args;
    int ws = strncmp(target, "arena+ws://", 11) == 0;
    char host[256], path[64];
    int port;
    const mob_suite *s = NULL;
    const char *rest = target + (ws ? 11 : 8);
    if (strcmp(rest, "in-process") == 0)
        s = mob_arena_suite(NULL, 0, ws, NULL);
    else if (mob__suite_host_port(rest, host, sizeof host, &port, path, sizeof path) == 0) {
        if (mob__suite_resolve(host, port, target, err, errlen) < 0)
            return NULL;
        s = mob_arena_suite(host, port, ws, NULL);
    }
    if (!s)
        snprintf(err, errlen, "bad URL '%s' (want arena://HOST:PORT or arena+ws://...)", target);
    return s;
}

static int has_scheme(const char *target, const char *scheme)
{
    return strncmp(target, scheme, strlen(scheme)) == 0;
}

const mob_suite *mob_builtin_suite(const char *target, const mob_suite_args *args, char *err,
                                   size_t errlen)
{
    static const mob_suite_args defaults;
    if (!args)
        args = &defaults;
    if (has_scheme(target, "http://") || has_scheme(target, "https://"))
        return mob__suite_http(target, args, err, errlen);
    if (has_scheme(target, "tcp://"))
        return mob__suite_tcp(target, args, err, errlen);
    if (has_scheme(target, "ws://") || has_scheme(target, "wss://"))
        return mob__suite_ws_echo(target, args, err, errlen);
    if (has_scheme(target, "arena://") || has_scheme(target, "arena+ws://"))
        return mob__suite_arena(target, args, err, errlen);
    snprintf(err, errlen, "bad target '%s' (want http[s]://, tcp://, ws[s]://, arena:// or a .so)",
             target);
    return NULL;
}
