#!/bin/sh
# check-layers.sh: fails when a file includes across a sealed line, or grows past the size
# bound. Run by `make check-layers`, `make test` and .ci/run; prints every offence, not just
# the first.
#
# The layers, bottom up; each may include its own directory's private headers and the public
# headers (include/) of its layer and the layers below, nothing else:
#
#   platform/     the OS and the CPU; its own types (platform.h), no mob header at all
#   src/core/     the runtime (src/*.h are its private headers, platform/platform.h its contract)
#   src/proto/    HTTP and WebSocket
#   src/run/      the load runner and the CLI
#   src/arena/    the demo game server (the public API only)
#   src/suites/   the mob command's built-in suites
#   tools/        programs: the public API only. tools/mob-bench/ may also reach internals
#                 through the one declared door, include/mob_test_hooks.h (with MOB_TEST_HOOKS
#                 defined first); tests/ are white-box and not checked.
#
# Names are sealed too: above the core, no file may name a mob__ internal that the core or the
# platform declares (src/*.h, src/core/*.h, platform/*.h), even by declaring it itself.
#
# A new public header needs a layer in public_layer() below; a new directory under src/ needs
# one in area_of().
#
#   tools/check-layers.sh                  the whole tree (git ls-files)
#   tools/check-layers.sh --as PATH FILE   FILE's includes and size as if it lived at PATH
#                                          (how tests/test_layers.c probes the rules)
set -u
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "check-layers: skipped (not a git checkout: the file list comes from git ls-files)"
    exit 0
fi

MAX_LINES=600
# Files allowed past MAX_LINES, each with its reason. Keep this list short.
SIZE_EXCEPTIONS="
"

rank() {
    case $1 in
    platform) echo 0 ;; core) echo 1 ;; proto) echo 2 ;; run) echo 3 ;; arena) echo 4 ;;
    suites) echo 5 ;; tools | bench) echo 6 ;; *) echo 99 ;;
    esac
}

# The layer a public header belongs to (the lowest layer allowed to include it).
public_layer() {
    case $1 in
    mob_base.h | mob.h | mob_io.h) echo core ;;
    mob_fail.h | mob_http.h | mob_tls.h | mob_ws.h) echo proto ;;
    mob_hist.h | mob_run.h | mob_events.h) echo run ;;
    mob_arena.h) echo arena ;;
    mob_suites.h) echo suites ;;
    mob_test_hooks.h) echo hooks ;;
    *) echo unknown ;;
    esac
}

