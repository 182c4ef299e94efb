/* SPDX-License-Identifier: MIT */
/*
 * mob_http.h: HTTP/1.x for bots, in two layers.
 *
 * 1. A stateless parser in the picohttpparser style (src/proto/http_parse.c): it allocates nothing
 *    and copies nothing. Every output points into the caller's buffer, the caller sizes the
 *    header array, and every call returns the number of bytes the head took (>= 0), -1 when
 *    the input is malformed or breaks a limit, or -2 when more bytes are needed. It is strict
 *    on purpose: a load generator must not paper over a broken server, and a test server must
 *    not accept a smuggled request. Rejected: bad start lines, bad header names, obs-fold,
 *    NUL and other control bytes, bare CR or LF, conflicting Content-Length, Content-Length
 *    together with Transfer-Encoding, signed or overflowing lengths, overflowing chunk sizes,
 *    lines and heads over the limits below. The chunked decoder works incrementally, in
 *    place or (when the body is discarded) without touching the bytes at all.
 *
 * 2. A keep-alive HTTP/1.1 client for one bot (src/proto/http_client.c): a caller-owned
 *    mob_http_conn holds the socket and the read buffer; a request is built once into a
 *    caller buffer and sent as is every time, so a request costs one write and usually one
 *    read. Failures come back as -errno plus their failure class (enum mob_fail, mob_fail.h),
 *    classified where they happen, which the load layer counts as is.
 *
 * Read next: src/proto/http_parse.c (the parser), then src/proto/http_client.c.
 */
#ifndef MOB_HTTP_H
#define MOB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mob.h"
#include "mob_fail.h"
#include "mob_tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Parser                                                                                   */
/* ======================================================================================== */

/* Limits. A head (start line + header fields + blank line) longer than max_head_size, or any
 * line of it longer than MOB_HTTP_MAX_LINE, is an error, not "incomplete". */
#define MOB_HTTP_MAX_HEAD_SIZE ((size_t)32 * 1024) /* default for max_head_size == 0 */
#define MOB_HTTP_MAX_LINE ((size_t)8 * 1024)
#define MOB_HTTP_MAX_CHUNK_LINE ((size_t)4 * 1024) /* chunk size line with its extensions */
#define MOB_HTTP_MAX_TRAILER ((size_t)8 * 1024)    /* all trailer fields of a chunked body */

/* One header field. Both strings point into the parsed buffer and are not NUL-terminated.
 * The value has its leading and trailing whitespace removed. */
typedef struct mob_http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} mob_http_header;

/*
 * How the body of a message is delimited, decided from the status, Content-Length and
 * Transfer-Encoding (RFC 9112 section 6.3). A response to a HEAD request has no body whatever
 * its fields say: the parser cannot know the method, so the client overrides that case.
 */
enum mob_http_body {
    MOB_HTTP_BODY_NONE = 0, /* no body: 1xx, 204, 304, or a request with neither field */
    MOB_HTTP_BODY_LENGTH,   /* content_length bytes follow */
    MOB_HTTP_BODY_CHUNKED,  /* chunked transfer coding: see mob_http_chunked */
    MOB_HTTP_BODY_CLOSE     /* response only: the body runs until the server closes */
};

/* What the request and response parsers share: the caller's header array, the limit, and the
 * framing facts the parser derives from the fields it has just read. */
typedef struct mob_http_fields {
    mob_http_header *headers; /* in: the caller's array (may be NULL when max_headers is 0) */
    size_t max_headers;       /* in: its capacity; more header fields is an error */
    size_t max_head_size;     /* in: 0 means MOB_HTTP_MAX_HEAD_SIZE */
    size_t num_headers;       /* out: header fields stored */
    int minor_version;        /* out: the 1 of HTTP/1.1 */
    int body;                 /* out: enum mob_http_body */
    int64_t content_length;   /* out: -1 when absent */
    int keep_alive;           /* out: the connection may carry another message after this one */
    const char *error;        /* out: on -1, a static string saying what was wrong */
} mob_http_fields;

typedef struct mob_http_response {
    mob_http_fields f;
    int status;         /* 100..999 */
    const char *reason; /* may be empty */
    size_t reason_len;
} mob_http_response;

