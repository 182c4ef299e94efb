#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# view-bench.sh: can one `mob view` keep up with many reporters? Starts a viewer, then one
# `mob -p P -w W` run whose P children each report to it (P reporting processes of W bots;
# each bot runs examples/09-watch's scenarios, which only sleep, with --delay so the machine
# is not the bottleneck). While the run goes on, /metrics is read every 0.5 s: the figure is
# the worst mob_view_lag_seconds seen (the age of the stalest reporter's numbers; each sends
# once a second). At the end the viewer's merged report must equal the run's own (the -p
# parent's exact merge of its children). Prints the viewer's CPU time too.
#
#   tools/view-bench.sh [-p PROCESSES] [-w BOTS] [-d SECONDS] [-b BUILD_DIR]
set -euo pipefail
P=32
W=1000
SECS=20
BUILD=${MOB_BUILD:-build}
while getopts "p:w:d:b:h" opt; do
    case $opt in
    p) P=$OPTARG ;;
    w) W=$OPTARG ;;
    d) SECS=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    *) sed -n '3,14p' "$0"; exit 2 ;;
    esac
done
MOB="$BUILD/mob"
EX="$BUILD/examples/09-watch"
DIR=$(mktemp -d /tmp/mob-view-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

/usr/bin/time -f "%U %S %M" -o "$DIR/view.time" "$MOB" view "127.0.0.1:$PORT" --expect "$P" \
    --json "$DIR/view.json" -q 2>"$DIR/view.err" &
PIDS+=($!)
VIEW=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" && break
    sleep 0.1
done
"$EX" -p "$P" -w "$W" -d "${SECS}s" --delay 1s --no-live -q --report-to "127.0.0.1:$PORT" \
    --json "$DIR/run.json" &
PIDS+=($!)
RUN=$!
worst=0
samples=0
while kill -0 "$RUN" 2>/dev/null; do
    lag=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^mob_view_lag_seconds/ {print $2}')
    if [ -n "$lag" ]; then
        samples=$((samples + 1))
        worst=$(echo "if ($lag > $worst) $lag else $worst" | bc -l)
    fi
    sleep 0.5
done
wait "$RUN"
wait "$VIEW" || true
read -r u s m < "$DIR/view.time"
ok() { python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t['ok'], t['failures'])" "$1"; }
echo "reporters: $P processes x $W bots, ${SECS}s, --delay 1s"
echo "worst lag seen in $samples samples of /metrics: ${worst} s"
echo "viewer CPU: $(echo "$u + $s" | bc -l) s user+sys over the run, peak RSS $((m / 1024)) MB"
echo "run's own merged totals (ok failures): $(ok "$DIR/run.json")"
echo "viewer's merged totals  (ok failures): $(ok "$DIR/view.json")"
[ "$(ok "$DIR/run.json")" = "$(ok "$DIR/view.json")" ] && echo "exact: yes" || echo "exact: NO"
