/* SPDX-License-Identifier: MIT */
/*
 * test_live.h: what the live-view tests (test_live.c, test_view.c) share, defined in
 * test_live_procs.c: mob processes started and waited on, and a small HTTP client. Host side
 * only: each asserts with cr_assert.
 */
#ifndef MOB_TEST_LIVE_H
#define MOB_TEST_LIVE_H

#include <stddef.h>
#include <sys/types.h>

#include "mob_run.h"

/* A port nobody listens on right now. */
int live_free_port(void);
/* Starts $MOB_BUILD/mob with args (NULL-terminated); its stdout and stderr go to
 * /tmp/mob-live-PID-TAG.out and .err. It is killed by SIGALRM after 60 s at the latest. */
pid_t live_start(const char *tag, const char *const *args);
#define LIVE_START(tag, ...) live_start((tag), (const char *const[]){__VA_ARGS__, NULL})
/* Reaps it: its exit code, or 128 + N when signal N ended it. */
int live_wait(pid_t pid);
/* A blocking connection to 127.0.0.1:port with a 5 s read timeout, or -1. */
int live_connect(int port);
/* GET path; the whole response in buf. Returns its length, or -1 when nobody answers. */
int live_http_get(int port, const char *path, char *buf, size_t cap);
/* Polls until port answers HTTP (the server is up), at most 5 s. */
void live_wait_http(int port);

#endif