typedef struct mob_http_request_head {
    mob_http_fields f;
    const char *method;
    size_t method_len;
    const char *target; /* the request-target as sent: "/path?query", "*", ... */
    size_t target_len;
} mob_http_request_head;

/*
 * Parses a response head in buf[0..len). `last_len` is the length the buffer had at the
 * previous call for the same response (0 the first time): bytes already seen are not
 * searched again for the end of the head. The caller fills the "in" fields of `out->f`.
 * Returns the length of the head (the body, if any, starts there), -1 on malformed input or a
 * broken limit (out->f.error says which), or -2 when the head is not complete yet. Never
 * reads outside buf[0..len). O(len).
 */
int mob_http_parse_response(const char *buf, size_t len, size_t last_len,
                            mob_http_response *out);

/*
 * Parses a request head, as mob_http_parse_response does. Empty lines before the request
 * line are skipped (RFC 9112 section 2.2) and counted in the returned length. A request
 * carrying Transfer-Encoding without chunked as the last coding is an error, and so is one
 * with an HTTP version other than 1.x.
 */
int mob_http_parse_request(const char *buf, size_t len, size_t last_len,
                           mob_http_request_head *out);

/* Finds a header by name (case-insensitive). Returns it, or NULL. O(num_headers). */
const mob_http_header *mob_http_find_header(const mob_http_fields *f, const char *name);

/*
 * Incremental decoder of a chunked body. Zero it (or call mob_http_chunked_init) before the
 * first byte of the body; it keeps where it is between calls, so the body may arrive split
 * anywhere. `total` counts the data bytes decoded so far, for the caller's size limit.
 *
 * States: SIZE (hex digits) -> EXT (;extensions) -> SIZE_LF -> DATA -> DATA_CR -> DATA_LF ->
 * SIZE ...; after the 0-size chunk: TRAILER (line start) -> TRAILER_LINE -> TRAILER_LF ->
 * TRAILER ... -> END_LF -> DONE.
 */
typedef struct mob_http_chunked {
    uint64_t remaining; /* data bytes left in the current chunk, or the size being read */
    uint64_t total;     /* data bytes decoded so far */
    uint32_t line;      /* bytes in the current size line, or in the trailer so far */
    uint8_t state;
    uint8_t digits;     /* hex digits read in the current size line */
} mob_http_chunked;

void mob_http_chunked_init(mob_http_chunked *d);

/*
 * Decodes in place: on entry buf[0..*len) holds the next bytes of the body; on return
 * buf[0..*len) holds the data they carried, moved to the front. Returns -2 when every byte
 * was consumed and the body is not finished, -1 on malformed input (a bad or overflowing
 * chunk size, a missing CRLF, a trailer over MOB_HTTP_MAX_TRAILER), or, once the body is
 * complete, the number of bytes that followed it, which are moved to buf[*len..*len+rc).
 * O(*len).
 */
ssize_t mob_http_chunked_decode(mob_http_chunked *d, char *buf, size_t *len);

/*
 * Same as mob_http_chunked_decode but leaves the bytes where they are and only counts the
 * data (in d->total): for a body that is discarded. Returns -2 or -1 as above, or, once the
 * body is complete, the number of bytes of buf[0..len) that belonged to it.
 */
ssize_t mob_http_chunked_skip(mob_http_chunked *d, const char *buf, size_t len);

/* The class of an HTTP status: 1 (informational) to 5 (server error); 2 is success. */
#define MOB_HTTP_STATUS_CLASS(status) ((status) / 100)

/* ======================================================================================== */
/* URLs                                                                                     */
/* ======================================================================================== */

#define MOB_HTTP_HOST_MAX 256
#define MOB_HTTP_PATH_MAX 4096

typedef struct mob_http_url {
    char host[MOB_HTTP_HOST_MAX];      /* for mob_tcp_connect: "127.0.0.1", "::1", "localhost" */
    int port;                          /* 80 when the URL has none */
    char authority[MOB_HTTP_HOST_MAX + 8]; /* "host[:port]" as written, for the Host field */
    char path[MOB_HTTP_PATH_MAX];      /* "/..." with the query; "/" when empty */
    int tls;                           /* https:// (port 443 when the URL has none) */
} mob_http_url;

