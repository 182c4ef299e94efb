/* SPDX-License-Identifier: MIT */
/* tool.h: the built-in suites of the mob command (http.c, tcp.c), chosen in main.c; ws:// and
 * arena:// come from the library (mob_arena_cli_suite, src/run/arena_cli.c). */
#ifndef MOB_TOOL_H
#define MOB_TOOL_H

#include <stddef.h>

#include "mob_run.h"

/* Each parses its target and returns its suite, or NULL with a message in err. */
const mob_suite *mob_tool_http_suite(const char *target, char *err, size_t errlen);
const mob_suite *mob_tool_tcp_suite(const char *target, char *err, size_t errlen);

/* Splits "SCHEME://HOST:PORT[/...]" into host and port (IPv6 in brackets). 0 or -1. */
int mob_tool_host_port(const char *target, size_t scheme_len, char *host, size_t hostlen,
                       int *port);

#endif
