#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare-http.sh: mob against wrk, h2load and molotov on the same nginx, side by side.
#
# nginx (one worker, a 13-byte body, keep-alive, access log off) listens on 127.0.0.1 on a
# free port, pinned to CPU 1; each generator runs pinned to CPU 0 at the same connection count
# and duration, under GNU time for user+sys CPU and peak RSS. Prints requests/s, generator
# CPU microseconds per request and peak RSS per tool, then mob's ratios to each. Installs the
# Debian packages it needs when they are missing. Everything stays on 127.0.0.1 and is bounded
# by the duration; the temporary directory and nginx are removed on exit.
#
#   tools/compare-http.sh [-c CONNS] [-d SECONDS] [-n ROUNDS] [-t "wrk h2load molotov mob"]
#   (-t "mob mob-dash": mob alone, then mob with --dashboard and one viewer on its WebSocket)
#                         [-b BUILD_DIR] [-g GATE_SECONDS] [-s]
#
# -s: HTTPS. The script makes a P-256 certificate for 127.0.0.1 with openssl, nginx serves
# TLS (session cache and tickets on), and the tools default to "wrk mob wrk-close mob-close":
# keep-alive at -c connections (CPU per request is the figure), then a new TLS connection
# per request (Connection: close; requests/s is handshakes/s). Neither wrk nor mob checks the
# certificate here (mob --insecure), so both pay the same handshake; mob resumes each bot's
# last session (TLS 1.3 tickets), wrk starts every connection from scratch.
#
# With -n > 1 every tool runs once per round, interleaved, and the table shows medians. Before
# each run a quiet gate waits (up to -g seconds, default 30; 0 turns it off) for one second in
# which neither core is more than 10% busy with someone else's work: on a shared machine the
# other tenants' load otherwise decides the ranking.
set -euo pipefail

CONNS=100
SECS=10
ROUNDS=1
TOOLS="wrk h2load molotov mob"
BUILD=${MOB_BUILD:-build}
GATE=30
HTTPS=0
while getopts "c:d:n:t:b:g:sh" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) SECS=$OPTARG ;;
    n) ROUNDS=$OPTARG ;;
    t) TOOLS=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    g) GATE=$OPTARG ;;
    s) HTTPS=1 ;;
    *) sed -n '3,28p' "$0"; exit 2 ;;
    esac
done
MOB="$(cd "$BUILD" 2>/dev/null && pwd)/mob"
if [ "$HTTPS" = 1 ] && [ "$TOOLS" = "wrk h2load molotov mob" ]; then
    TOOLS="wrk mob wrk-close mob-close"
fi