/*
 * Parses "http[s]://HOST[:PORT][/PATH[?QUERY]][#FRAGMENT]". HOST is a name, an IPv4 address
 * or a bracketed IPv6 address; the fragment is dropped; https sets out->tls and defaults the
 * port to 443. Returns 0, or -EINVAL for anything else: another scheme, user info, an empty host, a port outside 1..65535, a
 * control byte or space, a part too long for the struct, or a query with no path.
 */
int mob_http_url_parse(const char *url, mob_http_url *out);

/* ======================================================================================== */
/* Client                                                                                   */
/* ======================================================================================== */

/*
 * A request, built once and sent as is any number of times, by any number of bots (it is not
 * changed by sending). `data` points into the caller's buffer given to the builder.
 */
typedef struct mob_http_request {
    const char *data;
    size_t len;
    int head;       /* HEAD: the response has no body */
    int retry_safe; /* idempotent method: may be resent on a fresh connection when a reused
                       one turns out closed before any byte of the response came back */
} mob_http_request;

/*
 * Builds "METHOD TARGET HTTP/1.1" with a Host field (from `authority`, unless `headers` has
 * one), the caller's fields, Content-Length when there is a body or the method is POST, PUT
 * or PATCH, then the body, into buf[0..cap). `headers` may be NULL when nheaders is 0.
 * Returns the request length with *req filled, -ENOSPC when it does not fit, or -EINVAL for a
 * method that is not a token, a target or value with spaces or control bytes, a field name
 * that is not a token, or a caller field Content-Length or Transfer-Encoding (the builder
 * owns the framing).
 */
int mob_http_request_build(mob_http_request *req, char *buf, size_t cap, const char *method,
                           const char *target, const char *authority,
                           const mob_http_header *headers, size_t nheaders, const void *body,
                           size_t body_len);

/* Same, for "GET <url path>" to the URL's authority with no extra fields. */
int mob_http_request_get(mob_http_request *req, char *buf, size_t cap, const mob_http_url *url);

#define MOB_HTTP_CONN_HEADERS 64 /* header fields a response may have */

typedef struct mob_http_conn_options {
    size_t max_body;             /* larger bodies are MOB_FAIL_PROTOCOL; 0: 1 GiB */
    size_t max_head_size;        /* 0: MOB_HTTP_MAX_HEAD_SIZE (the buffer also bounds it) */
    mob_connect_options connect; /* source address, nodelay, buffer sizes */
    mob_tls_ctx *tls;            /* HTTPS: TLS over every connection (mob_tls.h); NULL: none */
    const char *server_name;     /* SNI and the certificate's name; NULL: the host given to
                                    mob_http_conn_init. Borrowed: must outlive the conn. */
} mob_http_conn_options;

struct mob_http_conn;
struct mob_http_result;

/*
 * An observer of a connection's exchanges (the load layer's events: mob_run.h): called just
 * before a request is sent, connect included (res NULL), and once its response is complete
 * (res filled; not after a failure, which has no response). It runs on the bot's fiber,
 * inside the exchange: it must not block, and its time counts in the exchange's latency.
 */
typedef void (*mob_http_observer)(mob_bot *self, const struct mob_http_conn *c,
                                  const struct mob_http_request *req,
                                  const struct mob_http_result *res, void *ud);

/*
 * One bot's keep-alive connection to one server. The caller owns the struct (on the bot's
 * stack or in its state) and the read buffer; nothing is allocated. The socket is opened on
 * the first request, kept between requests, reopened when the server closed it, and closed
 * by mob_http_conn_close (or by the runtime when the bot returns).
 *
 * Body bytes are counted and dropped unless the caller sets body_buf: then the first
 * body_cap bytes of each body are stored there (res->body_stored says how many).
 */
