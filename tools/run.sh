#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/run.sh BUILD BOTS DURATION: the `make run` demo. Starts build/arena on 127.0.0.1 on a
# free port, runs the arena player bots against it with the mob command (`mob arena://`: log
# in, join rooms that fill up, move, chat, wait to see every room-mate's chat, coordinate
# through mob mailboxes), with mob's live line, then per-action counts and latency
# percentiles. Writes BUILD/arena-run.json and BUILD/arena-run.txt, stops the arena, and exits
# 0 when no action failed. RUNNER=arena-bots uses build/arena-bots instead, which also times
# every single chat from its sending to each room-mate's reading.
#
#   make run                          1,000 bots for 20 s
#   make run BOTS=10000 DURATION=60s  the arena and the bots run in separate processes, so
#                                     each stays under the 20,000 open-file limit; past
#                                     15,000 bots the bots are split over several processes
#   make run WS=1                     the same over WebSocket
#   make run RUNNER=arena-bots        per-chat latencies from tools/arena-bots instead of mob
set -u

BUILD=${1:-build}
BOTS=${2:-}
DURATION=${3:-}
[ -n "$BOTS" ] || BOTS=1000
[ -n "$DURATION" ] || DURATION=20s
ROOM=${ROOM_SIZE:-8}
PER_PROC=15000

case "$BOTS" in *[!0-9]*|'') echo "run.sh: BOTS must be a number, not '$BOTS'" >&2; exit 2;; esac

if [ ! -x "$BUILD/arena" ] || [ ! -x "$BUILD/arena-bots" ]; then
    make --no-print-directory BUILD="$BUILD" tools || exit 1
fi

# Bots per process, and rooms: each process fills its own rooms in order (its player i is in
# its room i / ROOM). Keep the room count within the server's limit by growing the rooms when
# there are very many bots (then the arena-bots runner is used: mob's suite has rooms of 8).
NPROC=$(( (BOTS + PER_PROC - 1) / PER_PROC ))
EACH=$(( (BOTS + NPROC - 1) / NPROC ))
ROOMS=$(( NPROC * ((EACH + ROOM - 1) / ROOM) ))
while [ "$ROOMS" -gt 4096 ]; do
    ROOM=$(( ROOM * 2 ))
    ROOMS=$(( NPROC * ((EACH + ROOM - 1) / ROOM) ))
done
[ "$ROOM" = 8 ] || RUNNER=arena-bots
if [ "$ROOM" -gt 64 ]; then
    echo "run.sh: $BOTS bots need rooms of $ROOM, over the limit of 64" >&2
    exit 2
fi

if [ "${WS:-0}" = 1 ]; then
    TRANSPORT=--ws
    NAME=WebSocket
    LISTEN="--port -1 --ws-port 0"
else
    TRANSPORT=
    NAME=TCP
    LISTEN="--port 0"
fi

LOG="$BUILD/arena-run.log"
mkdir -p "$BUILD"
# A fresh log: the port is read from it, and the last run's port would be stale.
rm -f "$LOG"
# shellcheck disable=SC2086
"$BUILD/arena" --host 127.0.0.1 $LISTEN --rooms "$ROOMS" --room-capacity "$ROOM" \
    --idle 120s >"$LOG" 2>&1 &
ARENA=$!
trap 'kill -TERM $ARENA 2>/dev/null' EXIT INT TERM

PORT=
i=0
while [ $i -lt 50 ]; do
    if [ -n "$TRANSPORT" ]; then
        PORT=$(sed -n 's/^arena: tcp .* ws [0-9.]*:\([0-9][0-9]*\)$/\1/p' "$LOG")
    else
        PORT=$(sed -n 's/^arena: tcp [0-9.]*:\([0-9][0-9]*\) .*/\1/p' "$LOG")
    fi
    [ -n "$PORT" ] && break
    kill -0 $ARENA 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$PORT" ]; then
    echo "run.sh: the arena did not start:" >&2
    cat "$LOG" >&2
    exit 1
fi
echo "arena on 127.0.0.1:$PORT ($NAME), $ROOMS rooms of $ROOM;" \
     "$BOTS bots for $DURATION"

RC=0
if [ "${RUNNER:-mob}" = mob ] && [ -x "$BUILD/mob" ]; then
    SCHEME=arena; [ -n "$TRANSPORT" ] && SCHEME=arena+ws
    # Each process fills its own rooms; the arena has enough for all of them.
    # mob's own exit status, not tee's: it is 1 as soon as one action failed (-f 1).
    RCF="$BUILD/arena-run.rc"
    rm -f "$RCF"
    { "$BUILD/mob" "$SCHEME://127.0.0.1:$PORT" -w "$EACH" -p "$NPROC" -d "$DURATION" -f 1 \
        --json "$BUILD/arena-run.json"; echo $? >"$RCF"; } | tee "$BUILD/arena-run.txt"
    RC=$(cat "$RCF" 2>/dev/null || echo 1)
    rm -f "$RCF"
elif [ "$BOTS" -le $PER_PROC ]; then
    # shellcheck disable=SC2086
    "$BUILD/arena-bots" --host 127.0.0.1 --port "$PORT" --bots "$BOTS" --duration "$DURATION" \
        --room-size "$ROOM" $TRANSPORT --json "$BUILD/arena-run.json" \
        --report "$BUILD/arena-run.txt" || RC=$?
else
    # Several processes, each with its own rooms; each writes its own report.
    EACH=$(( (EACH + ROOM - 1) / ROOM * ROOM ))
    PIDS=
    p=0
    LEFT=$BOTS
    while [ $p -lt $NPROC ]; do
        N=$EACH
        [ "$N" -gt "$LEFT" ] && N=$LEFT
        # shellcheck disable=SC2086
        "$BUILD/arena-bots" --host 127.0.0.1 --port "$PORT" --bots "$N" \
            --duration "$DURATION" --room-size "$ROOM" $TRANSPORT \
            --first-room $(( p * EACH / ROOM )) $( [ $p -gt 0 ] && echo --quiet ) \
            --json "$BUILD/arena-run.$p.json" --report "$BUILD/arena-run.$p.txt" &
        PIDS="$PIDS $!"
        LEFT=$((LEFT - N))
        p=$((p + 1))
    done
    for pid in $PIDS; do
        wait "$pid" || RC=1
    done
    cat "$BUILD"/arena-run.[0-9]*.txt >"$BUILD/arena-run.txt"
fi

kill -TERM $ARENA 2>/dev/null
wait $ARENA 2>/dev/null
trap - EXIT INT TERM
tail -n 1 "$LOG"
echo "reports: $BUILD/arena-run.txt $BUILD/arena-run.json"
exit $RC
