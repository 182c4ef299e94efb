/* SPDX-License-Identifier: MIT */
/*
 * Report files are safe (issue 11, part 7): checked before the run (exit 2 with the system's
 * reason, no load sent), written atomically beside a regular target keeping its mode, never
 * replacing a file the user could not write, symlinks followed, FIFOs and /proc links written
 * in place, "-" on stdout. Everything happens in a scratch directory: the targets that must
 * never be replaced are our own FIFO and our own link to /proc/self/fd/1, not the system's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"

static char dir[64];

static void scratch(void)
{
    snprintf(dir, sizeof dir, "/tmp/mob-outfile-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void put(const char *path, const char *text, mode_t mode)
{
    test_write_file(path, text);
    cr_assert_eq(chmod(path, mode), 0);
}

static void slurp_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

static const char *plugin(void)
{
    static char so[600];
    snprintf(so, sizeof so, "%s/examples/plugin.so", test_build_dir());
    return so;
}

static void say(FILE *f, const void *ud)
{
    fputs(ud, f);
}

Test(outfile, bad_paths_are_refused_before_the_run, .timeout = 20)
{
    scratch();
    char ro[128], missing[128];
    path_in(ro, sizeof ro, "ro.json");
    path_in(missing, sizeof missing, "no/such/dir/x.json");
    put(ro, "keep me", 0444);
    struct test_out o;
    int64_t t0 = mob_clock_ns();
    /* -d 10s of a plugin: had it run first, the test would take 10 s. */
    MOB(&o, "-w", "1", "-d", "10s", "-q", "--json", ro, plugin());
    cr_assert_eq(o.code, 2, "exit %d: %s", o.code, o.err);
    cr_assert_not_null(strstr(o.err, "Permission denied"), "%s", o.err);
    char text[64];
    slurp_file(ro, text, sizeof text);
    cr_assert_str_eq(text, "keep me", "a read-only file is never replaced");
    MOB(&o, "-w", "1", "-d", "10s", "-q", "--hgrm", missing, plugin());
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "No such file or directory"), "%s", o.err);
    MOB(&o, "-w", "1", "-d", "10s", "-q", "--json", dir, plugin());
    cr_assert_eq(o.code, 2);
    cr_assert_not_null(strstr(o.err, "Is a directory"), "%s", o.err);
    cr_assert_lt(mob_clock_ns() - t0, 5 * MOB_NS_PER_SEC, "no run was made");
    cr_assert_eq(mob_outfile_check(ro), -EACCES);
    cr_assert_eq(mob_outfile_check("-"), 0);
    unlink(ro);
    rmdir(dir);
}

Test(outfile, a_regular_file_is_replaced_whole_keeping_its_mode_and_links)
{
    scratch();
    char real[128], link[128], fresh[128];
    path_in(real, sizeof real, "real.txt");
    path_in(link, sizeof link, "link.txt");
    path_in(fresh, sizeof fresh, "fresh.txt");
    put(real, "old old old old old", 0640);
    cr_assert_eq(symlink("real.txt", link), 0);
    struct stat before, after, lst;
    stat(real, &before);
    cr_assert_eq(mob_outfile_write(link, say, "new"), 0);
    char text[64];
    slurp_file(real, text, sizeof text);
    cr_assert_str_eq(text, "new", "the link's target holds the new text, whole");
    cr_assert_eq(lstat(link, &lst), 0);
    cr_assert(S_ISLNK(lst.st_mode), "the link is still a link");
    stat(real, &after);
    cr_assert_eq(after.st_mode & 07777, 0640, "mode %o", after.st_mode & 07777);
    cr_assert_neq(after.st_ino, before.st_ino, "replaced by rename, not rewritten in place");
    mode_t mask = umask(022);
    cr_assert_eq(mob_outfile_write(fresh, say, "x"), 0);
    umask(mask);
    stat(fresh, &after);
    cr_assert_eq(after.st_mode & 07777, 0644);
    unlink(real);
    unlink(link);
    unlink(fresh);
    rmdir(dir);
}

struct reader {
    char path[128];
    char got[64];
};

static void *read_fifo(void *arg)
{
    struct reader *r = arg;
    int fd = open(r->path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, r->got, sizeof r->got - 1) : -1;
    r->got[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
    return NULL;
}

Test(outfile, a_fifo_and_a_proc_link_are_written_in_place_never_replaced, .timeout = 10)
{
    scratch();
    struct reader r;
    path_in(r.path, sizeof r.path, "fifo");
    cr_assert_eq(mkfifo(r.path, 0600), 0);
    pthread_t th;
    pthread_create(&th, NULL, read_fifo, &r);
    cr_assert_eq(mob_outfile_check(r.path), 0);
    cr_assert_eq(mob_outfile_write(r.path, say, "through the pipe"), 0);
    pthread_join(th, NULL);
    cr_assert_str_eq(r.got, "through the pipe");
    struct stat st;
    cr_assert_eq(lstat(r.path, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "still a FIFO");

    /* Our own /dev/stdout: a link to /proc/self/fd/N, where N is a file we hold open. */
    char link[128], held[128];
    path_in(link, sizeof link, "stdout");
    path_in(held, sizeof held, "held.txt");
    int fd = open(held, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    cr_assert_eq(symlink(proc, link), 0);
    cr_assert_eq(mob_outfile_write(link, say, "in place"), 0);
    close(fd);
    char text[64];
    slurp_file(held, text, sizeof text);
    cr_assert_str_eq(text, "in place", "written through the open file");
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link to /proc was not replaced");
    unlink(r.path);
    unlink(link);
    unlink(held);
    rmdir(dir);
}
