/* SPDX-License-Identifier: MIT */
/*
 * test_ws.c: the WebSocket codec (pure functions, table driven, inputs placed flush against
 * a PROT_NONE page so an over-read faults). The connection layer and the hostile peers are
 * in tests/test_ws_conn.c.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS for the guard page */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mob_ws.h"

/* Copies len bytes so that they end exactly at a PROT_NONE page. Freed by unguard(). */
static void *guarded(const void *src, size_t len, void **map, size_t *maplen)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (len + pg - 1) / pg * pg;
    if (body == 0)
        body = pg;
    *maplen = body + pg;
    char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(m != MAP_FAILED);
    cr_assert_eq(mprotect(m + body, pg, PROT_NONE), 0);
    *map = m;
    char *p = m + body - len;
    memcpy(p, src, len);
    return p;
}

static void unguard(void *map, size_t maplen) { munmap(map, maplen); }

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- SHA-1 and base64 ------------------------------------------------------------------ */

Test(ws_codec, sha1_matches_the_fips_vectors)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        /* 55 and 64 bytes: the padding edge cases (one block, two blocks). */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t d[20];
        char h[41];
        mob_sha1(cases[i].in, strlen(cases[i].in), d);
        hex(d, 20, h);
        cr_expect_str_eq(h, cases[i].want, "case %zu", i);
    }
}

