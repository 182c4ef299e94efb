/* SPDX-License-Identifier: MIT */
/*
 * test_version.c: what `mob --version` and mob_version() say. The release comes from the
 * VERSION file (the one the Makefile names the shared library after) and the commit from git,
 * as "mob 0.1.0 (b41e1ab)"; outside a git checkout there is no commit part.
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "mob.h"

static void read_release(char *out, size_t cap)
{
    FILE *f = fopen("VERSION", "r");
    cr_assert_not_null(f, "VERSION (tests run from the top of the tree)");
    cr_assert_not_null(fgets(out, (int)cap, f));
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    cr_assert_gt(strlen(out), 0);
}

/* "RELEASE" or "RELEASE (describe)", the release exactly as VERSION spells it. */
static void expect_version(const char *got, const char *release)
{
    size_t n = strlen(release);
    cr_expect(strncmp(got, release, n) == 0, "\"%s\" does not start with VERSION's %s", got, release);
    regex_t re;
    cr_assert_eq(regcomp(&re, "^( \\([0-9a-z.-]+\\))?$", REG_EXTENDED | REG_NOSUB), 0);
    cr_expect_eq(regexec(&re, got + (strncmp(got, release, n) == 0 ? n : 0), 0, NULL, 0), 0,
                 "\"%s\": expected \"%s (commit)\"", got, release);
    regfree(&re);
}

Test(version, library_says_release_and_commit)
{
    char release[64];
    read_release(release, sizeof release);
    expect_version(mob_version(), release);
}

Test(version, command_prints_it, .timeout = 20)
{
    char release[64], cmd[512], line[256] = "";
    read_release(release, sizeof release);
    snprintf(cmd, sizeof cmd, "%s/mob --version", test_build_dir());
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(line, sizeof line, p), "no output from %s", cmd);
    int status = pclose(p);
    cr_expect_eq(status, 0, "%s exited with status %d", cmd, status);
    line[strcspn(line, "\n")] = '\0';
    cr_assert(strncmp(line, "mob ", 4) == 0, "\"%s\"", line);
    expect_version(line + 4, release);
}
