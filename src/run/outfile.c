/* SPDX-License-Identifier: MIT */
/*
 * outfile.c: report files written safely, for every report mob writes (--json, --hgrm,
 * --html, and any later one): mob_outfile_check before the run, mob_outfile_write after it.
 *
 * What "safely" means here:
 *   - "-" is stdout.
 *   - A regular file (or none yet) is written atomically: a temporary file beside it, synced,
 *     given the old file's mode (and owner, where allowed), renamed over it. A reader never
 *     sees half a report, and a failed write leaves the old one whole.
 *   - A symlink is followed: the file it points to is replaced, the link stays a link.
 *   - Anything else (a FIFO, a terminal, /dev/null, /dev/stdout and the other /proc/self/fd
 *     links) is written in place and never replaced: renaming over /dev/null as root would
 *     replace the device node, and renaming over a file the shell opened for our stdout would
 *     leave the shell's descriptor on the old, unlinked file.
 *   - A file the user may not write is never replaced, even in a directory they may write
 *     (rename(2) needs only the directory): the check is made on the file itself.
 * The check is made before the run, so a typo in a path costs nothing: no load is sent.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

/* Links into /proc (/dev/stdout -> /proc/self/fd/1 -> "pipe:[123]") name open files, not
 * paths: whatever they lead to is written in place. */
static int via_proc(const char *path)
{
    char buf[PATH_MAX];
    const char *p = path;
    for (int hops = 0; hops < 8; hops++) {
        if (strncmp(p, "/proc/", 6) == 0 || strncmp(p, "/dev/fd/", 8) == 0)
            return 1;
        ssize_t n = readlink(p, buf, sizeof buf - 1);
        if (n <= 0)
            return 0;
        buf[n] = 0;
        if (buf[0] != '/')
            return 0; /* a relative link: an ordinary file's */
        p = buf;
    }
    return 0;
}

/*
 * Where a path really writes: *target is malloc'd, the final file (symlinks followed; for a
 * file not there yet, its directory resolved). *in_place when the target is not a regular
 * file. Returns 0 or -errno (-EISDIR, -EACCES, -ENOENT for a missing directory, ...).
 */
static int resolve(const char *path, char **target, int *in_place, struct stat *st, int *exists)
{
    *target = NULL;
    *in_place = 0;
    *exists = 0;
    if (stat(path, st) == 0) {
        *exists = 1;
        if (S_ISDIR(st->st_mode))
            return -EISDIR;
        if (!S_ISREG(st->st_mode) || via_proc(path)) {
            *in_place = 1;
            *target = strdup(path);
            return *target ? 0 : -ENOMEM;
        }
        *target = realpath(path, NULL);
        return *target ? 0 : -errno;
    }
    if (errno != ENOENT)
        return -errno;
    /* Not there yet: a dangling symlink creates its target, as a shell's > would. */
    char link[PATH_MAX];
    const char *p = path;
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            return -EINVAL;
        link[n] = 0;
        if (link[0] != '/') { /* relative to the link's directory */
            const char *slash = strrchr(path, '/');
            char joined[PATH_MAX];
            int k = snprintf(joined, sizeof joined, "%.*s%s", slash ? (int)(slash - path + 1) : 0,
                             path, link);
            if (k < 0 || (size_t)k >= sizeof joined)
                return -ENAMETOOLONG;
            memcpy(link, joined, (size_t)k + 1);
        }
        p = link;
    }
    const char *slash = strrchr(p, '/');
    char dir[PATH_MAX];
    if (!slash)
        strcpy(dir, ".");
    else if (slash == p)
        strcpy(dir, "/");
    else if ((size_t)(slash - p) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - p), p);
    else
        return -ENAMETOOLONG;
    char *rdir = realpath(dir, NULL);
    if (!rdir)
        return -errno;
    size_t n = strlen(rdir) + strlen(slash ? slash : p) + 2;
    *target = malloc(n);
    if (*target)
        snprintf(*target, n, "%s/%s", rdir, slash ? slash + 1 : p);
    free(rdir);
    return *target ? 0 : -ENOMEM;
}

/* Whether the user may write the existing file st: access(2), and for root, who passes every
 * access check, at least one write bit (a read-only file stays read-only, even to root). */
static int may_write(const char *target, const struct stat *st)
{
    if (access(target, W_OK) != 0)
        return -errno;
    if (geteuid() == 0 && !(st->st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)))
        return -EACCES;
    return 0;
}

static int dir_writable(const char *target)
{
    const char *slash = strrchr(target, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash == target ? 1 : (int)(slash - target), target);
    return access(dir, W_OK | X_OK) == 0;
}

int mob_outfile_check(const char *path)
{
    if (!path || !*path)
        return -EINVAL;
    if (strcmp(path, "-") == 0)
        return 0;
    char *target;
    int in_place, exists;
    struct stat st;
    int rc = resolve(path, &target, &in_place, &st, &exists);
    if (rc == 0) {
        if (exists)
            rc = may_write(target, &st); /* never replace what the user could not write */
        else if (!exists && !dir_writable(target))
            rc = -EACCES;
    }
    free(target);
    return rc;
}

/* Writes fn's output to fd; returns 0 or -errno. Closes fd. */
static int write_fd(int fd, void (*fn)(FILE *f, const void *ud), const void *ud, int sync)
{
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        return -e;
    }
    errno = 0;
    fn(f, ud);
    int bad = ferror(f) || fflush(f) != 0;
    int e = errno ? errno : EIO;
    if (!bad && sync && fsync(fd) != 0 && errno != EINVAL) {
        bad = 1;
        e = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno ? errno : EIO;
    }
    return bad ? -e : 0;
}

int mob_outfile_write(const char *path, void (*fn)(FILE *f, const void *ud), const void *ud)
{
    if (strcmp(path, "-") == 0) {
        fn(stdout, ud);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -EIO;
    }
    char *target;
    int in_place, exists;
    struct stat st;
    int rc = resolve(path, &target, &in_place, &st, &exists);
    if (rc < 0)
        return rc;
    if (exists && (rc = may_write(target, &st)) < 0)
        goto out;
    if (in_place || (exists && !dir_writable(target))) {
        /* Not a regular file, or a directory we may not add to: the file itself, in place. */
        int fd = open(target, O_WRONLY | O_CLOEXEC | (in_place ? 0 : O_TRUNC));
        rc = fd < 0 ? -errno : write_fd(fd, fn, ud, !in_place);
        goto out;
    }
    size_t n = strlen(target) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        rc = -ENOMEM;
        goto out;
    }
    /* Beside the target, so the rename stays within one file system. */
    const char *slash = strrchr(target, '/');
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)(slash - target + 1), target, slash + 1);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = -errno;
        free(tmp);
        goto out;
    }
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
        if (fchown(fd, st.st_uid, st.st_gid) != 0) {
            /* Not ours to give away (not root): the file becomes the writer's, as any editor
             * that saves by rename does. */
        }
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0)
        rc = -errno;
    if (rc == 0)
        rc = write_fd(fd, fn, ud, 1);
    else
        close(fd);
    if (rc == 0 && rename(tmp, target) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
out:
    free(target);
    return rc;
}
