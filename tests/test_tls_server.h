/* SPDX-License-Identifier: MIT */
/*
 * test_tls_server.h: the TLS server the TLS tests aim at, on 127.0.0.1: blocking OpenSSL, one
 * thread per connection, with a certificate made at start for IP 127.0.0.1 and DNS localhost
 * (self-signed, written to a PEM file for --cacert). It counts handshakes and resumed ones,
 * records the ALPN protocols the client offered and counts the clients' close_notify alerts,
 * and after each handshake hands the
 * connection to the test's serve function: test_tls.c answers HTTP, test_wss.c forwards to the
 * plain WebSocket echo server (test_tls_forward). In stall mode it accepts and never answers
 * the ClientHello. One server per test process.
 */
#ifndef MOB_TEST_TLS_SERVER_H
#define MOB_TEST_TLS_SERVER_H

/* Runs conn(fd) on a detached thread of its own for each connection accepted on lfd, until
 * lfd is closed. The plain test servers use it too. */
void *test_accept_threads(int lfd, void *(*conn)(void *));

#ifdef MOB_TLS_OPENSSL
#include <pthread.h>
#include <openssl/ssl.h>

/* Called on the connection's thread once the handshake is done; the server then shuts TLS
 * down and closes the socket. */
typedef void test_tls_serve_fn(SSL *ssl, void *arg);

struct test_tls_server {
    SSL_CTX *ctx;
    int port;
    char cert_path[64];      /* the certificate, PEM: trust it with --cacert */
    int stall;               /* accept and say nothing */
    test_tls_serve_fn *serve;
    void *arg;
    pthread_mutex_t mu;      /* guards the four below */
    int handshakes, resumed;
    int close_notifies;      /* connections whose client sent close_notify */
    char alpn_offered[64];   /* "http/1.1" or "h2,http/1.1": what the last client offered */
};
extern struct test_tls_server tls_srv;

/* Starts the server (asserted): stall, or serve(ssl, arg) after every handshake. */
void test_tls_server_start(int stall, test_tls_serve_fn *serve, void *arg);

/* Removes the certificate file. */
void test_tls_server_stop(void);

/* The server's handshakes and resumed handshakes so far. */
void test_tls_server_counts(int *handshakes, int *resumed);

/* Connections whose client sent close_notify, once there are `want` of them or 3 s have
 * passed (a connection is counted when its client has left: close_notify or not). */
int test_tls_server_close_notifies(int want);

/* A client context of the OpenSSL backend (asserted): cafile NULL trusts the system store. */
struct mob_tls_ctx *test_tls_client_ctx(const char *cafile, int insecure);

/* The mob command against the running server at url (https:// or wss://), as every TLS
 * scheme must behave: with --cacert it passes; without, every run fails as class tls with
 * the reason in the summary; with --insecure it passes. Asserted. */
void test_tls_cli_trust(const char *url);

/* A serve function: forwards the decrypted bytes both ways to a plain server on 127.0.0.1,
 * port (intptr_t)arg, until either side closes. With test_ws_echo_thread behind it, a wss://
 * echo server. */
void test_tls_forward(SSL *ssl, void *arg);

#endif /* MOB_TLS_OPENSSL */

#endif /* MOB_TEST_TLS_SERVER_H */
