#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/soak.sh: a long run of many bots against a real server, sampled every few seconds, to
# show that nothing grows: mob's resident memory, its open files, and its p99 latency (from the
# live line mob prints each second), with the server's memory and open files beside them.
# Two targets: the arena game server (build/arena, `mob arena://`) and nginx (Debian's
# nginx-light, installed if missing, run with a configuration this script writes, listening on
# 127.0.0.1 only). Everything stays on 127.0.0.1, and every process it starts is stopped at
# the end, or when the script is interrupted.
#
#   tools/soak.sh                         10,000 bots for 10 min against each target
#   tools/soak.sh -d 30s -w 500           the short version CI runs
#   tools/soak.sh -t nginx -i 5           one target, a sample every 5 s
#
# It prints one line per sample, then a summary per target: first, last, smallest and largest
# of each series, and a verdict. A series is flat when mob's RSS at the end is within 10% (+2
# MiB) of the first sample's, when its open files never move by more than 1% of the bots (+8),
# when the server's do the same, and when the median p99 of the second half of the samples is
# within 2x that of the first half plus 1 ms (the machine is shared: p99 moves with load; with
# fewer than 10 samples, as in CI's short run, the p99 is printed but not judged).
# Exit 0 when every target is flat and mob exited 0; 1 otherwise; 2 on a usage error.
set -u

DUR=10m
BOTS=10000
INTERVAL=10
TARGETS="arena nginx"
BUILD=${BUILD:-build}
OUT=
JUDGE=

usage() {
    echo "usage: tools/soak.sh [-d DURATION (10m, 30s)] [-w BOTS] [-i SECONDS] [-t arena|nginx|both]" >&2
    echo "                     [-b BUILD] [-o DIR (default BUILD/soak)]" >&2
    echo "       tools/soak.sh -j SERIES.tsv    (judge a series written before)" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        -d) DUR=${2:-}; shift 2 || usage ;;
        -w) BOTS=${2:-}; shift 2 || usage ;;
        -i) INTERVAL=${2:-}; shift 2 || usage ;;
        -t) case "${2:-}" in both) TARGETS="arena nginx" ;; arena|nginx) TARGETS=$2 ;; *) usage ;; esac
            shift 2 ;;
        -b) BUILD=${2:-}; shift 2 || usage ;;
        -o) OUT=${2:-}; shift 2 || usage ;;
        -j) JUDGE=${2:-}; shift 2 || usage ;;
        *) usage ;;
    esac
done
case "$BOTS" in ''|*[!0-9]*) usage ;; esac
case "$INTERVAL" in ''|*[!0-9]*|0) usage ;; esac
# The duration in seconds, for the sampling loop (mob takes the string itself).
case "$DUR" in
    *[!0-9smh]*|'') usage ;;
    *h) SECS=$(( ${DUR%h} * 3600 )) ;;
    *m) SECS=$(( ${DUR%m} * 60 )) ;;
    *s) SECS=${DUR%s} ;;
    *) SECS=$DUR ;;
esac
[ -z "$JUDGE" ] || JUDGE=$(realpath "$JUDGE") || exit 2
cd "$(dirname "$0")/.." || exit 1
[ -n "$OUT" ] || OUT="$BUILD/soak"
mkdir -p "$OUT"

if [ ! -x "$BUILD/mob" ] || [ ! -x "$BUILD/arena" ]; then
    make --no-print-directory BUILD="$BUILD" tools >/dev/null || exit 1
fi

SERVER=
MOB=
cleanup() {
    [ -n "$MOB" ] && kill -TERM "$MOB" 2>/dev/null
    [ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null
    [ -n "$SERVER" ] && wait "$SERVER" 2>/dev/null
    SERVER=
    MOB=
}
trap 'cleanup; exit 1' INT TERM HUP
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2; f=1} END {if (!f) print "-"}' "/proc/$1/status" 2>/dev/null || echo -; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# A port nobody listens on, from the range the kernel does not hand out for connects.
free_port() {
    for p in $(shuf -i 10000-30000 -n 50); do
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
    echo 0
}

