# SPDX-License-Identifier: MIT
"""mob.py: gdb commands that show a mob loop's bots, for a program built with -g.

    (gdb) source tools/gdb/mob.py
    (gdb) mob bots [LOOP]       every bot of the loop: id, state, what it waits on, stack used
    (gdb) mob bt ID [BT-ARGS]   the backtrace of bot ID from its saved context ("host": the
                                host stack suspended in mob_loop_run); BT-ARGS go to `bt`

LOOP is any expression giving a mob_loop * or a mob_bot *; without it the command looks for a
variable named `loop` or `self` in the selected frame and the frames above it.

How a parked bot's backtrace is taken: a bot that is not running keeps only its stack pointer
(struct mob__ctx), and the words it saved are on its own stack, in the layout the switch of
the build wrote (see SAVED below, platform/switch_x86_64.h and platform/switch_aarch64.S).
The command reads the bot's resume address, frame pointer and stack pointer from there, sets
the thread's registers to them, runs `bt`, and puts the registers back, so the process
continues as it was. A ucontext build (FIBER=ucontext) keeps them in the ucontext_t that
swapcontext filled (platform/ctx_ucontext.c).

Reads these internals by name, so it must change with them: struct mob_loop (chunks, nbots,
current, main_ctx, now, mode), struct mob_bot (ctx, id, state, unpark, wait_obj, timed, timer,
stack, recv_waiting), enum mob__state, struct mob__fdent (fd, rd, wr) (src/internal.h,
src/core/io_fd.h). tools/gdb/test.sh checks it against tests/gdb_bots.c in CI.
"""
import gdb

BOT_CHUNK = 1024  # MOB__BOT_CHUNK in src/internal.h (macros are not in -g debug info)

# Where an asm switch leaves the registers a backtrace needs, from the saved stack pointer:
# (offset of the resume address, offset of the frame pointer, what to add to get the stack
# pointer the interrupted function had before the switch).
SAVED = {
    # switch_x86_64.h: +0 resume address, +8 rbp, +16 the 128-byte red zone, unless the code
    # that switched was built with MOB__NO_RED_ZONE (red_zone_skipped below)
    "x86_64": (0, 8, 8 + 8 + 128),
    # switch_aarch64.S: 160-byte frame, x29 at +80, x30 (the return address) at +88
    "aarch64": (88, 80, 160),
}
REGS = {"x86_64": ("$rip", "$rsp", "$rbp"), "aarch64": ("$pc", "$sp", "$x29")}
# Callee-saved registers an asm switch keeps in its frame besides those (aarch64: x19-x28 at
# +0..+72), set too so that the innermost frames show their variables right; x86-64's inline
# switch leaves them to the compiler, which saved them in the function's own frame.
EXTRA = {"x86_64": (), "aarch64": tuple(("$x%d" % (19 + i), 8 * i) for i in range(10))}

# What a parked bot waits on, from the unpark callback it parked with (src/core/*.c).
UNPARK = {
    "fd_unpark": "fd",
    "waiter_unpark": "event",
    "barrier_unpark": "barrier",
    "recv_unpark": "mailbox",
    "unpark_list": "join",
    "unpark_gen": "generator",
}


def arch():
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name or "x86_64" in name:
        return "x86_64"
    if "aarch64" in name:
        return "aarch64"
    raise gdb.GdbError("mob: no saved-context layout for architecture %s" % name)


def u64(addr):
    ptr = gdb.lookup_type("unsigned long").pointer()
    return int(gdb.Value(addr).cast(ptr).dereference())


def pointer_to(value, tag):
    t = value.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_PTR:
        return False
    return t.target().strip_typedefs().tag == tag


def find_loop(arg):
    if arg:
        v = gdb.parse_and_eval(arg)
        if pointer_to(v, "mob_bot"):
            return v["loop"]
        if pointer_to(v, "mob_loop"):
            return v
        raise gdb.GdbError("mob: %s is neither a mob_loop * nor a mob_bot *" % arg)
    frame = gdb.selected_frame()
    while frame is not None:
        for name, tag in (("loop", "mob_loop"), ("self", "mob_bot"), ("bot", "mob_bot")):
            try:
                v = frame.read_var(name)
            except (ValueError, gdb.error):
                continue
            if pointer_to(v, tag) and int(v) != 0:
                return v if tag == "mob_loop" else v["loop"]
        frame = frame.older()
    raise gdb.GdbError("mob: no `loop` or `self` in scope: say which loop, e.g. `mob bots loop`")


