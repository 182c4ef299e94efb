/* SPDX-License-Identifier: MIT */
/*
 * mob_fail.h: the one vocabulary of failures that mob counts: the HTTP client, the arena
 * player, the built-in suites and the load runner all speak it. A failure is classified
 * once, where it happens (the HTTP client knows whether it was connecting, writing or
 * reading); everything above passes the class along.
 *
 * Read next: src/proto/fail.c.
 */
#ifndef MOB_FAIL_H
#define MOB_FAIL_H

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong with one request or one scenario run (wrk's error counters, plus protocol,
 * status and other). The values are stable: reports index their counters by them. */
enum mob_fail {
    MOB_FAIL_CANCELED = -1, /* not a failure: the bot was cancelled (the end of the run) */
    MOB_FAIL_NONE = 0,
    MOB_FAIL_CONNECT,  /* could not connect: refused, unreachable, EMFILE, no port... */
    MOB_FAIL_READ,     /* reading the answer failed (reset, EOF before it was complete) */
    MOB_FAIL_WRITE,    /* sending the request failed */
    MOB_FAIL_TIMEOUT,  /* the deadline passed, in any phase */
    MOB_FAIL_STATUS,   /* an HTTP status >= 400, or an application-level "no" */
    MOB_FAIL_PROTOCOL, /* the peer's answer could not be parsed, or broke a size limit */
    MOB_FAIL_OTHER,    /* the scenario said it failed (molotov's failed assert) */
    MOB_FAIL_TLS,      /* the TLS handshake failed: a bad certificate, an alert, cut short */
    MOB_FAIL_CHECK,    /* a response check failed (--expect-status, --expect-body) */
    MOB_FAIL_NCLASS
};

/* Where a -errno came from, when the caller knows. */
enum mob_fail_phase {
    MOB_PHASE_ANY = 0,
    MOB_PHASE_CONNECT,
    MOB_PHASE_WRITE,
    MOB_PHASE_READ,
    MOB_PHASE_TLS /* the TLS handshake: every failure but a timeout or a cancel is tls */
};

/*
 * The class of rc: 0 or a class is returned as is (a class out of range is MOB_FAIL_OTHER);
 * -ECANCELED is MOB_FAIL_CANCELED, -ETIMEDOUT MOB_FAIL_TIMEOUT, and -EPROTO, -EBADMSG and
 * -EMSGSIZE MOB_FAIL_PROTOCOL in any phase but the TLS handshake's (where every failure but
 * those two is MOB_FAIL_TLS). Any other -errno takes the class of its phase;
 * with MOB_PHASE_ANY, -ECONNREFUSED, -EADDRNOTAVAIL, -EADDRINUSE, -ENETUNREACH and
 * -EHOSTUNREACH are connect, -EPIPE write, -ECONNRESET read, and the rest other.
 */
int mob_fail_classify(int rc, int phase);

/* "ok", "connect", "read", "write", "timeout", "status", "protocol", "other", "tls", "check";
 * "canceled" for
 * MOB_FAIL_CANCELED; "other" for anything else. */
const char *mob_fail_name(int cls);

#ifdef __cplusplus
}
#endif

#endif /* MOB_FAIL_H */
