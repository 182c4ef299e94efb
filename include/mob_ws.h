/* SPDX-License-Identifier: MIT */
/*
 * mob_ws.h: WebSocket (RFC 6455) for bots, in two layers.
 *
 * The codec is pure (no I/O, no allocation, no loop): SHA-1 and base64 for the accept key,
 * the opening handshake (build and parse, for both sides), frame headers (encode, decode,
 * masking), close payloads and UTF-8 validation. A fuzzer or a bot with its own transport can
 * use it alone.
 *
 * The connection layer (mob_ws_connect, mob_ws_accept, mob_ws_send, mob_ws_recv, mob_ws_close)
 * runs over mob_io.h in a bot, on a plain socket or, for a client (wss://, mob_ws_dial), over
 * TLS through the same seam as https:// (mob_tls.h): one code path, the transport chosen when
 * the connection opens. It owns no memory: the caller hands it one buffer for incoming
 * bytes and reassembled messages, so a message costs no allocation. It answers pings with
 * pongs on its own, reassembles fragments, checks every rule that keeps a peer from hurting
 * us (size limits, masking direction, control frames short and unfragmented, UTF-8 in text,
 * reserved bits), and turns each violation into a close frame with the right code and a
 * -EPROTO / -EMSGSIZE return, never a crash.
 *
 * What it does not do: extensions (permessage-deflate), subprotocol negotiation beyond
 * passing one header through, a TLS server side, redirects.
 *
 * Read next: src/proto/ws.c (codec), src/proto/ws_conn.c (connection), include/mob_arena.h
 * (a server built on it).
 */
#ifndef MOB_WS_H
#define MOB_WS_H

#include <stddef.h>
#include <stdint.h>

#include "mob.h"
#include "mob_tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Codec: hashing and encoding used by the handshake                                        */
/* ---------------------------------------------------------------------------------------- */

/* SHA-1 of data[0..len) into out (20 bytes). Only for the handshake: SHA-1 is broken for
 * anything that needs collision resistance. */
void mob_sha1(const void *data, size_t len, uint8_t out[20]);

/* Base64 (RFC 4648, with padding) of data[0..len) into out, NUL-terminated. Returns the
 * encoded length (4 * ceil(len / 3)), or -ENOBUFS when out (cap bytes) is too small. */
int mob_base64_encode(const void *data, size_t len, char *out, size_t cap);

/* Decodes base64 with padding. Returns the decoded length, -EINVAL on a bad character or
 * length, -ENOBUFS when out is too small. */
int mob_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)), 28 characters
 * plus NUL in out. */
void mob_ws_accept_key(const char *key, size_t key_len, char out[29]);

/* ---------------------------------------------------------------------------------------- */
/* Codec: the opening handshake                                                             */
/* ---------------------------------------------------------------------------------------- */

#define MOB_WS_KEY_LEN 24      /* base64 of 16 random bytes */
#define MOB_WS_MAX_HANDSHAKE 4096 /* largest request or response head we accept */

/*
 * Builds a client's GET request for ws://host:port/path with the given 24-character key.
 * `extra` (may be NULL) is appended verbatim as more header lines, each ending in "\r\n".
 * Returns the request length, or -ENOBUFS.
 */
int mob_ws_build_request(char *out, size_t cap, const char *host, int port, const char *path,
                         const char *key, const char *extra);

/* What a server learns from a client's request. Pointers point into the parsed buffer. */
typedef struct mob_ws_request {
    const char *path;
    size_t path_len;
    const char *key;   /* Sec-WebSocket-Key as sent (24 characters) */
    size_t key_len;
    const char *protocol; /* Sec-WebSocket-Protocol, or NULL */
    size_t protocol_len;
} mob_ws_request;

/*
 * Parses a client's opening handshake from buf[0..len). Returns the length of the head
 * (through the blank line) on success, -EAGAIN when the head is not complete yet, -EMSGSIZE
 * when it is longer than MOB_WS_MAX_HANDSHAKE, -EPROTO when it is not a valid WebSocket
 * upgrade (not GET, not HTTP/1.1, missing or wrong Upgrade, Connection, Host,
 * Sec-WebSocket-Key or Sec-WebSocket-Version: 13). When `why` is not NULL it gets a short
 * static reason on -EPROTO.
 */
int mob_ws_parse_request(const char *buf, size_t len, mob_ws_request *req, const char **why);

