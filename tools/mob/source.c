/* SPDX-License-Identifier: MIT */
/*
 * source.c: `mob ./my_scenarios.c`: a C file of scenarios is built with the system compiler
 * (cc, or $CC) against mob's headers into a cache, then loaded like any plugin, so a C
 * scenario is as quick to try as a molotov script. The cache is $XDG_CACHE_HOME/mob (else
 * ~/.cache/mob), one shared object per content: the name is a hash of the source, mob's
 * version and the compile command, so an edit or a new mob builds again and nothing else
 * does. The compiler's messages go straight to stderr; a file that does not build is a usage
 * error (exit 2).
 *
 * The headers are found next to the binary (BIN/../include, which holds for build/mob and
 * for an installed PREFIX/bin/mob), or in $MOB_INCLUDE.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mob_run.h"
#include "tool.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* mkdir -p for the cache directory. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -errno;
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int include_dir(char *out, size_t cap)
{
    const char *env = getenv("MOB_INCLUDE");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    char exe[PATH_MAX - 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -ENOENT;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -ENOENT;
    *slash = 0;
    snprintf(out, cap, "%s/../include", exe);
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/mob_run.h", out);
    return access(probe, R_OK) == 0 ? 0 : -ENOENT;
}

int mob_tool_build_source(const char *src, char *so, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(src, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", src, strerror(errno));
        return -1;
    }
    char inc[PATH_MAX];
    if (include_dir(inc, sizeof inc) < 0) {
        fclose(f);
        snprintf(err, errlen, "cannot find mob's headers next to the binary (set MOB_INCLUDE)");
        return -1;
    }
    const char *cc = getenv("CC");
    if (!cc || !*cc)
        cc = "cc";
    uint64_t h = 0xcbf29ce484222325ull;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    const char *v = mob_version();
    h = fnv(h, v, strlen(v));
    h = fnv(h, cc, strlen(cc));
    h = fnv(h, inc, strlen(inc));

    char dir[PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/mob", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/mob", home);
    else
        snprintf(dir, sizeof dir, "/tmp/mob-cache-%d", (int)getuid());
    if (make_dirs(dir) < 0) {
        snprintf(err, errlen, "cannot make the cache directory %s: %s", dir, strerror(errno));
        return -1;
    }
    const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
    snprintf(so, cap, "%s/%.*s-%016llx.so", dir, (int)strcspn(base, "."), base,
             (unsigned long long)h);
    if (access(so, R_OK) == 0)
        return 0; /* built before, from the same bytes by the same mob */

    char tmp[PATH_MAX + 32], incflag[PATH_MAX + 3];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", so, (int)getpid());
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: %s", cc, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(2, 1); /* every compiler message on stderr */
        execlp(cc, cc, "-std=c11", "-O2", "-g", "-fPIC", "-shared", "-Wall",
               "-D_POSIX_C_SOURCE=200809L", incflag, "-o", tmp, src, (char *)NULL);
        fprintf(stderr, "mob: cannot run %s: %s\n", cc, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        unlink(tmp);
        snprintf(err, errlen, "'%s' does not build (the compiler's messages are above)", src);
        return -1;
    }
    if (rename(tmp, so) < 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot move the build into %s: %s", so, strerror(errno));
        return -1;
    }
    return 0;
}
