/* SPDX-License-Identifier: MIT */
/*
 * test_io_rbuf.c: buffered lines and length-prefixed frames (src/core/rbuf.c), fed through a
 * socketpair by a writer bot that dribbles the bytes in small pieces, so every boundary case
 * (a terminator split across reads, a prefix split across reads) is crossed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "mob.h"

struct feed {
    int sp[2];
    const char *data;
    size_t len;
    size_t piece;   /* bytes per write */
    int close_after;
    /* what the reader saw */
    int n;
    ssize_t rc[16];
    char text[16][64];
};

static intptr_t dribbler(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    for (size_t off = 0; off < f->len; off += f->piece) {
        size_t k = f->len - off < f->piece ? f->len - off : f->piece;
        mob_write_all(self, f->sp[1], f->data + off, k, MOB_FOREVER);
        mob_yield(self);
    }
    if (f->close_after)
        mob_close(self, f->sp[1]);
    return 0;
}

static void run(struct feed *f, mob_bot_fn reader)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sp), 0);
    fcntl(f->sp[0], F_SETFL, O_NONBLOCK);
    fcntl(f->sp[1], F_SETFL, O_NONBLOCK);
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, reader, f);
    mob_spawn(loop, dribbler, f);
    cr_assert_eq(mob_loop_run(loop), 0);
    mob_close(NULL, f->sp[0]);
    if (!f->close_after)
        mob_close(NULL, f->sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

static intptr_t line_reader(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    char storage[32];
    mob_rbuf rb;
    mob_rbuf_init(&rb, f->sp[0], storage, sizeof storage);
    while (f->n < 16) {
        char *line;
        ssize_t n = mob_read_line(self, &rb, &line, mob_now(mob_bot_loop(self)) + 2000 * MOB_NS_PER_MS);
        f->rc[f->n] = n;
        if (n >= 0)
            memcpy(f->text[f->n], line, (size_t)n + 1);
        f->n++;
        if (n < 0 && n != -EMSGSIZE)
            break;
        if (n == -EMSGSIZE)
            break;
    }
    return 0;
}

Test(rbuf, read_line_splits_lines_and_strips_crlf, .timeout = 5)
{
    static const char in[] = "hello\r\nworld\n\nlast one here\n";
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 3, .close_after = 1};
    run(&f, line_reader);
    cr_assert_eq(f.n, 5);
    cr_assert_eq(f.rc[0], 5);
    cr_assert_str_eq(f.text[0], "hello");
    cr_assert_eq(f.rc[1], 5);
    cr_assert_str_eq(f.text[1], "world");
    cr_assert_eq(f.rc[2], 0);
    cr_assert_str_eq(f.text[2], "");
    cr_assert_eq(f.rc[3], 13);
    cr_assert_str_eq(f.text[3], "last one here");
    cr_assert_eq(f.rc[4], -ENODATA, "clean EOF: %zd", f.rc[4]);
}

Test(rbuf, read_line_reports_eof_mid_line_as_epipe, .timeout = 5)
{
    static const char in[] = "ok\nunterminated";
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 4, .close_after = 1};
    run(&f, line_reader);
    cr_assert_eq(f.n, 2);
    cr_assert_str_eq(f.text[0], "ok");
    cr_assert_eq(f.rc[1], -EPIPE);
}

Test(rbuf, read_line_longer_than_the_buffer_is_emsgsize, .timeout = 5)
{
    /* 32-byte buffer: a 31-byte line plus '\n' fits exactly, a longer one does not. */
    static const char in[] = "0123456789012345678901234567890\n"
                             "this line is much too long for the buffer\n";
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 5, .close_after = 1};
    run(&f, line_reader);
    cr_assert_eq(f.rc[0], 31);
    cr_assert_eq(f.rc[1], -EMSGSIZE);
}

