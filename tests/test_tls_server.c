/* SPDX-License-Identifier: MIT */
/*
 * test_tls_server.c: the TLS test server of test_tls_server.h, and the accept loop it shares
 * with the plain test servers.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "mob_tls.h"
#include "test_tls_server.h"

void *test_accept_threads(int lfd, void *(*conn)(void *))
{
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        pthread_create(&t, NULL, conn, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

#ifdef MOB_TLS_OPENSSL

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct test_tls_server tls_srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* A P-256 key and a self-signed certificate for IP 127.0.0.1 and DNS localhost, CA:TRUE so
 * that --cacert can name it as its own trust anchor. Written to tls_srv.cert_path too. */
static void make_cert(SSL_CTX *ctx)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    cr_assert(pk && x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"mob test", -1,
                               -1, 0);
    X509_set_issuer_name(x, nm);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, san, -1);
    X509_add_ext(x, bc, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(bc);
    cr_assert(X509_sign(x, pk, EVP_sha256()) > 0);
    cr_assert_eq(SSL_CTX_use_certificate(ctx, x), 1);
    cr_assert_eq(SSL_CTX_use_PrivateKey(ctx, pk), 1);
    snprintf(tls_srv.cert_path, sizeof tls_srv.cert_path, "/tmp/mob-tls-test-%d.pem",
             (int)getpid());
    FILE *f = fopen(tls_srv.cert_path, "w");
    cr_assert_not_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    (void)ssl, (void)arg;
    pthread_mutex_lock(&tls_srv.mu);
    size_t k = 0, cap = sizeof tls_srv.alpn_offered;
    for (unsigned i = 0; i < inlen && k + 1 < cap;) {
        unsigned l = in[i++];
        for (unsigned j = 0; j < l && i < inlen && k + 1 < cap; j++)
            tls_srv.alpn_offered[k++] = (char)in[i++];
        if (i < inlen && k + 1 < cap)
            tls_srv.alpn_offered[k++] = ',';
    }
    tls_srv.alpn_offered[k] = 0;
    pthread_mutex_unlock(&tls_srv.mu);
    return SSL_select_next_proto((unsigned char **)out, outlen, in, inlen, in, inlen) ==
                   OPENSSL_NPN_NEGOTIATED
               ? SSL_TLSEXT_ERR_OK
               : SSL_TLSEXT_ERR_NOACK;
}

/* Reads what the client still sends until it leaves (at most 1 s), and counts its
 * close_notify: SSL_get_shutdown knows once SSL_read has met it. */
static void wait_close_notify(SSL *ssl)
{
    char b[4096];
    struct pollfd p = {.fd = SSL_get_fd(ssl), .events = POLLIN};
    while (!(SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) &&
           (SSL_pending(ssl) > 0 || poll(&p, 1, 1000) == 1) && SSL_read(ssl, b, sizeof b) > 0)
        ;
    if (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) {
        pthread_mutex_lock(&tls_srv.mu);
        tls_srv.close_notifies++;
        pthread_mutex_unlock(&tls_srv.mu);
    }
}

static void *tls_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    if (tls_srv.stall) {
        char b[4096];
        while (read(fd, b, sizeof b) > 0) /* take the ClientHello, answer nothing */
            ;
        close(fd);
        return NULL;
    }
    SSL *ssl = SSL_new(tls_srv.ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        pthread_mutex_lock(&tls_srv.mu);
        tls_srv.handshakes++;
        tls_srv.resumed += SSL_session_reused(ssl);
        pthread_mutex_unlock(&tls_srv.mu);
        tls_srv.serve(ssl, tls_srv.arg);
        SSL_shutdown(ssl);
        wait_close_notify(ssl);
    }
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static void *tls_accept(void *arg) { return test_accept_threads((int)(intptr_t)arg, tls_conn); }

void test_tls_server_start(int stall, test_tls_serve_fn *serve, void *arg)
{
    /* OpenSSL writes with write(2): a client that leaves while the server still answers (a
     * close reply after the client's goodbye) must give EPIPE, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    tls_srv.stall = stall;
    tls_srv.serve = serve;
    tls_srv.arg = arg;
    tls_srv.ctx = SSL_CTX_new(TLS_server_method());
    cr_assert_not_null(tls_srv.ctx);
    make_cert(tls_srv.ctx);
    SSL_CTX_set_alpn_select_cb(tls_srv.ctx, alpn_select, NULL);
    int lfd = test_listen_loopback(&tls_srv.port);
    cr_assert_gt(lfd, 0);
    pthread_t t;
    pthread_create(&t, NULL, tls_accept, (void *)(intptr_t)lfd);
    pthread_detach(t);
}

void test_tls_server_stop(void)
{
    unlink(tls_srv.cert_path);
}

void test_tls_server_counts(int *handshakes, int *resumed)
{
    pthread_mutex_lock(&tls_srv.mu);
    *handshakes = tls_srv.handshakes;
    *resumed = tls_srv.resumed;
    pthread_mutex_unlock(&tls_srv.mu);
}

int test_tls_server_close_notifies(int want)
{
    int n = 0;
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&tls_srv.mu);
        n = tls_srv.close_notifies;
        pthread_mutex_unlock(&tls_srv.mu);
        if (n >= want)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return n;
}

mob_tls_ctx *test_tls_client_ctx(const char *cafile, int insecure)
{
    char err[256] = "";
    mob_tls_config cfg = {.cafile = cafile, .insecure = insecure};
    mob_tls_ctx *ctx = mob_tls_ctx_new(NULL, &cfg, err, sizeof err);
    cr_assert_not_null(ctx, "%s", err);
    return ctx;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void test_tls_forward(SSL *ssl, void *arg)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(intptr_t)arg)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int up = socket(AF_INET, SOCK_STREAM, 0);
    if (up < 0 || connect(up, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (up >= 0)
            close(up);
        return;
    }
    char buf[16384];
    for (;;) {
        /* Bytes OpenSSL already decrypted do not make the socket readable: read them first. */
        struct pollfd p[2] = {{.fd = SSL_get_fd(ssl), .events = POLLIN},
                              {.fd = up, .events = POLLIN}};
        if (SSL_pending(ssl) > 0)
            p[0].revents = POLLIN;
        else if (poll(p, 2, -1) < 0)
            break;
        if (p[0].revents) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0 || send_all(up, buf, (size_t)n) < 0)
                break;
        }
        if (p[1].revents) {
            ssize_t n = read(up, buf, sizeof buf);
            if (n <= 0 || SSL_write(ssl, buf, (int)n) <= 0)
                break;
        }
    }
    close(up);
}

void test_tls_cli_trust(const char *url)
{
    struct test_out o;
    MOB(&o, url, "-w", "2", "-r", "5", "-q", "--cacert", tls_srv.cert_path, "--json", "/dev/null");
    cr_assert_eq(o.code, 0, "stderr: %s", o.err);
    MOB(&o, url, "-w", "2", "-r", "5", "-f", "1", "--no-live");
    cr_assert_eq(o.code, 1, "failures past -f 1: %s", o.out);
    cr_assert(strstr(o.out, "tls 10"), "%s", o.out);
    cr_assert(strstr(o.out, "tls: certificate verify failed: self-signed certificate"), "%s",
              o.out);
    MOB(&o, url, "-w", "1", "-r", "1", "-q", "--insecure");
    cr_assert_eq(o.code, 0, "stderr: %s", o.err);
}

#endif /* MOB_TLS_OPENSSL */