area_of() {
    case $1 in
    platform/*) echo platform ;;
    src/core/*) echo core ;;
    src/proto/*) echo proto ;;
    src/run/*) echo run ;;
    src/arena/*) echo arena ;;
    src/suites/*) echo suites ;;
    src/*/*) echo unknown ;;
    src/*.h) echo core ;;
    tools/mob-bench/*) echo bench ;;
    tools/*) echo tools ;;
    include/*) public_layer "${1#include/}" ;;
    build/gen/* | */gen/*) echo gen ;;
    *) echo other ;;
    esac
}

# Where the compiler finds `#include "name"` from `file`: its own directory, then -Iinclude,
# -Isrc, -I$(BUILD)/gen (the Makefile's order). Prints a path relative to the tree.
resolve() {
    dir=$(dirname "$1")
    for d in "$dir" include src; do
        if [ -f "$d/$2" ]; then
            realpath -m --relative-to=. "$d/$2"
            return
        fi
    done
    case $2 in mob_version.h) echo "build/gen/$2" ;; *) echo "missing/$2" ;; esac
}

fail=0
bad() {
    echo "check-layers: $*" >&2
    fail=1
}

# check_includes PATH CONTENT: the includes of CONTENT, judged as if it lived at PATH.
check_includes() {
    f=$1
    content=$2
    from=$(area_of "$f")
    if [ "$from" = unknown ]; then
        bad "$f: no layer for this file (add its directory or header to tools/check-layers.sh)"
        return
    fi
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$content" |
        sed 's/^\([0-9]*\):.*"\(.*\)".*/\1 \2/' >/tmp/check-layers.$$
    while read -r line name; do
        to_path=$(resolve "$f" "$name")
        to=$(area_of "$to_path")
        where="$f:$line: #include \"$name\""
        case $to_path in missing/*) continue ;; esac # system or generated elsewhere
        if [ "$(dirname "$to_path")" = "$(dirname "$f")" ] && [ "${to_path#include/}" = "$to_path" ]; then
            continue # the file's own directory: its layer's private headers
        fi
        case "$from:$to_path" in
        core:src/*.h | core:platform/platform.h | *:build/gen/*) continue ;;
        hooks:platform/platform.h) continue ;; # the declared door itself
        esac
        case $to in
        hooks)
            if [ "$from" = bench ] && grep -q '^#define MOB_TEST_HOOKS' "$content"; then
                continue
            fi
            bad "$where: only tools/mob-bench/ (with MOB_TEST_HOOKS) and tests/ may use the test hooks"
            ;;
        unknown)
            bad "$where: include/${to_path#include/} has no layer (add it to public_layer in tools/check-layers.sh)"
            ;;
        core | proto | run | arena | suites)
            if [ "${to_path#include/}" = "$to_path" ]; then
                bad "$where: reaches into $to's private files; use a public header (include/)"
            elif [ "$(rank "$to")" -gt "$(rank "$from")" ]; then
                bad "$where: $from must not depend on $to (a layer above it)"
            fi
            ;;
        platform)
            bad "$where: only the core sees platform/ (through platform.h)"
            ;;
        *)
            bad "$where: crosses a sealed line ($from -> $to_path)"
            ;;
        esac
    done </tmp/check-layers.$$
    rm -f /tmp/check-layers.$$
}

# The mob__ names the core and the platform declare in their private headers.
core_names=/tmp/check-layers-names.$$
cat src/*.h src/core/*.h platform/*.h | grep -o 'mob__[A-Za-z0-9_]*' | sort -u >"$core_names"
trap 'rm -f "$core_names" /tmp/check-layers.$$' EXIT

# check_names PATH CONTENT: no core or platform internal named above the core.
check_names() {
    case $(area_of "$1") in
    proto | run | arena | suites | tools) ;;
    bench) grep -q '^#define MOB_TEST_HOOKS' "$2" && return ;;
    *) return ;;
    esac
    hits=$(grep -now -F -f "$core_names" "$2" | head -3)
    for h in $hits; do
        bad "$1:${h%%:*}: names ${h#*:}, an internal of the core or the platform (use the public API)"
    done
}

check_size() {
    n=$(wc -l <"$2")
    [ "$n" -le "$MAX_LINES" ] && return
    if printf '%s\n' "$SIZE_EXCEPTIONS" | grep -q "^$1 "; then
        return
    fi
    bad "$1: $n lines, over $MAX_LINES: split it along its jobs (or justify it in SIZE_EXCEPTIONS)"
}

if [ "${1:-}" = --as ]; then
    [ $# = 3 ] || { echo "usage: $0 [--as PATH FILE]" >&2; exit 2; }
    check_includes "$2" "$3"
    check_names "$2" "$3"
    check_size "$2" "$3"
    exit "$fail"
fi

for f in $(git ls-files 'src/*' 'platform/*' 'include/*' 'tools/*' | grep -E '\.(c|h|S)$'); do
    check_includes "$f" "$f"
    check_names "$f" "$f"
done

for f in $(git ls-files 'src/*' 'platform/*' 'include/*' 'tools/*' 'tests/*' | grep -E '\.(c|h|S|sh|py)$'); do
    check_size "$f" "$f"
done

[ "$fail" = 0 ] && echo "check-layers: ok (layers sealed, files within $MAX_LINES lines)"
exit "$fail"