typedef struct mob_http_conn {
    /* set by mob_http_conn_init */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    mob_connect_options copt;
    char *buf;                 /* the read buffer: holds the response head */
    size_t cap;
    uint64_t max_body;
    size_t max_head_size;
    const mob_http_request *req; /* the request mob_http_get_step sends */
    /* the caller may set these at any time */
    char *body_buf;
    size_t body_cap;
    mob_http_observer observe; /* NULL: none, and nothing is paid for it */
    void *observe_ud;
    /* state */
    int fd;                    /* -1 when not connected */
    uint64_t conn_requests;    /* requests sent on the current connection */
    mob_http_response resp;    /* the last response head; points into buf */
    mob_http_header headers[MOB_HTTP_CONN_HEADERS];
    const char *server_name;   /* TLS: borrowed, see mob_http_conn_options */
    mob_tls_conn tls;          /* TLS state when tls.ctx is set; keeps the session between
                                  connections, so a reconnect resumes */
    /* counters since init */
    uint64_t connects;         /* successful connects */
    uint64_t requests;         /* exchanges attempted */
    uint64_t retries;          /* requests resent after a reused connection was found closed */
} mob_http_conn;

/*
 * Prepares `c` for host:port (see mob_addr_parse: numeric, /etc/hosts or "unix:/path"; the
 * name is looked up here, once). With opt->tls, every connection starts with a TLS handshake
 * (a failure is MOB_FAIL_TLS, with res->reason) and `host` names the server for SNI and the
 * certificate check unless opt->server_name does: it is borrowed and must outlive `c`. `buf` of `cap` bytes is the read buffer: the largest response
 * head it accepts is cap (>= 256). `opt` may be NULL. Does not connect. Returns 0, or -EINVAL
 * (bad host or cap).
 */
int mob_http_conn_init(mob_http_conn *c, const char *host, int port, void *buf, size_t cap,
                       const mob_http_conn_options *opt);

/* Closes the connection if open. `c` stays initialised: the next request reconnects (and,
 * over TLS, resumes the session). */
void mob_http_conn_close(mob_bot *self, mob_http_conn *c);

/* Closes the connection and frees what TLS kept (the session). Call it when done with `c`:
 * a plain conn needs nothing more, a TLS one would leak its session otherwise. */
void mob_http_conn_free(mob_bot *self, mob_http_conn *c);

/* The outcome of one exchange. Filled by mob_http_exchange whatever happens. */
typedef struct mob_http_result {
    int status;           /* the response status, or 0 when there was none */
    int rc;               /* the return value of mob_http_exchange */
    int fail;             /* enum mob_fail; MOB_FAIL_CANCELED when the bot was cancelled */
    int reconnected;      /* a new connection was opened for this request */
    int64_t start_ns;     /* mob_clock_ns() just before the write */
    int64_t end_ns;       /* mob_clock_ns() once the response was complete (or failed) */
    uint64_t body_len;    /* body bytes received (decoded, for chunked) */
    size_t body_stored;   /* of which stored in c->body_buf */
    const mob_http_response *resp; /* the head, valid until the next exchange on c; NULL if
                                      there was none */
    const char *reason;   /* a TLS failure in words (borrowed from c), else NULL */
} mob_http_result;

/*
 * Sends `req` on `c` (connecting first if needed) and reads the whole response, all by
 * `deadline`. Interim 1xx responses are skipped (101 is final). Latency is
 * res->end_ns - res->start_ns, from just before the write to the end of the parsed response.
 * When the server answered on a reused connection with nothing (closed or reset) and the
 * request is retry_safe, it is resent once on a new connection. The connection is closed
 * after a response that ends it (Connection: close, HTTP/1.0, a body delimited by close) and
 * after any failure.
 * Returns the status (100..999, res->fail MOB_FAIL_STATUS when >= 400), or -errno:
 * connect errors, -ETIMEDOUT, -ECANCELED, -EPIPE or -ECONNRESET (server closed before the
 * response was complete), -EPROTO (malformed response, or bytes after it), -EMSGSIZE (head
 * larger than the buffer, body larger than max_body). res->fail classifies it.
 */
int mob_http_exchange(mob_bot *self, mob_http_conn *c, const mob_http_request *req,
                      mob_http_result *res, int64_t deadline);

/*
 * The built-in HTTP bot's step (the `mob http://...` command): one mob_http_exchange of
 * c->req (set it, for instance to a request from mob_http_request_get shared by every bot).
 * Returns the latency in ns (>= 0) when a response came back, whatever its status, or -errno;
 * res->fail says how to count it either way.
 */
int64_t mob_http_get_step(mob_bot *self, mob_http_conn *c, mob_http_result *res,
                          int64_t deadline);

#ifdef __cplusplus
}
#endif

#endif /* MOB_HTTP_H */