/* Builds the server's 101 response for the given client key. Returns its length or -ENOBUFS. */
int mob_ws_build_response(char *out, size_t cap, const char *key, size_t key_len);

/*
 * Parses a server's response to a request made with `key`. Returns the head length on
 * success, -EAGAIN when incomplete, -EMSGSIZE when too long, -EPROTO when the status is not
 * 101 or Upgrade, Connection or Sec-WebSocket-Accept are wrong (`why` says which).
 */
int mob_ws_parse_response(const char *buf, size_t len, const char *key, const char **why);

/* ---------------------------------------------------------------------------------------- */
/* Codec: frames                                                                            */
/* ---------------------------------------------------------------------------------------- */

enum mob_ws_opcode {
    MOB_WS_CONT = 0x0,
    MOB_WS_TEXT = 0x1,
    MOB_WS_BINARY = 0x2,
    MOB_WS_CLOSE = 0x8,
    MOB_WS_PING = 0x9,
    MOB_WS_PONG = 0xA
};

/* Close status codes (RFC 6455 section 7.4.1) that this module sends. */
enum mob_ws_close_code {
    MOB_WS_CLOSE_NORMAL = 1000,
    MOB_WS_CLOSE_GOING_AWAY = 1001,
    MOB_WS_CLOSE_PROTOCOL = 1002,
    MOB_WS_CLOSE_UNSUPPORTED = 1003,
    MOB_WS_CLOSE_NO_STATUS = 1005,   /* never sent: reported when a close had no payload */
    MOB_WS_CLOSE_ABNORMAL = 1006,    /* never sent: reported when the TCP stream just ended */
    MOB_WS_CLOSE_BAD_DATA = 1007,    /* text that is not UTF-8 */
    MOB_WS_CLOSE_POLICY = 1008,
    MOB_WS_CLOSE_TOO_BIG = 1009,
    MOB_WS_CLOSE_INTERNAL = 1011
};

#define MOB_WS_MAX_HEADER 14      /* 2 + 8 (length) + 4 (mask) */
#define MOB_WS_MAX_CONTROL 125    /* control payloads are at most this long */

typedef struct mob_ws_frame {
    int fin;           /* last fragment of a message */
    int rsv;           /* the three reserved bits (must be 0 without extensions) */
    int opcode;        /* enum mob_ws_opcode */
    int masked;
    uint8_t mask[4];
    uint64_t len;      /* payload length */
} mob_ws_frame;

/*
 * Decodes a frame header from buf[0..len). Returns the header length (2 to 14) with *f
 * filled, -EAGAIN when more bytes are needed, or -EPROTO when the header breaks a rule that
 * holds whatever the role: reserved bits set, unknown opcode, fragmented control frame,
 * control payload over 125 bytes, or a 64-bit length with its top bit set. Masking direction
 * and size limits are the caller's (the connection layer checks them).
 */
int mob_ws_frame_decode(const void *buf, size_t len, mob_ws_frame *f);

/* Encodes a header into out (at least MOB_WS_MAX_HEADER bytes) with the minimal length form.
 * `mask` NULL means unmasked. Returns the header length. */
size_t mob_ws_frame_encode(uint8_t *out, int fin, int opcode, const uint8_t *mask,
                           uint64_t len);

/* XORs data[0..len) with the mask, as if the data started `offset` bytes into the payload
 * (so a payload can be unmasked in pieces). Masking and unmasking are the same operation. */