static intptr_t line_timeout_reader(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    char storage[32];
    mob_rbuf rb;
    mob_rbuf_init(&rb, f->sp[0], storage, sizeof storage);
    char *line;
    int64_t soon = mob_now(mob_bot_loop(self)) + 5 * MOB_NS_PER_MS;
    f->rc[0] = mob_read_line(self, &rb, &line, soon);
    /* Nothing was consumed by the failed call: the line comes whole on the next one. */
    f->rc[1] = mob_read_line(self, &rb, &line, MOB_FOREVER);
    if (f->rc[1] >= 0)
        memcpy(f->text[1], line, (size_t)f->rc[1] + 1);
    return 0;
}

static intptr_t slow_liner(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    mob_write_all(self, f->sp[1], "par", 3, MOB_FOREVER);
    mob_sleep(self, 30 * MOB_NS_PER_MS);
    mob_write_all(self, f->sp[1], "tial\n", 5, MOB_FOREVER);
    return 0;
}

Test(rbuf, a_timed_out_read_line_loses_nothing, .timeout = 5)
{
    struct feed f = {0};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sp), 0);
    fcntl(f.sp[0], F_SETFL, O_NONBLOCK);
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, line_timeout_reader, &f);
    mob_spawn(loop, slow_liner, &f);
    cr_assert_eq(mob_loop_run(loop), 0);
    cr_assert_eq(f.rc[0], -ETIMEDOUT);
    cr_assert_eq(f.rc[1], 7);
    cr_assert_str_eq(f.text[1], "partial");
    mob_close(NULL, f.sp[0]);
    mob_close(NULL, f.sp[1]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

/* Frames: every prefix size and byte order round-trips through mob_write_frame and
 * mob_read_frame. */
struct frames {
    int sp[2];
    mob_framing fr;
    ssize_t wrc[4], rrc[6];
    char got[4][300];
};

static const size_t frame_lens[4] = {0, 1, 200, 255};

static intptr_t frame_writer(mob_bot *self, void *arg)
{
    struct frames *t = arg;
    char payload[300];
    for (int i = 0; i < 4; i++) {
        memset(payload, 'a' + i, sizeof payload);
        t->wrc[i] = mob_write_frame(self, t->sp[1], &t->fr, payload, frame_lens[i], MOB_FOREVER);
    }
    mob_close(self, t->sp[1]);
    return 0;
}

static intptr_t frame_reader(mob_bot *self, void *arg)
{
    struct frames *t = arg;
    char storage[300];
    mob_rbuf rb;
    mob_rbuf_init(&rb, t->sp[0], storage, sizeof storage);
    for (int i = 0; i < 5; i++) {
        char *p;
        t->rrc[i] = mob_read_frame(self, &rb, &t->fr, &p, MOB_FOREVER);
        if (t->rrc[i] < 0)
            break;
        memcpy(t->got[i], p, (size_t)t->rrc[i]);
    }
    return 0;
}

static void frame_round_trip(int prefix, int endian)
{
    struct frames t = {.fr = {prefix, endian, 280}};
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, t.sp), 0);
    fcntl(t.sp[0], F_SETFL, O_NONBLOCK);
    fcntl(t.sp[1], F_SETFL, O_NONBLOCK);
    mob_loop *loop = mob_loop_new(NULL);
    mob_spawn(loop, frame_reader, &t);
    mob_spawn(loop, frame_writer, &t);
    cr_assert_eq(mob_loop_run(loop), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(t.wrc[i], (ssize_t)frame_lens[i], "prefix %d frame %d", prefix, i);
        cr_assert_eq(t.rrc[i], (ssize_t)frame_lens[i], "prefix %d frame %d", prefix, i);
        for (size_t k = 0; k < frame_lens[i]; k++)
            cr_assert_eq(t.got[i][k], 'a' + i);
    }
    cr_assert_eq(t.rrc[4], -ENODATA);
    mob_close(NULL, t.sp[0]);
    cr_assert_eq(mob_loop_free(loop), 0);
}

Test(rbuf, frames_round_trip_with_every_prefix_and_byte_order, .timeout = 5)
{
    for (int p = 1; p <= 4; p *= 2) {
        frame_round_trip(p, MOB_BIG_ENDIAN);
        frame_round_trip(p, MOB_LITTLE_ENDIAN);
    }
}