# ---- packages --------------------------------------------------------------------------------
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v molotov >/dev/null || need+=(python3-molotov)
[ -x /usr/bin/time ] || need+=(time)
command -v bc >/dev/null || need+=(bc)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    "$(dirname "$0")/apt-install.sh" "${need[@]}"
fi
[ -x "$MOB" ] || { echo "no $MOB: run make first" >&2; exit 2; }
NCPU=$(nproc)
GEN_CPU=0
SRV_CPU=$((NCPU > 1 ? 1 : 0))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- nginx -----------------------------------------------------------------------------------
DIR=$(mktemp -d /tmp/mob-compare.XXXXXX)
chmod 755 "$DIR"
NGINX_PID=""
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
mkdir -p "$DIR/www" "$DIR/tmp"
printf 'Hello, World!' >"$DIR/www/index.html"
LISTEN="listen 127.0.0.1:$PORT backlog=65535;"
SCHEME=http
if [ "$HTTPS" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$DIR/key.pem" -out "$DIR/cert.pem" -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 2>/dev/null
    LISTEN="listen 127.0.0.1:$PORT ssl backlog=65535;
        ssl_certificate $DIR/cert.pem; ssl_certificate_key $DIR/key.pem;
        ssl_session_cache shared:SSL:50m; ssl_session_tickets on;"
    SCHEME=https
fi
cat >"$DIR/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 20000; multi_accept on; use epoll; }
http {
    default_type text/html;
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_timeout 65; keepalive_requests 100000000;
    open_file_cache max=100;
    client_body_temp_path $DIR/tmp; proxy_temp_path $DIR/tmp; fastcgi_temp_path $DIR/tmp;
    uwsgi_temp_path $DIR/tmp; scgi_temp_path $DIR/tmp;
    server {
        $LISTEN
        location / { root $DIR/www; index index.html; }
    }
}
EOF
taskset -c "$SRV_CPU" nginx -p "$DIR" -c "$DIR/nginx.conf" 2>"$DIR/nginx.stderr" &
NGINX_PID=$!
URL="$SCHEME://127.0.0.1:$PORT/"
for _ in $(seq 50); do
    curl -kfs "$URL" >/dev/null 2>&1 && break
    [ "$HTTPS" = 1 ] && { sleep 0.1; continue; }
    python3 - "$PORT" <<'PY' 2>/dev/null && break || sleep 0.1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.sendall(b"GET / HTTP/1.0\r\n\r\n"); assert b"Hello, World!" in s.recv(4096)
PY
done

cat >"$DIR/loadtest.py" <<EOF
from molotov import scenario

@scenario(weight=100)
async def get(session):
    async with session.get("$URL") as resp:
        assert resp.status == 200
EOF

# ---- quiet gate: busy share of the busiest core over one second, in percent ------------------
busiest() {
    local a b
    a=$(grep '^cpu[0-9]' /proc/stat)
    sleep 1
    b=$(grep '^cpu[0-9]' /proc/stat)
    paste <(echo "$a") <(echo "$b") | awk '{
        n = (NF - 2) / 2; t1 = 0; t2 = 0
        for (i = 2; i <= n + 1; i++) t1 += $i
        for (i = n + 3; i <= NF; i++) t2 += $i
        idle1 = $5 + $6; idle2 = $(n + 6) + $(n + 7)
        busy = (t2 - t1) - (idle2 - idle1)
        pct = (t2 > t1) ? 100 * busy / (t2 - t1) : 0
        if (pct > m) m = pct
    } END { printf "%d\n", m }'
}
gate() {
    [ "$GATE" -gt 0 ] 2>/dev/null || return 0
    local end=$((SECONDS + GATE))
    while [ $SECONDS -lt $end ]; do
        [ "$(busiest)" -le 10 ] && return 0
    done
    echo "  (quiet gate gave up after ${GATE}s: the machine is busy)" >&2
}

# ---- one run: prints "requests cpu_seconds max_rss_kb" ---------------------------------------
run_tool() {
    local tool=$1 out="$DIR/$tool.out" tm="$DIR/$tool.time"
    case $tool in
    wrk) cmd=(wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL") ;;
    h2load) cmd=(h2load --h1 -t1 -c"$CONNS" -D "$SECS" "$URL") ;;
    molotov) cmd=(molotov -w "$CONNS" -d "$SECS" -c --force-shutdown "$DIR/loadtest.py") ;;
    mob) cmd=("$MOB" -w "$CONNS" -d "${SECS}s" --no-live --insecure "$URL") ;;
    wrk-close) cmd=(wrk -t1 -c"$CONNS" -d"${SECS}s" -H "Connection: close" "$URL") ;;
    mob-close) cmd=("$MOB" -w "$CONNS" -d "${SECS}s" --no-live --insecure --connection close "$URL") ;;
    mob-dash) # mob with its dashboard on, and one viewer reading the page's WebSocket
        local dp
        dp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        cmd=("$MOB" -w "$CONNS" -d "${SECS}s" --no-live --dashboard "127.0.0.1:$dp" "$URL")
        taskset -c "$SRV_CPU" python3 "$(dirname "$0")/browser/wsread.py" "ws://127.0.0.1:$dp/ws" >"$DIR/wsread.out" 2>&1 &
        ;;
    esac
    (cd "$DIR" && /usr/bin/time -f "%U %S %M" -o "$tm" taskset -c "$GEN_CPU" "${cmd[@]}" \
        </dev/null >"$out" 2>&1) || true
    local req=0
    case $tool in
    wrk | wrk-close) req=$(awk '/requests in/ {print $1}' "$out") ;;
    h2load) req=$(awk '/^requests:/ {print $8}' "$out") ;;
    molotov) req=$(sed -n 's/.*SUCCESSES: \([0-9]*\).*/\1/p' "$out" | tail -1) ;;
    mob | mob-dash | mob-close) req=$(sed -n 's/^SUCCESSES: \([0-9]*\) | FAILURES: \([0-9]*\).*/\1 \2/p' "$out" |
        awk '{print $1 + $2}') ;;
    esac
    read -r u s m < <(tail -n 1 "$tm") || true
    echo "${req:-0} $(echo "$u + $s" | bc -l) ${m:-0}"
}

