/* SPDX-License-Identifier: MIT */
/*
 * mob_suites.h: the built-in suites of the `mob` command, one per scheme, all in src/suites/:
 *
 *   http://HOST[:PORT][/PATH]   keep-alive HTTP/1.1 GET bots, like wrk's connections (http.c)
 *   tcp://HOST:PORT             echo bots: write --size bytes, read them back (tcp.c)
 *   ws[s]://HOST[:PORT][/PATH]  WebSocket echo bots, one message per run (ws_echo.c)
 *   arena://HOST:PORT           arena players over TCP frames (mob_arena_suite, arena.c)
 *   arena+ws://HOST:PORT        arena players over WebSocket
 *   arena://in-process          arena players and the arena itself in the runner's loop
 *
 * A program that links the library gets the whole command with
 * `mob_main_ex(argc, argv, NULL, mob_builtin_suite)`.
 */
#ifndef MOB_SUITES_H
#define MOB_SUITES_H

#include <stddef.h>

#include "mob_run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The suite for `target` (a mob_suite_chooser), or NULL with a one-line message in err when
 * the scheme is unknown, the URL malformed or an argument out of range. args may be NULL
 * (every suite's defaults). Each http(s)://, tcp:// and ws(s):// call makes a suite of its
 * own, its target in its ud (several targets of one scheme run side by side), which the
 * caller owns: mob_suite_free once no run of it is left. arena:// suites are one per process
 * (mob_arena_suite): a second choice replaces the first, and freeing them does nothing. */
const mob_suite *mob_builtin_suite(const char *target, const mob_suite_args *args, char *err,
                                   size_t errlen);

/* Frees a suite mob_builtin_suite (or any chooser) made: calls its release (mob_suite.release,
 * with an https:// or wss:// suite's TLS context). NULL, or a suite without release: nothing. */
void mob_suite_free(const mob_suite *s);

#ifdef __cplusplus
}
#endif

#endif /* MOB_SUITES_H */
