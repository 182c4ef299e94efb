/* SPDX-License-Identifier: MIT */
/* tool.h: what the files of the mob command share (main.c chooses, source.c builds). */
#ifndef MOB_TOOL_H
#define MOB_TOOL_H

#include <stddef.h>

/* Builds the C file src into a shared object in the cache (or finds it built) and writes its
 * path to so. Returns 0, or -1 with the reason in err (the compiler's messages, if any, went
 * to stderr). */
int mob_tool_build_source(const char *src, char *so, size_t cap, char *err, size_t errlen);

#endif