declare -A RPS CPU RSS
for r in $(seq "$ROUNDS"); do
    for tool in $TOOLS; do
        gate
        read -r req cpu rss < <(run_tool "$tool")
        rps=$(echo "$req / $SECS" | bc -l)
        us=$(echo "if ($req > 0) $cpu * 1000000 / $req else 0" | bc -l)
        RPS[$tool]+="$rps "
        CPU[$tool]+="$us "
        RSS[$tool]+="$rss "
        printf '  round %d %-8s %10.0f req/s %8.2f us/req %8.1f MB\n' "$r" "$tool" "$rps" "$us" \
            "$(echo "$rss / 1024" | bc -l)" >&2
    done
done

median() {
    tr ' ' '\n' | grep -v '^$' | sort -g |
        awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}

echo
if [ "$HTTPS" = 1 ]; then
    echo "HTTPS (TLS, P-256 certificate) GET of a 13-byte body from nginx (1 worker, CPU $SRV_CPU);"
    echo "*-close: a new TLS connection per request, so requests/s is handshakes/s"
else
    echo "HTTP/1.1 keep-alive GET of a 13-byte body from nginx (1 worker, CPU $SRV_CPU);"
fi
echo "$CONNS connections, ${SECS}s, generator on CPU $GEN_CPU, median of $ROUNDS round(s)"
echo
printf '| %-8s | %12s | %18s | %13s | %14s | %14s |\n' tool "requests/s" "CPU us/request" \
    "peak RSS MB" "mob req/s x" "mob CPU/req x"
printf '|%s|%s|%s|%s|%s|%s|\n' ---------- -------------: -------------------: \
    ---------------: ----------------: ----------------:
mob_rps=$(echo "${RPS[mob]:-0}" | median)
mob_cpu=$(echo "${CPU[mob]:-0}" | median)
for tool in $TOOLS; do
    rps=$(echo "${RPS[$tool]}" | median)
    cpu=$(echo "${CPU[$tool]}" | median)
    rss=$(echo "${RSS[$tool]}" | median)
    ref_rps=$mob_rps ref_cpu=$mob_cpu
    case $tool in *-close)
        ref_rps=$(echo "${RPS[mob-close]:-0}" | median)
        ref_cpu=$(echo "${CPU[mob-close]:-0}" | median) ;;
    esac
    rr=$(echo "if ($rps > 0) $ref_rps / $rps else 0" | bc -l)
    cr=$(echo "if ($cpu > 0) $ref_cpu / $cpu else 0" | bc -l)
    printf '| %-8s | %12.0f | %18.2f | %13.1f | %14.2f | %14.2f |\n' "$tool" "$rps" "$cpu" \
        "$(echo "$rss / 1024" | bc -l)" "$rr" "$cr"
done
