#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check.py: mob's pages looked at as a person would, in headless Chromium (CI's browser leg).

  1. The live dashboard of a 6 s run (arena players in process): the numbers on the page
     advance while the run goes on, and once it is over the page says so and shows the
     totals of the run's JSON report. Python's prometheus_client parses /metrics meanwhile.
  2. The same with -p 2: the parent's page shows the sum of its children.
  3. mob view with two reporting processes: the page lists both, its final count is the
     viewer's merged report, which equals mob merge of the reporters' own files.
  4. The HTML report of run 1, opened from disk: it renders, with the JSON's totals.
  5. The HTML report of a run of two kinds of bot (examples/10-kinds): its kinds and
     KIND/SCENARIO rows are the JSON's.
  6. The HTML report of a --sizing run against tests/hostile cap:10: its sizing row says the
     JSON's verdict (molotov's "Sizing is over! ... obtained with N workers").
  7. The HTML report of two runs merged, one failing with declined payments (status), the
     other with refused connections (connect): the failures chart draws one line per class
     that failed, named in its legend, and no other.
  8. The live page of a --sizing run against tests/hostile cap:10: its sizing card shows the
     window's failed share against the tolerance as it climbs, with -p 2 too (hidden in
     runs 1 and 2).

With --screenshots DIR it saves dashboard.png, view.png and report.png there (README's).
Usage: tools/browser/check.py [--build build] [--screenshots DIR]
Everything stays on 127.0.0.1; every process ends by its -d or is killed at the end.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILED.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return True
        except Exception:
            time.sleep(0.05)
    return False


def text(b, id_):
    return b.eval(f"document.getElementById({id_!r}).textContent")


def count(b, id_):
    return int(text(b, id_) or "0")


def open_page(b, url):
    for _ in range(3):  # a navigation that lands on an error page is tried again
        b.open(url, settle=0.3)
        if b.eval("location.href").startswith("http"):
            return
        time.sleep(0.3)


def watch_run(b, url, proc, shot=None, shot_at=2.5):
    """Follows a run's page: returns (values of #ok seen while running, final #ok, status)."""
    wait_http(url)
    open_page(b, url)
    seen, t0, shot_done = [], time.time(), False
    while proc.poll() is None and time.time() - t0 < 30:
        try:
            seen.append(count(b, "ok"))
        except Exception:
            pass
        if shot and not shot_done and time.time() - t0 >= shot_at:
            b.screenshot(shot)
            shot_done = True
        time.sleep(0.5)
    proc.wait(timeout=30)
    time.sleep(0.5)
    return seen, count(b, "ok"), text(b, "status")


def metrics_parse(url):
    from prometheus_client.parser import text_string_to_metric_families
    body = urllib.request.urlopen(url, timeout=5).read().decode()
    fams = {f.name: f for f in text_string_to_metric_families(body)}
    return fams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("MOB_BUILD", "build"))
    ap.add_argument("--screenshots")
    args = ap.parse_args()
    mob = os.path.abspath(os.path.join(args.build, "mob"))
    tmp = tempfile.mkdtemp(prefix="mob-browser-")
    shots = args.screenshots
    if shots:
        os.makedirs(shots, exist_ok=True)
    b = cdp.Browser(width=1200, height=1300)
    procs = []
    try:
        # 1. The dashboard of one process, and /metrics through prometheus_client.
        port = free_port()
        rj, rh = os.path.join(tmp, "run.json"), os.path.join(tmp, "run.html")
        p = subprocess.Popen([mob, "arena://in-process", "-w", "50", "-d", "6s", "--no-live",
                              "--dashboard", f"127.0.0.1:{port}", "--json", rj, "--html", rh],
                             stdout=subprocess.DEVNULL)
        procs.append(p)
        url = f"http://127.0.0.1:{port}/"
        wait_http(url)
        time.sleep(1.5)
        fams = metrics_parse(url + "metrics")
        runs = fams.get("mob_runs")  # the parser drops the _total of counters
        hist = fams.get("mob_latency_seconds")
        check(runs is not None and any(s.value > 0 for s in runs.samples),
              "prometheus_client reads mob_runs_total with counts")
        check(hist is not None and hist.type == "histogram" and
              any(s.name.endswith("_bucket") for s in hist.samples),
              "prometheus_client reads mob_latency_seconds as a histogram")
        seen, final, status = watch_run(b, url, p)
        report = json.load(open(rj))
        check(len(seen) >= 3 and len(set(seen)) >= 3 and seen == sorted(seen),
              f"the page's success count advanced during the run: {seen}")
        check(status == "run over", f"the page says the run is over ({status!r})")
        check(final == report["totals"]["ok"],
              f"the page's final count is the JSON's: {final} vs {report['totals']['ok']}")

        # 2. -p 2: the parent serves the sum of its children.
        port = free_port()
        pj = os.path.join(tmp, "p.json")
        p = subprocess.Popen([mob, "arena://in-process", "-w", "20", "-p", "2", "-d", "4s",
                              "--no-live", "--dashboard", f"127.0.0.1:{port}", "--json", pj],
                             stdout=subprocess.DEVNULL)
        procs.append(p)
        seen, final, status = watch_run(b, f"http://127.0.0.1:{port}/", p)
        total = json.load(open(pj))["totals"]["ok"]
        check(len(set(seen)) >= 2, f"-p 2: the count advanced: {seen}")
        check(final == total, f"-p 2: the parent's page shows the children's sum: {final} vs "
                              f"{total}")
        check(b.eval("document.querySelectorAll('#reps tr').length") == 3,
              "-p 2: both children are listed as reporters")
        check(b.eval("document.getElementById('sizing-card').hidden") is True,
              "a run without --sizing shows no sizing card")

        # 3. mob view and two reporters.
        port = free_port()
        vj = os.path.join(tmp, "view.json")
        v = subprocess.Popen([mob, "view", f"127.0.0.1:{port}", "--expect", "2", "--json", vj,
                              "-q"], stderr=subprocess.DEVNULL)
        procs.append(v)
        url = f"http://127.0.0.1:{port}/"
        wait_http(url)
        open_page(b, url)
        files = []
        for i, bots in enumerate(("30", "10")):
            f = os.path.join(tmp, f"rep{i}.json")
            files.append(f)
            procs.append(subprocess.Popen(
                [mob, "arena://in-process", "-w", bots, "-d", "4s", "-q", "--report-to",
                 f"127.0.0.1:{port}", "--json", f]))
        seen, final, status = watch_run(b, url, v,
                                        shot=shots and os.path.join(shots, "view.png"),
                                        shot_at=3)
        for q in procs[-2:]:
            q.wait(timeout=30)
        merged = subprocess.run([mob, "merge", "-q", "--json", os.path.join(tmp, "m.json")]
                                + files, check=False)
        mtotal = json.load(open(os.path.join(tmp, "m.json")))["totals"]["ok"]
        vtotal = json.load(open(vj))["totals"]["ok"]
        check(merged.returncode == 0 and vtotal == mtotal,
              f"mob view's report equals mob merge of the reporters: {vtotal} vs {mtotal}")
        check(final == vtotal, f"mob view's page ends on that total: {final} vs {vtotal}")
        check(b.eval("document.querySelectorAll('#reps tr').length") == 3,
              "mob view lists both reporters")

        if shots:
            # README's picture of the dashboard: the example with spans and messages.
            port = free_port()
            ex = os.path.join(os.path.dirname(mob), "examples", "09-watch")
            p = subprocess.Popen([ex, "-w", "200", "-d", "8s", "--no-live", "--dashboard",
                                  f"127.0.0.1:{port}", "--html", os.path.join(tmp, "ex.html")],
                                 stdout=subprocess.DEVNULL)
            procs.append(p)
            watch_run(b, f"http://127.0.0.1:{port}/", p,
                      shot=os.path.join(shots, "dashboard.png"), shot_at=5)
        # 4. The HTML report, from disk, without network.
        open_page(b, "file://" + rh)
        check(count(b, "total-ok") == report["totals"]["ok"],
              "the HTML report shows the JSON's successes")
        check(count(b, "total-failures") == report["totals"]["failures"],
              "the HTML report shows the JSON's failures")
        check(b.eval("document.querySelectorAll('svg polyline').length") >= 4,
              "the HTML report draws its charts")
        check(b.eval("document.scripts.length") == 0, "the HTML report has no script")
        kept = len(report.get("messages", {}).get("last", []))
        check(b.eval("document.querySelectorAll('#messages tr').length") == (kept + 1 if kept else 0)
              and b.eval("document.getElementById('messages-dropped') !== null"),
              f"the HTML report lists the JSON's {kept} kept messages")
        # 5. A run of two kinds of bot: the HTML report's kinds table and KIND/ scenario rows
        # are the JSON's.
        kj, kh = os.path.join(tmp, "kinds.json"), os.path.join(tmp, "kinds.html")
        subprocess.run([os.path.join(os.path.dirname(mob), "examples", "10-kinds"), "-w", "8",
                        "-r", "20", "-q", "--json", kj, "--html", kh], check=True)
        kinds = json.load(open(kj))["kinds"]
        open_page(b, "file://" + kh)
        rows = b.eval("Array.from(document.querySelectorAll('#kinds tr')).slice(1)"
                      ".map(r => Array.from(r.cells).map(c => c.textContent).join(' '))")
        want = [f"{k['name']} {k['weight']} {k['bots']}" for k in kinds]
        check(rows == want, f"the HTML report's kinds are the JSON's: {rows} vs {want}")
        names = b.eval("Array.from(document.querySelectorAll('#scenarios tr')).slice(1)"
                       ".map(r => r.cells[0].textContent)")
        check(names == ["browser/browse", "browser/search", "buyer/add", "buyer/pay"],
              f"the HTML report names each kind's scenarios KIND/SCENARIO: {names}")
        # 7. Failures per second by class, in a report merged from two runs.
        sj, cj = os.path.join(tmp, "shop.json"), os.path.join(tmp, "refused.json")
        fh, fj = os.path.join(tmp, "classes.html"), os.path.join(tmp, "classes.json")
        subprocess.run([os.path.join(os.path.dirname(mob), "examples", "09-watch"), "-w", "8",
                        "-d", "3s", "-q", "--json", sj], check=True)
        subprocess.run([mob, f"http://127.0.0.1:{free_port()}/", "-w", "2", "-d", "2s", "-q",
                        "--json", cj], check=False)
        subprocess.run([mob, "report", "-q", "--force", sj, cj, "--html", fh, "--json", fj],
                       check=True)
        fails = json.load(open(fj))["totals"]["fail"]
        want = [c for c, v in fails.items() if v > 0]
        open_page(b, "file://" + fh)
        legend = b.eval("Array.from(document.querySelectorAll('#failures-chart .legend'))"
                        ".map(e => e.textContent)")
        lines = b.eval("document.querySelectorAll('#failures-chart polyline').length")
        check(legend == want and "status" in want and "connect" in want,
              f"the failures chart names each failing class: {legend} vs {want}")
        check(lines >= len(want), f"the failures chart draws a line per class: {lines}")
        if shots:
            open_page(b, "file://" + os.path.join(tmp, "ex.html"))
            b.screenshot(os.path.join(shots, "report.png"))

        # 6. A sizing run's HTML report, against a server with room for 10 connections.
        hostile = subprocess.Popen([os.path.join(os.path.dirname(mob), "tests", "hostile"),
                                    "--lifetime", "60", "cap:10"], stdout=subprocess.PIPE)
        procs.append(hostile)
        hport = int(hostile.stdout.readline())
        sj, sh = os.path.join(tmp, "sizing.json"), os.path.join(tmp, "sizing.html")
        subprocess.run([mob, f"http://127.0.0.1:{hport}/", "--sizing", "-w", "40", "--ramp-up",
                        "4s", "--sizing-window", "1s", "--no-live", "-q", "--json", sj,
                        "--html", sh], check=False, timeout=30)
        verdict = json.load(open(sj)).get("sizing", {})
        open_page(b, "file://" + sh)
        row = b.eval("(document.getElementById('sizing') || {}).textContent || ''")
        check(verdict.get("reached") is True and "Sizing is over! Error Ratio" in row and
              f"obtained with {verdict.get('bots')} workers" in row,
              f"the HTML report of a --sizing run shows the JSON's verdict: {row!r}")

        # 8. A sizing run's live page: 20 bots (one process, or two of 10) over 2 s against
        # room for 10, a tolerance of 60 % that half failing never passes, so the window
        # climbs on the page until -d.
        for n in (1, 2):
            port = free_port()
            p = subprocess.Popen([mob, f"http://127.0.0.1:{hport}/", "--sizing", "-p", str(n),
                                  "-w", str(20 // n), "--ramp-up", "2s", "--sizing-window", "1s",
                                  "--sizing-tolerance", "60", "-d", "4s", "--no-live", "-q",
                                  "--dashboard", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
            procs.append(p)
            url = f"http://127.0.0.1:{port}/"
            wait_http(url)
            open_page(b, url)
            shown, t0 = [], time.time()
            while p.poll() is None and time.time() - t0 < 30:
                if b.eval("document.getElementById('sizing-card').hidden") is False:
                    shown.append(text(b, "sizing"))
                time.sleep(0.4)
            ratios = [float(s.split("%")[0]) for s in shown if s.endswith("% / 60% over 1s")]
            check(ratios and max(ratios) > 0 and max(ratios) <= 60,
                  f"-p {n}: a --sizing run's page shows the window's ratio against 60 %: {shown}")
    finally:
        b.close()
        for q in procs:
            if q.poll() is None:
                q.kill()
    print(f"browser check: {len(FAILED)} failed" if FAILED else "browser check: all passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
