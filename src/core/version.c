/* SPDX-License-Identifier: MIT */
/* version.c: mob_version() and the names of the chosen platform parts. */
#include "internal.h"
#include "mob_version.h"

const char *mob_version(void) { return MOB_VERSION; }
const char *mob_switch_name(void) { return mob__switch_name(); }
