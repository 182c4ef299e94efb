/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proto.c: libFuzzer entry point for the decoders a hostile peer reaches in the arena
 * and WebSocket layers: WebSocket handshakes (both sides), frame headers, close payloads,
 * UTF-8 validation, and arena messages (decoded, then every list entry read and the message
 * encoded again). Built and run by `make fuzz CC=clang` next to fuzz_http.c; the seed corpus is
 * tests/corpus/proto/. What is checked: no crash, no out-of-bounds read (ASan), and that what
 * the decoders accept is consistent (lengths within the input, counts within the payload).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mob.h"
#include "mob_arena.h"
#include "mob_ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copies the input to a buffer of exactly its size, so ASan sees any over-read. */
static uint8_t *exact_copy(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = exact_copy(data, size);
    if (!buf)
        return 0;

    mob_ws_request req;
    int n = mob_ws_parse_request((const char *)buf, size, &req, NULL);
    if (n > 0 && ((size_t)n > size || (req.path && req.path + req.path_len > (char *)buf + size)))
        abort();
    n = mob_ws_parse_response((const char *)buf, size, "dGhlIHNhbXBsZSBub25jZQ==", NULL);
    if (n > 0 && (size_t)n > size)
        abort();

    mob_ws_frame f;
    n = mob_ws_frame_decode(buf, size, &f);
    if (n > 0 && ((size_t)n > size || n > MOB_WS_MAX_HEADER))
        abort();
    if (n > 0 && f.opcode >= MOB_WS_CLOSE && (f.len > MOB_WS_MAX_CONTROL || !f.fin))
        abort(); /* a control frame must have been refused */
    mob_ws_close_parse(buf, size);
    mob_ws_utf8_valid(buf, size);

    mob_arena_msg m;
    if (mob_arena_decode(buf, size, &m) == 0) {
        if (m.text && (m.text < (const char *)buf || m.text + m.text_len > (char *)buf + size))
            abort();
        for (int i = 0; i < m.n; i++) {
            mob_arena_room_info r;
            mob_arena_member mem;
            if (m.type == MOB_ARENA_ROOMS)
                mob_arena_room_at(&m, i, &r);
            else
                mob_arena_member_at(&m, i, &mem);
        }
        uint8_t out[70000];
        mob_arena_encode(&m, out, sizeof out);
    }
    free(buf);
    return 0;
}