start_arena() {
    ROOMS=$(( (BOTS + 7) / 8 + 8 ))
    "$BUILD/arena" --host 127.0.0.1 --port 0 --rooms "$ROOMS" --room-capacity 8 \
        --idle 120s >"$OUT/arena.log" 2>&1 &
    SERVER=$!
    SPID=$SERVER
    PORT=
    i=0
    while [ $i -lt 50 ] && [ -z "$PORT" ]; do
        sleep 0.1
        PORT=$(sed -n 's/^arena: tcp [0-9.]*:\([0-9][0-9]*\) .*/\1/p' "$OUT/arena.log")
        i=$((i + 1))
    done
    [ -n "$PORT" ] || { echo "soak: the arena did not start:" >&2; cat "$OUT/arena.log" >&2; return 1; }
    URL="arena://127.0.0.1:$PORT"
}

start_nginx() {
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || tools/apt-install.sh nginx-light || return 1
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    PORT=$(free_port)
    P="$(cd "$OUT" && pwd)/nginx"
    mkdir -p "$P/tmp"
    # One worker, so its memory and files are one process's; keep-alive as nginx ships it
    # (1,000 requests a connection), so the bots also reconnect all along the run.
    cat >"$P/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $P/nginx.pid;
error_log $P/error.log warn;
events { worker_connections $(( BOTS + 1024 )); }
http {
    access_log off;
    client_body_temp_path $P/tmp/body;
    proxy_temp_path $P/tmp/proxy;
    fastcgi_temp_path $P/tmp/fastcgi;
    uwsgi_temp_path $P/tmp/uwsgi;
    scgi_temp_path $P/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location / { return 200 "hello, soak\n"; }
    }
}
EOF
    "$NGINX" -p "$P" -c "$P/nginx.conf" -g 'daemon off;' >"$P/stderr.log" 2>&1 &
    SERVER=$!
    SPID=
    i=0
    while [ $i -lt 50 ] && [ -z "$SPID" ]; do
        sleep 0.1
        SPID=$(pgrep -P "$SERVER" | head -n 1)
        i=$((i + 1))
    done
    [ -n "$SPID" ] || { echo "soak: nginx did not start:" >&2; cat "$P/stderr.log" "$P/error.log" >&2; return 1; }
    i=0
    while [ $i -lt 50 ] && ! ss -Htln "sport = :$PORT" | grep -q .; do sleep 0.1; i=$((i + 1)); done
    URL="http://127.0.0.1:$PORT/"
}

# p99 of the last live line, in ms ("p99 46.04ms", "850us", "1.20s").
last_p99_ms() {
    tail -n 1 "$1" 2>/dev/null | sed -n 's/.* p99 \([0-9.]*\)\(us\|ms\|s\) .*/\1 \2/p' |
        awk '{ v = $1; if ($2 == "us") v /= 1000; else if ($2 == "s") v *= 1000; printf "%.2f", v }'
}
last_rate() {
    tail -n 1 "$1" 2>/dev/null | sed -n 's/.* | \([0-9]*\)\/s | .*/\1/p'
}

