#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wsread.py URL: a viewer that only reads: connects to a dashboard's WebSocket (ws://...),
reads its messages until the server closes it, and prints how many came and the last one's
success count. tools/compare-http.sh attaches it to measure what a watched run costs."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

url = sys.argv[1]
for _ in range(200):  # the dashboard may not be listening yet
    try:
        ws = cdp.WebSocket(url)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("wsread: nobody listens at " + url)
n, ok = 0, 0
try:
    while True:
        m = json.loads(ws.recv())
        n, ok = n + 1, m.get("ok", ok)
        if m.get("done"):
            break
except (IOError, OSError):
    pass
print(f"wsread: {n} messages, last ok {ok}")
