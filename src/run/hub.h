/* SPDX-License-Identifier: MIT */
/*
 * hub.h: the hub's insides, shared by hub.c (which fills them) and hub_out.c (which renders
 * them). Nobody else includes it.
 */
#ifndef MOB_RUN_HUB_H
#define MOB_RUN_HUB_H

#include "watch.h"

#define MOB__MAX_TOKENS (2 * MOB__COARSE_MAX + 16)
#define MOB__MAX_SECONDS (31 * 86400) /* a second number past a month is garbage */
#define MOB__MAX_NAMES 1024           /* scenarios, and spans, over all reporters */
#define MOB__MAX_REPORTERS 4096
#define MOB__HUB_MSGS 64

/* One scenario or span of one reporter, so far. */
struct hstat {
    int g;                     /* its index in the hub's names */
    uint64_t ok, fail[MOB_FAIL_NCLASS];
    int64_t max;
    double sum;
    struct mob__cbucket *cb;
    int ncb;
};

/* One reporter: a process that said hello, over however many connections. */
struct hrep {
    struct hrep *next;
    char runid[64], name[128];
    int process, processes;
    int state;                 /* MOB__SRC_* */
    int conns;                 /* connections it has used */
    struct mob__hsrc *conn;    /* the current one, or NULL */
    int nsec;                  /* its seconds 0 .. nsec-1 are in the hub's timeline */
    struct hstat *st[2];       /* [0] scenarios, [1] spans, by the reporter's own index */
    int nst[2];
    uint64_t ok, fail, cancelled, dropped, cut_graceful;
    int64_t bots, elapsed;
    int proto;                 /* the stream version of its latest hello */
    int64_t fail_threshold;    /* its -f N, or -1 */
    int stop_on_failure;       /* its -x */
    int64_t last_ns;           /* mob_clock_ns of its latest totals: how fresh its numbers are */
    int64_t sz_tol, sz_win;    /* --sizing: tolerance (1/1000 %) and window (s); 0: none */
    mob_result *final;
};

/* One connection. */
struct mob__hsrc {
    struct mob__hsrc *next;
    char peer[64];
    struct hrep *rep;          /* after its hello */
    char *in;                  /* bytes not yet taken: a partial line or report */
    size_t inlen, incap;
    size_t want;               /* > 0: a final report of this many bytes is arriving */
    int refused;
};

/* One second of the run, summed over reporters. */
struct hsec {
    uint64_t ok, fail, f[MOB_FAIL_NCLASS];
    int64_t bots, max;
    double sum;
    struct mob__cbucket *cb;
    int ncb;
};

struct hmsg {
    int64_t t_ms, bot;
    char src[128], text[MOB__MSG_LEN];
};

struct mob__hub {
    char *title, *token;
    struct hrep *reps;
    int nreps;
    struct mob__hsrc *conns;
    char **names[2];
    int nnames[2];
    struct hsec *secs;
    int nsecs, cap;
    struct hmsg msgs[MOB__HUB_MSGS];
    uint64_t nmsg;
    mob_result *final;
    int done;
    uint64_t ticks;
    char **tok;                /* the current line's fields */
};

#endif /* MOB_RUN_HUB_H */