def bots_of(loop):
    chunks = loop["chunks"]
    for i in range(int(loop["nbots"])):
        yield chunks[i // BOT_CHUNK][i % BOT_CHUNK].address


def state_name(bot, loop):
    # The running bot is the loop's current one; its state says only that it is runnable.
    addr = int(bot.address) if bot.address is not None else int(bot)  # a struct or a pointer
    if addr == int(loop["current"]):
        return "running"
    v = int(bot["state"])
    try:
        enum = gdb.lookup_type("enum mob__state")
        for f in enum.fields():
            if f.enumval == v:
                return f.name.replace("MOB__", "").lower()
    except gdb.error:
        pass
    return str(v)


def is_ucontext():
    return any(f.name == "uc" for f in gdb.lookup_type("struct mob__ctx").fields())


def ucontext_of(ctx):
    """ctx_ucontext.c's struct ucstate starts with a pointer to the ucontext_t that
    swapcontext filled, on the suspended stack."""
    ucp = gdb.lookup_type("ucontext_t").pointer()
    return ctx.address.cast(ucp.pointer()).dereference().dereference()


def saved_extra(ctx):
    """[(register, value)] of the other callee-saved registers a suspended asm context keeps."""
    if is_ucontext():
        return []
    sp = int(ctx["sp"])
    return [(r, u64(sp + off)) for r, off in EXTRA[arch()]]


def saved_regs(ctx):
    """(pc, sp, fp) of a suspended context."""
    a = arch()
    if is_ucontext():
        mc = ucontext_of(ctx)["uc_mcontext"]
        if a == "x86_64":  # REG_RIP 16, REG_RSP 15, REG_RBP 10 in <sys/ucontext.h>
            g = mc["gregs"]
            return int(g[16]), int(g[15]), int(g[10])
        # Not checked: on aarch64 glibc the saved pc is inside swapcontext, and the backtrace
        # from it does not reach the bot's frames (tools/gdb/test.sh runs x86-64 ucontext and
        # both asm switches).
        return int(mc["pc"]), int(mc["sp"]), int(mc["regs"][29])
    sp = int(ctx["sp"])
    pc_off, fp_off, sp_add = SAVED[a]
    pc = u64(sp + pc_off)
    if a == "x86_64" and not red_zone_skipped(pc):
        sp_add -= 128
    return pc, sp + sp_add, u64(sp + fp_off)


# What the x86-64 switch resumes with when it stepped over the red zone: popq %rbp, then
# addq $128, %rsp. Without the addq the code was built with MOB__NO_RED_ZONE.
RESUME_WITH_GAP = bytes([0x5D, 0x48, 0x81, 0xC4, 0x80, 0x00, 0x00, 0x00])


def red_zone_skipped(pc):
    code = gdb.selected_inferior().read_memory(pc, len(RESUME_WITH_GAP)).tobytes()
    return code == RESUME_WITH_GAP


def size_text(n):
    if n < 10 * 1024:
        return "%d B" % n
    return "%.1f KiB" % (n / 1024.0)


def wait_text(bot, loop):
    st = state_name(bot, loop)
    if st == "gen_idle":
        return "mob_gen_next"
    if st != "parked":
        return ""
    words = []
    unpark = int(bot["unpark"])
    obj = bot["wait_obj"]
    if unpark:
        # `info symbol`, not the block: the block at the entry may be an inlined callee's.
        fn = gdb.execute("info symbol 0x%x" % unpark, to_string=True).split()[0]
        kind = UNPARK.get(fn, fn)
        if kind == "fd" and int(obj):
            e = obj.cast(gdb.lookup_type("struct mob__fdent").pointer()).dereference()
            way = "read" if int(e["rd"]) == int(bot) else "write" if int(e["wr"]) == int(bot) else "?"
            words.append("fd %d (%s)" % (int(e["fd"]), way))
        elif kind in ("join", "generator") and int(obj):
            words.append("%s bot %d" % (kind, int(obj.cast(bot.type)["id"])))
        elif kind in ("event", "barrier"):
            words.append("%s 0x%x" % (kind, int(obj)))
        else:
            words.append(kind)
    elif int(obj) and int(obj) == int(bot["children_alive"].address):
        words.append("children")
    elif not int(bot["timed"]):
        words.append("nothing (woken only by cancel)")
    else:
        words.append("sleep")
    if int(bot["timed"]):
        left = int(bot["timer"]["deadline"]) - int(loop["now"])
        words.append("deadline in %.3f s" % (left / 1e9))
    if int(bot["cancelled"]):
        words.append("cancelled")
    return ", ".join(words)


class MobPrefix(gdb.Command):
    """Commands for mob loops and bots: mob bots [LOOP], mob bt ID|host [BT-ARGS]."""

    def __init__(self):
        super().__init__("mob", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class MobBots(gdb.Command):
    """mob bots [LOOP]: every bot of a loop (id, state, what it waits on, stack used/size)."""

    def __init__(self):
        super().__init__("mob bots", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        loop = find_loop(arg.strip())
        current = int(loop["current"])
        mode = "lockstep" if int(loop["mode"]) == 1 else "free"
        print("loop 0x%x (%s mode): %d bots, %d alive, running: %s"
              % (int(loop), mode, int(loop["nbots"]), int(loop["alive"]),
                 "bot %d" % int(loop["current"]["id"]) if current else "the host"))
        print("%6s  %-9s %21s  %s" % ("id", "state", "stack used / size", "waits on"))
        for bot in bots_of(loop):
            st = state_name(bot, loop)
            lo, size = int(bot["stack"]["lo"]), int(bot["stack"]["size"])
            stack = "-"
            if lo and st in ("ready", "parked", "gen_idle", "running") and not int(bot["fresh"]):
                if st == "running":
                    sp = int(gdb.newest_frame().read_register("sp"))
                else:
                    sp = saved_regs(bot["ctx"])[1]
                if lo <= sp <= lo + size:
                    stack = "%s / %s" % (size_text(lo + size - sp), size_text(size))
            print("%6d  %-9s %21s  %s" % (int(bot["id"]), st, stack, wait_text(bot, loop)))


class MobBt(gdb.Command):
    """mob bt ID|host [BT-ARGS]: the backtrace of a bot from its saved context."""

    def __init__(self):
        super().__init__("mob bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        argv = arg.split(None, 1)
        if not argv:
            raise gdb.GdbError("usage: mob bt ID|host [BT-ARGS]")
        bt_args = argv[1] if len(argv) > 1 else ""
        loop = find_loop("")
        if argv[0] == "host":
            if not int(loop["current"]):
                gdb.execute("bt " + bt_args)
                return
            ctx, what = loop["main_ctx"], "the host"
        else:
            i = int(gdb.parse_and_eval(argv[0]))
            if not 0 <= i < int(loop["nbots"]):
                raise gdb.GdbError("mob: no bot %d (the loop has %d)" % (i, int(loop["nbots"])))
            bot = loop["chunks"][i // BOT_CHUNK][i % BOT_CHUNK]
            st = state_name(bot, loop)
            what = "bot %d (%s)" % (i, st)
            if st == "running":
                print("%s is the running bot: its stack is the thread's" % what)
                gdb.execute("bt " + bt_args)
                return
            if st in ("new", "done") or int(bot["fresh"]):
                print("%s has no saved context (%s)" % (what, "not started" if st != "done" else "returned"))
                return
            ctx = bot["ctx"]
        pc, sp, fp = saved_regs(ctx)
        extra = saved_extra(ctx)
        names = REGS[arch()] + tuple(r for r, _ in extra)
        values = (pc, sp, fp) + tuple(v for _, v in extra)
        selected = gdb.selected_frame()
        level = 0
        f = selected
        while f.newer() is not None:
            f, level = f.newer(), level + 1
        gdb.newest_frame().select()
        old = [int(gdb.parse_and_eval(r)) for r in names]
        print("%s, resumes at 0x%x, sp 0x%x:" % (what, pc, sp))
        try:
            for r, v in zip(names, values):
                gdb.execute("set %s = 0x%x" % (r, v), to_string=True)
            gdb.execute("bt " + bt_args)
        finally:
            gdb.newest_frame().select()  # registers are written in the innermost frame
            for r, v in zip(names, old):
                try:
                    gdb.execute("set %s = 0x%x" % (r, v), to_string=True)
                except gdb.error as e:
                    print("mob bt: could not put %s back (0x%x): %s" % (r, v, e))
            f = gdb.newest_frame()  # the user's frame again, quietly (`frame N` prints it)
            for _ in range(level):
                f = f.older()
            f.select()


MobPrefix()
MobBots()
MobBt()
