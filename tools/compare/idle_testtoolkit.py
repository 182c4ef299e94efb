# SPDX-License-Identifier: MIT
#
# idle_testtoolkit.py: the Python yardstick for `mob-bench idle`, testtoolkit's own model
# written again from its description (../../shared/reference: testtoolkit's system.main_loop
# and server.server_wrapper): bots are generators advanced one yield per tick in id order;
# after every tick the wrapper calls select(sockets, sockets, sockets, 0.5) over every
# registered socket and keeps the three lists as the next tick's readiness snapshot. N bots
# each register a listening socket on 127.0.0.1 and wait for it by asking
# (`while not is_readable(...): yield`); one more bot ends the run after S seconds. Nothing
# ever arrives. Prints the CPU time (user + system) over the wall time in percent and the
# ticks. Only the listeners case: testtoolkit always puts every socket in the write set, so a
# connected socket would make every select return at once, and select() takes no
# descriptor past 1,023, which 1,000 socket pairs need. Built into no binary; run by
# tools/compare-idle.sh.
#
# usage: python3 idle_testtoolkit.py [--sockets N] [--seconds S]
# output: "listeners <cpu %> <ticks>"
import resource
import select
import socket
import sys
import time


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Context:
    def __init__(self):
        self.sockets, self.to_add, self.to_remove = set(), set(), set()
        self.readable = self.writable = self.exceptional = None
        self.stop = False


def is_readable(ctx, s):
    return ctx.readable is not None and s in ctx.readable


def waiter(ctx, s):
    ctx.to_add.add(s)
    while not ctx.stop and not is_readable(ctx, s):
        yield
    ctx.to_remove.add(s)


def stopper(ctx, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield
    ctx.stop = True


def main_loop(ctx, bots):
    ticks = 0
    while any(b is not None for b in bots):
        for i, b in enumerate(bots):
            if b is not None:
                try:
                    next(b)
                except StopIteration:
                    bots[i] = None
        ticks += 1
        # server_wrapper: removals (which cancel a pending add), then adds, then the select.
        ctx.to_add -= ctx.to_remove
        ctx.sockets -= ctx.to_remove
        ctx.sockets |= ctx.to_add
        ctx.to_add.clear()
        ctx.to_remove.clear()
        if ctx.sockets:
            s = list(ctx.sockets)
            ctx.readable, ctx.writable, ctx.exceptional = select.select(s, s, s, 0.5)
        else:
            ctx.readable = ctx.writable = ctx.exceptional = None
    return ticks


def main(argv):
    n, seconds = 1000, 2.0
    args = argv[1:]
    while args:
        if len(args) < 2 or args[0] not in ("--sockets", "--seconds"):
            sys.exit("usage: idle_testtoolkit.py [--sockets N] [--seconds S]")
        if args[0] == "--sockets":
            n = int(args[1])
        else:
            seconds = float(args[1])
        args = args[2:]
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        socks.append(s)
    ctx = Context()
    c0, t0 = cpu_s(), time.monotonic()
    bots = [waiter(ctx, s) for s in socks] + [stopper(ctx, seconds)]
    ticks = main_loop(ctx, bots)
    wall = time.monotonic() - t0
    print("listeners %.3f %d" % (100.0 * (cpu_s() - c0) / wall, ticks))
    for s in socks:
        s.close()


if __name__ == "__main__":
    main(sys.argv)
