/* SPDX-License-Identifier: MIT */
/*
 * proc.c: what the layers above need from the OS about processes, through the core's public
 * API (they must not reach platform/ themselves).
 */
#include "internal.h"

int mob_die_with_parent(int sig) { return mob__die_with_parent(sig); }