void mob_ws_mask(void *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* Nonzero when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int mob_ws_utf8_valid(const void *s, size_t len);

/* Checks a close frame's payload: empty, or a 2-byte valid code followed by UTF-8. Returns
 * the code (MOB_WS_CLOSE_NO_STATUS when empty) or -EPROTO. */
int mob_ws_close_parse(const void *payload, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Connection: a WebSocket over one socket, for one bot                                     */
/* ---------------------------------------------------------------------------------------- */

enum mob_ws_role { MOB_WS_CLIENT = 0, MOB_WS_SERVER = 1 };

/*
 * Connection states.
 *
 *   OPEN ──we send close──> CLOSING ──peer's close arrives──> CLOSED
 *     └───peer's close arrives (we answer it)─────────────────> CLOSED
 *     └───protocol error (we send close 1002/1007/1009)────────> CLOSED
 *     └───the stream ends or fails─────────────────────────────> CLOSED
 */
enum mob_ws_state { MOB_WS_OPEN = 0, MOB_WS_CLOSING, MOB_WS_CLOSED };

/*
 * Optional hook for outgoing control frames the connection sends on its own (pongs, close
 * replies). A server whose writes go through a per-connection queue (so that several bots
 * never write one fd at once) sets it; otherwise the connection writes with mob_write_all.
 * Returns 0 or -errno.
 */
typedef int (*mob_ws_send_fn)(void *ud, const void *bytes, size_t len);

typedef struct mob_ws {
    int fd;
    int role;             /* enum mob_ws_role */
    int state;            /* enum mob_ws_state */
    uint8_t *buf;         /* caller storage: incoming bytes, then the message being built */
    size_t cap;
    size_t start, end;    /* unconsumed incoming bytes are buf[start, end) */
    size_t mlen;          /* bytes of a fragmented message gathered at buf[0, mlen) */
    int frag_opcode;      /* opcode of the fragmented message in progress, else 0 */
    size_t max_message;   /* largest reassembled message accepted (<= cap - 256) */
    int close_code;       /* the peer's close code once known, else 0 */
    uint32_t rng;         /* xorshift state for client masks */
    mob_ws_send_fn send_fn;
    void *send_ud;
    int64_t io_timeout_ns; /* longest wait for our own control-frame writes; default 5 s */
    uint64_t pings_answered;
    mob_tls_conn *tls;    /* wss: the caller's TLS state every byte goes through; NULL: plain */
    int phase;            /* after a failed mob_ws_dial: enum mob_fail_phase, where it failed */
} mob_ws;

/*
 * Prepares a connection on an open socket with caller storage buf[0..cap). Messages of up to
 * cap - 256 bytes are accepted (the rest leaves room for a header and a control frame that
 * may arrive between fragments); a smaller max_message may be set afterwards. No I/O. cap
 * must be at least 512 (smaller aborts: a contract violation).
 */
void mob_ws_init(mob_ws *ws, int fd, int role, void *buf, size_t cap);

/*
 * Client, plain ws:// (mob_ws_dial with only `extra`): connects to host:port, sends the
 * opening handshake for `path` (with `extra` header lines, may be NULL) and checks the
 * server's answer. On success returns 0 with *ws ready
 * (fd owned by self; mob_ws_close closes it with a goodbye, even in a cancelled bot; the
 * bot's end closes it without one, which the server logs as 1006). Returns -ECONNREFUSED,
 * -ETIMEDOUT, -EPROTO (bad handshake), -EMSGSIZE (response head too long), ... and closes the
 * socket on failure.
 */
int mob_ws_connect(mob_bot *self, mob_ws *ws, const char *host, int port, const char *path,
                   const char *extra, void *buf, size_t cap, int64_t deadline);

/* Options of mob_ws_dial; zero them for plain ws:// with the defaults. */
typedef struct mob_ws_options {
    const char *extra;            /* header lines for the opening handshake (each ending in
                                     "\r\n"), or NULL */
    mob_tls_conn *tls;            /* wss://: the bot's TLS state (mob_tls_conn_init with a
                                     context), kept by the caller between connections so that
                                     a reconnect resumes its session; NULL: plain ws:// */
    const char *server_name;      /* TLS: SNI and the name the certificate must carry; NULL:
                                     host */
    mob_connect_options connect;  /* source address, nodelay, buffer sizes */
} mob_ws_options;

/*
 * Client, ws:// or wss://: connects to host:port (mob_addr_parse: numeric, /etc/hosts or a
 * name mob_resolve resolved), runs the TLS handshake when opt->tls has a context (SNI, the
 * certificate and its name checked, ALPN http/1.1, the last session offered), then the
 * opening handshake for `path`. On success returns 0 with *ws ready: every later call on ws
 * goes through the same TLS. mob_ws_close ends TLS (keeping the session in opt->tls) and
 * closes the fd; mob_tls_conn_free(opt->tls) when the bot is done with it. On failure
 * returns -errno with nothing left open and ws->phase saying where (classify with
 * mob_fail_classify(rc, ws->phase)): MOB_PHASE_CONNECT (-ECONNREFUSED, ...), MOB_PHASE_TLS
 * (-ECONNABORTED: the handshake failed, opt->tls->reason says why; or the socket's error),
 * MOB_PHASE_ANY for the upgrade (-EPROTO, -EMSGSIZE, ...); -ETIMEDOUT, -ECANCELED in any.
 * `opt` may be NULL (plain ws://).
 */
int mob_ws_dial(mob_bot *self, mob_ws *ws, const char *host, int port, const char *path,
                const mob_ws_options *opt, void *buf, size_t cap, int64_t deadline);

/* Client: the handshake only, on an already connected fd (plain). Same returns as mob_ws_connect,
 * but the fd is left open on failure. */
int mob_ws_handshake(mob_bot *self, mob_ws *ws, int fd, const char *host, int port,
                     const char *path, const char *extra, void *buf, size_t cap,
                     int64_t deadline);

/*
 * Server: reads the client's opening handshake on an accepted fd and answers 101. On a bad
 * request answers "400 Bad Request" (with Sec-WebSocket-Version: 13) and returns -EPROTO;
 * the caller closes the fd. If `req` is not NULL it gets the request's path (pointing into
 * buf, valid until the first mob_ws_recv). Returns 0, -EPROTO, -EMSGSIZE, -ETIMEDOUT, ...
 */
int mob_ws_accept(mob_bot *self, mob_ws *ws, int fd, void *buf, size_t cap,
                  mob_ws_request *req, int64_t deadline);

/*
 * Sends one message (MOB_WS_TEXT or MOB_WS_BINARY) as a single frame, or a ping/pong (at
 * most 125 bytes). A client masks with a fresh mask per frame. Returns len, -EPIPE when the
 * connection is closing or closed, -EINVAL for a bad opcode or control payload, or a write
 * error. A write error that may have cut the frame short (bytes of it went; over TLS, any)
 * leaves the connection MOB_WS_CLOSED: no frame can follow a cut one.
 */
ssize_t mob_ws_send(mob_bot *self, mob_ws *ws, int opcode, const void *data, size_t len,
                    int64_t deadline);

/*
 * Sends one message as fragments of at most `frag` bytes each (for tests and for peers that
 * need to see fragmentation). Same returns as mob_ws_send.
 */
ssize_t mob_ws_send_fragmented(mob_bot *self, mob_ws *ws, int opcode, const void *data,
                               size_t len, size_t frag, int64_t deadline);

/*
 * Receives one whole message. Pings are answered with pongs, pongs are dropped, fragments
 * are reassembled, text is checked for UTF-8. *data points into the connection's buffer,
 * valid until the next call on ws; *opcode (may be NULL) gets MOB_WS_TEXT or MOB_WS_BINARY.
 * Returns the message length, or:
 *   -ENODATA   the peer closed cleanly (its code is in ws->close_code; we answered)
 *   -EPROTO    the peer broke the protocol; we sent close 1002 (or 1007 for bad UTF-8)
 *   -EMSGSIZE  a frame or message over max_message; we sent close 1009
 *   -EPIPE     the stream ended without a close frame (close_code 1006)
 *   -ETIMEDOUT, -ECANCELED, or another read error.
 * After any error the state is MOB_WS_CLOSED except on -ETIMEDOUT/-ECANCELED, which leave
 * the connection as it was (a partial frame stays buffered).
 */
ssize_t mob_ws_recv(mob_bot *self, mob_ws *ws, const void **data, int *opcode,
                    int64_t deadline);

/*
 * Starts or completes the closing handshake: sends a close frame with `code` (0: no code),
 * masked as a client's must be, and waits up to the deadline for the peer's close,
 * discarding data messages meanwhile, then ends TLS if the connection has it (close_notify;
 * the session stays in ws->tls) and closes the fd. Returns 0 when the peer answered,
 * -ETIMEDOUT or another error otherwise (the fd is closed in every case).
 *
 * A goodbye that must not wait: with deadline MOB_NOW, or from a cancelled bot (the end of a
 * run, mob_cancel), the close frame and then close_notify go in one try each, whatever the
 * socket takes now, and nothing is awaited; a cancelled bot says 1001 (going away) where
 * 1000 was asked. Returns 0 when the whole frame went (-ECANCELED for a cancelled bot),
 * -EAGAIN when the socket was full, or the socket's error. After a write that cut a frame
 * short (a timeout or a cancel mid-send; over TLS any failed write) no frame can follow, so
 * the connection closes without one (close_notify is still sent).
 */
int mob_ws_close(mob_bot *self, mob_ws *ws, int code, int64_t deadline);

/* Encodes a whole unmasked frame (header + payload) into out for a server's send queue.
 * Returns its length or -ENOBUFS. */
ssize_t mob_ws_frame_build(void *out, size_t cap, int opcode, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MOB_WS_H */