# judge SERIES MOB_EXIT NAME: the summary and the verdict of one series file.
judge() {
    awk -F'\t' -v bots="$BOTS" -v rc="$2" -v t="$3" '
    NR == 1 { next }
    { n++; t_[n] = $1; rss[n] = $2; fds[n] = $3; p99[n] = $4; srss[n] = $6; sfds[n] = $7 }
    function lo(a,  i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
    function hi(a,  i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
    function median(a, from, to,  i, j, k, b, x) {
        k = 0
        for (i = from; i <= to; i++) b[++k] = a[i] + 0
        for (i = 2; i <= k; i++) { x = b[i]; for (j = i - 1; j >= 1 && b[j] > x; j--) b[j + 1] = b[j]; b[j + 1] = x }
        return k ? (k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2) : 0
    }
    END {
        if (n < 2) { printf "soak %s: only %d samples, nothing to judge\n", t, n; exit 1 }
        ok = 1
        printf "soak %s: %d samples; mob exit %d\n", t, n, rc
        printf "  mob RSS kB      first %s last %s min %s max %s (%+.0f kB a minute)\n", rss[1], rss[n], lo(rss), hi(rss), (rss[n] - rss[1]) * 60 / (t_[n] - t_[1])
        printf "  mob open fds    first %s last %s min %s max %s\n", fds[1], fds[n], lo(fds), hi(fds)
        printf "  server RSS kB   first %s last %s min %s max %s\n", srss[1], srss[n], lo(srss), hi(srss)
        printf "  server fds      first %s last %s min %s max %s\n", sfds[1], sfds[n], lo(sfds), hi(sfds)
        h = int(n / 2)
        m1 = median(p99, 1, h); m2 = median(p99, h + 1, n)
        printf "  p99 ms          min %s max %s; median first half %.2f, second half %.2f\n", lo(p99), hi(p99), m1, m2
        slack = bots / 100 + 8
        if (rss[n] > rss[1] * 1.10 + 2048) { ok = 0; print "  NOT FLAT: mob RSS grew" }
        if (hi(fds) - lo(fds) > slack) { ok = 0; print "  NOT FLAT: mob open fds moved" }
        if (srss[n] > srss[1] * 1.10 + 2048) { ok = 0; print "  NOT FLAT: server RSS grew" }
        if (hi(sfds) - lo(sfds) > slack) { ok = 0; print "  NOT FLAT: server open fds moved" }
        # Fewer than 10 samples say nothing about a trend in a p99 on a shared machine.
        if (n < 10) print "  p99 not judged: fewer than 10 samples"
        else if (m2 > 2 * m1 + 1) { ok = 0; print "  NOT FLAT: p99 grew" }
        if (rc != 0) ok = 0
        printf "  verdict: %s\n", ok ? "flat" : "NOT FLAT (or mob failed)"
        exit ok ? 0 : 1
    }' "$1"
}

if [ -n "$JUDGE" ]; then
    judge "$JUDGE" 0 "$(basename "$JUDGE" .tsv)"
    exit
fi

ALL_RC=0
for T in $TARGETS; do
    echo "== soak: $BOTS bots for $DUR against $T, a sample every ${INTERVAL}s"
    if ! "start_$T"; then ALL_RC=1; cleanup; continue; fi
    SERIES="$OUT/soak-$T.tsv"
    LIVE="$OUT/mob-$T.live"
    printf 't_s\tmob_rss_kb\tmob_fds\tp99_ms\truns_per_s\tserver_rss_kb\tserver_fds\n' >"$SERIES"
    "$BUILD/mob" "$URL" -w "$BOTS" -d "$DUR" --json "$OUT/mob-$T.json" \
        >"$OUT/mob-$T.txt" 2>"$LIVE" &
    MOB=$!
    START=$(date +%s)
    printf '%6s %12s %8s %9s %10s %14s %11s\n' t_s mob_rss_kb mob_fds p99_ms runs/s server_rss_kb server_fds
    NEXT=$((START + INTERVAL))
    while kill -0 "$MOB" 2>/dev/null; do
        NOW=$(date +%s)
        if [ "$NOW" -lt "$NEXT" ]; then sleep 1; continue; fi
        NEXT=$((NEXT + INTERVAL))
        # No sample once the run is over: the bots are leaving and the counts fall.
        [ $((NOW - START)) -lt "$SECS" ] || continue
        ROW="$((NOW - START))	$(rss_kb "$MOB")	$(nfds "$MOB")	$(last_p99_ms "$LIVE")	$(last_rate "$LIVE")	$(rss_kb "$SPID")	$(nfds "$SPID")"
        kill -0 "$MOB" 2>/dev/null || break
        echo "$ROW" >>"$SERIES"
        echo "$ROW" | awk -F'\t' '{ printf "%6s %12s %8s %9s %10s %14s %11s\n", $1, $2, $3, $4, $5, $6, $7 }'
    done
    wait "$MOB"
    MRC=$?
    MOB=
    cleanup
    grep -E '^SUCCESSES' "$OUT/mob-$T.txt"
    judge "$SERIES" "$MRC" "$T" || ALL_RC=1
done
exit $ALL_RC
