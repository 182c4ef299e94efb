#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ci-install.sh: the install leg. Installs mob into a scratch prefix (with DESTDIR, as a
# package build does), then builds an example with nothing but `pkg-config --cflags --libs
# mob` pointed at that prefix, runs it against the shared library and compares its output
# with the one the suite expects; checks the SONAME links, mob --version, the man pages (and
# that mob(1) names every long option of `mob --help`), and that `make uninstall` removes
# every file it installed.
#
# usage: tools/ci-install.sh        env: BUILD=build-install
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-install}
tools/apt-install.sh pkg-config man-db

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=/opt/mob-ci
root=$scratch/root
make -s --no-print-directory BUILD="$BUILD" PREFIX=$prefix DESTDIR="$root" WERROR=1 install >/dev/null
echo "installed:"; (cd "$root" && find . -type f -o -type l | sort | sed 's/^/  /')

fail() { echo "install leg: FAILED: $*" >&2; exit 1; }
lib=$root$prefix/lib
release=$(cat VERSION)
major=${release%%.*}
[ "$(readlink "$lib/libmob.so")" = "libmob.so.$major" ] || fail "libmob.so is not a link to libmob.so.$major"
[ "$(readlink "$lib/libmob.so.$major")" = "libmob.so.$release" ] || fail "libmob.so.$major link"
readelf -d "$lib/libmob.so.$release" | grep -q "SONAME.*\[libmob.so.$major\]" || fail "SONAME"

# pkg-config reads the installed mob.pc; DESTDIR is the only thing it must be told about.
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
[ "$(pkg-config --modversion mob)" = "$release" ] || fail "pkg-config --modversion"
flags=$(pkg-config --cflags --libs mob)
echo "pkg-config --cflags --libs mob: $flags"
# shellcheck disable=SC2086 # the flags are words
cc -o "$scratch/04-echo" tools/examples/04-echo.c $flags
readelf -d "$scratch/04-echo" | grep -q "NEEDED.*\[libmob.so.$major\]" || fail "04-echo does not need libmob.so.$major"
LD_LIBRARY_PATH="$lib" "$scratch/04-echo" >"$scratch/04-echo.out"
cmp "$scratch/04-echo.out" tools/examples/04-echo.out || fail "04-echo printed something else"
echo "04-echo built with pkg-config alone, linked to libmob.so.$major: output as expected"
v=$("$root$prefix/bin/mob" --version)
echo "$v" | grep -Eq "^mob $release \([0-9a-z.-]+\)$" || fail "mob --version says '$v'"
echo "$v"
# mob(1) is written by hand: every long option the command's help names must be in it.
page=$root$prefix/share/man/man1/mob.1
for o in $("$root$prefix/bin/mob" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page" || fail "mob(1) does not document $o"
done
for m in 1 3; do
    MANWIDTH=80 man -l "$root$prefix/share/man/man$m/mob.$m" 2>&1 | grep -q "^NAME" || fail "mob($m)"
done

make -s --no-print-directory BUILD="$BUILD" PREFIX=$prefix DESTDIR="$root" uninstall
left=$(find "$root" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install leg: ok"