static intptr_t frame_edge_reader(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    char storage[64];
    mob_rbuf rb;
    mob_rbuf_init(&rb, f->sp[0], storage, sizeof storage);
    mob_framing fr = {2, MOB_BIG_ENDIAN, 16};
    char *p;
    f->rc[0] = mob_read_frame(self, &rb, &fr, &p, MOB_FOREVER); /* "\0\3abc": 3 */
    f->rc[1] = mob_read_frame(self, &rb, &fr, &p, MOB_FOREVER); /* length 0x0100 > max */
    /* Writing too much for the prefix or the max fails before anything is sent. */
    f->rc[2] = mob_write_frame(self, f->sp[0], &fr, storage, 17, MOB_FOREVER);
    mob_framing one = {1, MOB_LITTLE_ENDIAN, 1000};
    f->rc[3] = mob_write_frame(self, f->sp[0], &one, storage, 256, MOB_FOREVER);
    mob_framing bad = {3, MOB_BIG_ENDIAN, 10};
    f->rc[4] = mob_read_frame(self, &rb, &bad, &p, MOB_FOREVER);
    return 0;
}

Test(rbuf, oversized_frames_are_emsgsize, .timeout = 5)
{
    static const char in[] = "\0\3abc\1\0";
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 1, .close_after = 1};
    run(&f, frame_edge_reader);
    cr_assert_eq(f.rc[0], 3);
    cr_assert_eq(f.rc[1], -EMSGSIZE);
    cr_assert_eq(f.rc[2], -EMSGSIZE);
    cr_assert_eq(f.rc[3], -EMSGSIZE);
    cr_assert_eq(f.rc[4], -EINVAL);
}

static intptr_t frame_eof_reader(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    char storage[64];
    mob_rbuf rb;
    mob_rbuf_init(&rb, f->sp[0], storage, sizeof storage);
    mob_framing fr = {4, MOB_LITTLE_ENDIAN, 32};
    char *p;
    f->rc[0] = mob_read_frame(self, &rb, &fr, &p, MOB_FOREVER);
    return 0;
}

Test(rbuf, eof_in_the_middle_of_a_frame_is_epipe, .timeout = 5)
{
    static const char in[] = "\10\0\0\0abc"; /* says 8 bytes, has 3 */
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 2, .close_after = 1};
    run(&f, frame_eof_reader);
    cr_assert_eq(f.rc[0], -EPIPE);
}

static intptr_t exact_reader(mob_bot *self, void *arg)
{
    struct feed *f = arg;
    char storage[8];
    mob_rbuf rb;
    mob_rbuf_init(&rb, f->sp[0], storage, sizeof storage);
    char *p;
    for (int i = 0; i < 4; i++) {
        f->rc[i] = mob_rbuf_read_exact(self, &rb, 5, &p, MOB_FOREVER);
        if (f->rc[i] > 0)
            memcpy(f->text[i], p, 5);
    }
    f->rc[4] = mob_rbuf_read_exact(self, &rb, 9, &p, MOB_FOREVER);
    return 0;
}

Test(rbuf, read_exact_through_the_buffer_compacts_as_needed, .timeout = 5)
{
    static const char in[] = "aaaaabbbbbcccccdd";
    struct feed f = {.data = in, .len = sizeof in - 1, .piece = 3, .close_after = 1};
    run(&f, exact_reader);
    cr_assert_eq(f.rc[0], 5);
    cr_assert_eq(memcmp(f.text[0], "aaaaa", 5), 0);
    cr_assert_eq(memcmp(f.text[1], "bbbbb", 5), 0);
    cr_assert_eq(memcmp(f.text[2], "ccccc", 5), 0);
    cr_assert_eq(f.rc[3], -EPIPE); /* "dd" then EOF */
    cr_assert_eq(f.rc[4], -EMSGSIZE);
}