Test(ws_codec, sha1_of_a_million_a_matches_the_long_vector)
{
    static char a[1000000];
    memset(a, 'a', sizeof a);
    uint8_t d[20];
    char h[41];
    mob_sha1(a, sizeof a, d);
    hex(d, 20, h);
    cr_assert_str_eq(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

Test(ws_codec, base64_round_trips_the_rfc4648_vectors)
{
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char enc[16];
        cr_expect_eq(mob_base64_encode(in[i], strlen(in[i]), enc, sizeof enc),
                     (int)strlen(out[i]));
        cr_expect_str_eq(enc, out[i]);
        uint8_t dec[16];
        int n = mob_base64_decode(out[i], strlen(out[i]), dec, sizeof dec);
        cr_expect_eq(n, (int)strlen(in[i]));
        cr_expect(memcmp(dec, in[i], (size_t)n) == 0);
    }
}

Test(ws_codec, base64_rejects_bad_input_and_small_buffers)
{
    uint8_t d[8];
    char e[4];
    cr_expect_eq(mob_base64_decode("Zg=", 3, d, sizeof d), -EINVAL);
    cr_expect_eq(mob_base64_decode("Z!==", 4, d, sizeof d), -EINVAL);
    cr_expect_eq(mob_base64_decode("Z=g=", 4, d, sizeof d), -EINVAL);
    cr_expect_eq(mob_base64_decode("Zg==Zg==", 8, d, sizeof d), -EINVAL);
    cr_expect_eq(mob_base64_decode("Zm9vYmFy", 8, d, 5), -ENOBUFS);
    cr_expect_eq(mob_base64_encode("foo", 3, e, sizeof e), -ENOBUFS);
}

Test(ws_codec, accept_key_matches_rfc6455_example)
{
    char acc[29];
    mob_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
    cr_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

/* ---- handshake ------------------------------------------------------------------------- */

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

struct hs_case {
    const char *text;
    int want; /* >0: head length expected is strlen(text); else an -errno */
    const char *comment;
};

Test(ws_codec, request_parser_accepts_valid_and_rejects_every_missing_part)
{
    static const struct hs_case cases[] = {
        {"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         1, "minimal valid"},
        {"GET / HTTP/1.1\r\nhost: a\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
         "sec-websocket-key:" KEY "\r\nsec-websocket-version:   13  \r\n\r\n",
         1, "case-insensitive names, token list, odd spacing"},
        {"POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "not GET"},
        {"GET / HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "HTTP/1.0"},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "no Host"},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "no Upgrade"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "wrong Upgrade"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: close\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "Connection without upgrade"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "no key"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
         -EPROTO, "key not 16 bytes"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n",
         -EPROTO, "version 8"},
        {"GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", -EPROTO, "bad header line"},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n", -EAGAIN, "incomplete"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        void *map;
        size_t ml;
        const char *p = guarded(cases[i].text, len, &map, &ml);
        mob_ws_request req;
        const char *why = NULL;
        int rc = mob_ws_parse_request(p, len, &req, &why);
        if (cases[i].want > 0) {
            cr_expect_eq(rc, (int)len, "%s: rc %d (%s)", cases[i].comment, rc, why ? why : "");
            cr_expect_eq(req.key_len, 24u, "%s", cases[i].comment);
        } else {
            cr_expect_eq(rc, cases[i].want, "%s: rc %d", cases[i].comment, rc);
            if (rc == -EPROTO)
                cr_expect(why != NULL && *why, "%s: a reason is given", cases[i].comment);
        }
        unguard(map, ml);
    }
}

Test(ws_codec, request_round_trips_path_and_bytes_after_head_are_not_consumed)
{
    char buf[1024];
    int n = mob_ws_build_request(buf, sizeof buf, "127.0.0.1", 9000, "/game?x=1", KEY, NULL);
    cr_assert_gt(n, 0);
    memcpy(buf + n, "\x81\x00", 2);
    mob_ws_request req;
    cr_assert_eq(mob_ws_parse_request(buf, (size_t)n + 2, &req, NULL), n);
    cr_expect_eq(req.path_len, 9u);
    cr_expect(memcmp(req.path, "/game?x=1", 9) == 0);
}

Test(ws_codec, request_head_over_the_limit_is_emsgsize)
{
    static char big[MOB_WS_MAX_HANDSHAKE + 100];
    memset(big, 'x', sizeof big);
    mob_ws_request req;
    cr_assert_eq(mob_ws_parse_request(big, sizeof big, &req, NULL), -EMSGSIZE);
    cr_assert_eq(mob_ws_build_request(big, 40, "h", 1, "/", KEY, NULL), -ENOBUFS);
}

Test(ws_codec, response_parser_checks_status_upgrade_and_accept)
{
    char ok[512];
    int n = mob_ws_build_response(ok, sizeof ok, KEY, 24);
    cr_assert_gt(n, 0);
    cr_expect_eq(mob_ws_parse_response(ok, (size_t)n, KEY, NULL), n);
    cr_expect_eq(mob_ws_parse_response(ok, (size_t)n - 1, KEY, NULL), -EAGAIN);
    const char *why = NULL;
    cr_expect_eq(mob_ws_parse_response(ok, (size_t)n, "AAAAAAAAAAAAAAAAAAAAAA==", &why),
                 -EPROTO);
    cr_expect_str_eq(why, "wrong Sec-WebSocket-Accept");
    static const char *bad[] = {
        "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *map;
        size_t ml;
        const char *p = guarded(bad[i], strlen(bad[i]), &map, &ml);
        cr_expect_eq(mob_ws_parse_response(p, strlen(bad[i]), KEY, NULL), -EPROTO, "case %zu",
                     i);
        unguard(map, ml);
    }
}

/* ---- frames ---------------------------------------------------------------------------- */

struct frame_case {
    const char *bytes;
    size_t len;
    int want;        /* header length, -EAGAIN or -EPROTO */
    int opcode, fin, masked;
    uint64_t plen;
    const char *comment;
};

#define B(s) s, sizeof(s) - 1

Test(ws_codec, frame_decoder_table)
{
    static const struct frame_case cases[] = {
        {B("\x81\x05"), 2, MOB_WS_TEXT, 1, 0, 5, "short text"},
        {B("\x82\xfe\x01\x00"), -EAGAIN, 0, 0, 0, 0, "16-bit length, mask missing"},
        {B("\x82\xfe\x01\x00\x01\x02\x03\x04"), 8, MOB_WS_BINARY, 1, 1, 256, "16-bit, masked"},
        {B("\x02\x7f\x00\x00\x00\x00\x00\x01\x00\x00"), 10, MOB_WS_BINARY, 0, 0, 65536,
         "64-bit length, not fin"},
        {B("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00"), -EPROTO, 0, 0, 0, 0,
         "64-bit length with top bit"},
        {B("\x89\x00"), 2, MOB_WS_PING, 1, 0, 0, "empty ping"},
        {B("\x09\x00"), -EPROTO, 0, 0, 0, 0, "fragmented ping"},
        {B("\x88\x7e\x00\x7e"), -EPROTO, 0, 0, 0, 0, "control over 125 bytes"},
        {B("\xc1\x00"), -EPROTO, 0, 0, 0, 0, "rsv1 set"},
        {B("\x83\x00"), -EPROTO, 0, 0, 0, 0, "reserved data opcode 3"},
        {B("\x8b\x00"), -EPROTO, 0, 0, 0, 0, "reserved control opcode 0xb"},
        {B("\x81"), -EAGAIN, 0, 0, 0, 0, "one byte"},
        {B("\x81\xfe\x00"), -EAGAIN, 0, 0, 0, 0, "16-bit length cut"},
        {B("\x81\xff\x00\x00\x00"), -EAGAIN, 0, 0, 0, 0, "64-bit length cut"},
        {B("\x81\x85\x01\x02"), -EAGAIN, 0, 0, 0, 0, "mask cut"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct frame_case *c = &cases[i];
        void *map;
        size_t ml;
        const void *p = guarded(c->bytes, c->len, &map, &ml);
        mob_ws_frame f;
        int rc = mob_ws_frame_decode(p, c->len, &f);
        cr_expect_eq(rc, c->want, "%s: rc %d", c->comment, rc);
        if (rc > 0) {
            cr_expect_eq(f.opcode, c->opcode, "%s", c->comment);
            cr_expect_eq(f.fin, c->fin, "%s", c->comment);
            cr_expect_eq(f.masked, c->masked, "%s", c->comment);
            cr_expect_eq(f.len, c->plen, "%s", c->comment);
        }
        unguard(map, ml);
    }
}

Test(ws_codec, frame_encoder_uses_minimal_lengths_and_round_trips)
{
    static const uint64_t lens[] = {0, 1, 125, 126, 65535, 65536, 1u << 30};
    static const size_t hls[] = {2, 2, 2, 4, 4, 10, 10};
    uint8_t mask[4] = {1, 2, 3, 4};
    for (int i = 0; i < 7; i++) {
        for (int m = 0; m < 2; m++) {
            uint8_t h[MOB_WS_MAX_HEADER];
            size_t hl = mob_ws_frame_encode(h, i & 1, MOB_WS_BINARY, m ? mask : NULL, lens[i]);
            cr_expect_eq(hl, hls[i] + (m ? 4 : 0));
            mob_ws_frame f;
            cr_expect_eq(mob_ws_frame_decode(h, hl, &f), (int)hl);
            cr_expect_eq(f.len, lens[i]);
            cr_expect_eq(f.fin, i & 1);
            cr_expect_eq(f.masked, m);
            if (m)
                cr_expect(memcmp(f.mask, mask, 4) == 0);
            /* Any shorter prefix asks for more bytes. */
            for (size_t k = 0; k < hl; k++)
                cr_expect_eq(mob_ws_frame_decode(h, k, &f), -EAGAIN);
        }
    }
}

Test(ws_codec, masking_in_pieces_equals_masking_at_once)
{
    const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t a[11] = "Hello world", b[11];
    memcpy(b, a, 11);
    mob_ws_mask(a, 11, mask, 0);
    /* RFC 6455 5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58. */
    cr_expect(memcmp(a, "\x7f\x9f\x4d\x51\x58", 5) == 0);
    mob_ws_mask(b, 3, mask, 0);
    mob_ws_mask(b + 3, 8, mask, 3);
    cr_expect(memcmp(a, b, 11) == 0);
    mob_ws_mask(a, 11, mask, 0);
    cr_expect(memcmp(a, "Hello world", 11) == 0);
}

Test(ws_codec, utf8_validator_table)
{
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } cases[] = {
        {B("plain ascii"), 1},
        {B("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"), 1}, /* Greek "kosme" */
        {B("\xf0\x9f\x98\x80"), 1},                               /* U+1F600 */
        {B("\xf4\x8f\xbf\xbf"), 1},                               /* U+10FFFF */
        {B("\xf4\x90\x80\x80"), 0},                               /* U+110000 */
        {B("\xc0\xaf"), 0},                                       /* overlong '/' */
        {B("\xe0\x80\xaf"), 0},                                   /* overlong, 3 bytes */
        {B("\xed\xa0\x80"), 0},                                   /* surrogate D800 */
        {B("\x80"), 0},                                           /* lone continuation */
        {B("\xce"), 0},                                           /* cut sequence */
        {B("\xe1\xbd"), 0},
        {B("\xff"), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(mob_ws_utf8_valid(cases[i].s, cases[i].n), cases[i].ok, "case %zu", i);
}

Test(ws_codec, close_payload_rules)
{
    cr_expect_eq(mob_ws_close_parse("", 0), MOB_WS_CLOSE_NO_STATUS);
    cr_expect_eq(mob_ws_close_parse("\x03", 1), -EPROTO);
    cr_expect_eq(mob_ws_close_parse("\x03\xe8", 2), 1000);
    cr_expect_eq(mob_ws_close_parse("\x03\xe8" "bye", 5), 1000);
    cr_expect_eq(mob_ws_close_parse("\x03\xed", 2), -EPROTO);      /* 1005 is never sent */
    cr_expect_eq(mob_ws_close_parse("\x03\xee", 2), -EPROTO);      /* 1006 neither */
    cr_expect_eq(mob_ws_close_parse("\x0f\xa0", 2), 4000);
    cr_expect_eq(mob_ws_close_parse("\x03\xe8\xff", 3), -EPROTO);  /* reason not UTF-8 */
}

Test(ws_codec, frame_build_refuses_what_does_not_fit)
{
    uint8_t out[64];
    ssize_t n = mob_ws_frame_build(out, sizeof out, MOB_WS_BINARY, "abc", 3);
    cr_assert_eq(n, 5);
    cr_expect(memcmp(out, "\x82\x03" "abc", 5) == 0);
    cr_expect_eq(mob_ws_frame_build(out, sizeof out, MOB_WS_BINARY, out, 60), -ENOBUFS);
}
