#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""amalgamate.py: writes the whole library as one mob.c and one mob.h, as SQLite ships.

    tools/amalgamate.py --out DIR -I include -I src -I build/gen \
        --headers "include/mob.h ..." --sources "src/core/bot.c ... platform/switch_x86_64.S"

The Makefile's `make amalgamation` calls it with its own lists (HEADERS, and the library's
sources with every platform choice: all pollers, all switches), so a file added to the tree
is in the amalgamation without an edit here. What the script knows is the platform choices:

  - each poller, context and switch file is wrapped in the #if that picks it on the target
    (CHOICES below: epoll on Linux, kqueue on macOS and the BSDs, poll elsewhere or when
    MOB_POLLER_POLL is defined; the asm switch on x86-64 and aarch64, ucontext elsewhere or
    when MOB_FIBER_UCONTEXT is defined). A platform file of that kind it does not know is
    an error, so a new backend cannot be left out silently.
  - an assembly file (.S) becomes top-level __asm__ in C: it is run through the C
    preprocessor once for every combination of the target macros it tests (__APPLE__,
    __linux__, __CET__, ...) and the distinct results are emitted under a tree of #if.
  - the feature-test macros (_GNU_SOURCE, ...) each file defines before its system headers
    are defined once at the top of mob.c instead, since by the second file it is too late.

Each quoted #include is replaced by the header's text the first time and dropped after
(public headers: mob.c includes the amalgamated mob.h instead). Macros a .c file defines are
#undef'd at its end, and file-scope statics that two files both define are renamed with the
file's name appended, so that every file keeps its own names in one translation unit.
"""
import argparse
import itertools
import os
import re
import subprocess
import sys

KQUEUE_OS = ("defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || "
             "defined(__NetBSD__) || defined(__DragonFly__)")
ASM_CPU = "defined(__x86_64__) || defined(__aarch64__)"
CHOICES = {
    "platform/poll_epoll.c": "!defined(MOB_POLLER_POLL) && defined(__linux__)",
    "platform/poll_kqueue.c": "!defined(MOB_POLLER_POLL) && (%s)" % KQUEUE_OS,
    "platform/poll_poll.c": "defined(MOB_POLLER_POLL) || !(defined(__linux__) || %s)" % KQUEUE_OS,
    "platform/ctx_asm.c": "!defined(MOB_FIBER_UCONTEXT)",
    "platform/ctx_ucontext.c": "defined(MOB_FIBER_UCONTEXT)",
    "platform/switch_x86_64.S": "!defined(MOB_FIBER_UCONTEXT) && defined(__x86_64__)",
    "platform/switch_aarch64.S": "!defined(MOB_FIBER_UCONTEXT) && defined(__aarch64__)",
}
CHOICE_PATTERN = re.compile(r"platform/(poll|ctx|switch)_")

PRELUDE = """\
/*
 * Feature-test macros for every file below, before any system header: all of glibc on Linux,
 * all of the system on macOS and the BSDs (their default), POSIX 2008 elsewhere.
 */
#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#elif defined(__APPLE__)
#undef _POSIX_C_SOURCE
#define _DARWIN_C_SOURCE
#elif %s
#undef _POSIX_C_SOURCE
#elif !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
/* No asm switch for this CPU: the portable ucontext one. */
#if !defined(MOB_FIBER_UCONTEXT) && !(%s)
#define MOB_FIBER_UCONTEXT 1
#endif
""" % (KQUEUE_OS, ASM_CPU)

FEATURE_MACRO = re.compile(r"^\s*#\s*(define|undef)\s+_(GNU|DEFAULT|DARWIN_C|POSIX_C|XOPEN|BSD)_SOURCE\b")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)")
TAG = re.compile(r"^(?:typedef\s+)?(struct|union|enum)\s+([A-Za-z_]\w*)\s*\{", re.M)
# A file-scope static: a line that starts with `static` and names a function or an object.
# Qualifiers and the project's attribute macros (MOB_NO_ASAN) may come between.
STATIC = re.compile(r"^static\s+(?:inline\s+|const\s+|_Thread_local\s+|__thread\s+|volatile\s+|MOB_\w+\s+|"
                    r"__attribute__\s*\(\(.*?\)\)\s*)*"
                    r"(?:(?:struct|union|enum)\s+\w+|\w+)[\s*]+(?:const\s+|_Atomic\s+|MOB_\w+\s+)*\**\s*"
                    r"([A-Za-z_]\w*)\s*[\[(=;,]")
# static struct { ... } name;
STATIC_ANON = re.compile(r"^static\s+(?:const\s+)?(?:struct|union)\s*\{.*?^\}\s*([A-Za-z_]\w*)", re.M | re.S)


class Amalgamator:
    def __init__(self, include_dirs, public):
        self.include_dirs = include_dirs
        self.public = {os.path.normpath(p) for p in public}
        self.done = set()

    def resolve(self, name, from_dir):
        for d in [from_dir] + self.include_dirs:
            p = os.path.normpath(os.path.join(d, name))
            if os.path.isfile(p):
                return p
        sys.exit("amalgamate: cannot find \"%s\" (included from %s)" % (name, from_dir))

    def inline(self, path, out, public_too, text=None):
        """Appends path's text (or the given text of it) to out, its quoted includes inlined
        the first time and dropped after; public headers are dropped unless public_too."""
        if text is None:
            with open(path) as f:
                text = f.read()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out.append("/* ---- %s %s */" % (path, "-" * max(0, 86 - len(path))))
        for line in lines:
            m = INCLUDE.match(line)
            if m:
                target = self.resolve(m.group(1), os.path.dirname(path))
                if target in self.done or (target in self.public and not public_too):
                    out.append("/* %s: already above */" % re.sub(r"/\*.*?\*/", "", line).strip())
                    continue
                self.done.add(target)
                self.inline(target, out, public_too)
                out.append("/* ---- back in %s */" % path)
                continue
            if FEATURE_MACRO.match(line):
                bare = re.sub(r"/\*.*?\*/", "", line).strip()
                out.append("/* %s: moved to the top of mob.c */" % bare)
                continue
            out.append(line)

    def headers_of(self, path, seen):
        """Quoted includes of path, recursively, in the order they would be inlined."""
        with open(path) as f:
            for line in f:
                m = INCLUDE.match(line)
                if m:
                    t = self.resolve(m.group(1), os.path.dirname(path))
                    if t not in seen:
                        seen.append(t)
                        self.headers_of(t, seen)
        return seen


def statics_of(text):
    """A .c file's own names: its file-scope statics, and the tags of the structs, unions and
    enums it defines (as "struct name")."""
    names = {m.group(1) for m in (STATIC.match(l) for l in text.split("\n")) if m}
    names |= set(STATIC_ANON.findall(text))
    names |= {"%s %s" % m for m in TAG.findall(text)}
    return names


# What is not code: string and character literals, comments.
NOT_CODE = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def rename(text, names, suffix):
    """Appends __suffix to each name in the code (not in strings or comments): identifiers as
    whole words, except after . or -> (a member of the same name), tags after their keyword."""
    def code(part):
        for n in sorted(names, key=len, reverse=True):
            if " " in n:
                kw, tag = n.split()
                part = re.sub(r"\b%s(\s+)%s\b" % (kw, tag), r"%s\g<1>%s__%s" % (kw, tag, suffix), part)
            else:
                part = re.sub(r"(?<!\.)(?<!->)\b%s\b" % n, "%s__%s" % (n, suffix), part)
        return part
    out, at = [], 0
    for m in NOT_CODE.finditer(text):
        out += [code(text[at:m.start()]), m.group(0)]
        at = m.end()
    out.append(code(text[at:]))
    return "".join(out)


def asm_macros(text):
    """The target macros an assembly file tests (defined(__X__), #ifdef __X__)."""
    found = []
    for line in text.split("\n"):
        if re.match(r"^\s*#\s*(if|ifdef|ifndef|elif)\b", line):
            for name in re.findall(r"\b(__\w+)\b", line):
                if name not in found and name != "__ASSEMBLER__":
                    found.append(name)
    return found


def possible(on):
    """Whether a compiler can define these target macros together: Linux is ELF, and macOS
    (Mach-O) is neither."""
    if "__APPLE__" in on and ("__linux__" in on or "__ELF__" in on):
        return False
    return "__linux__" not in on or "__ELF__" in on


def preprocess_asm(path, defined, cpp):
    args = cpp + ["-undef", "-P", "-x", "assembler-with-cpp", "-D__ASSEMBLER__=1"]
    args += ["-D%s=1" % m for m in defined] + [path]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def asm_as_c(path, cpp):
    """The .S file as a tree of #if over its target macros, each leaf one top-level __asm__."""
    with open(path) as f:
        macros = asm_macros(f.read())
    leaves = {}
    for bits in itertools.product((1, 0), repeat=len(macros)):
        on = {m for m, b in zip(macros, bits) if b}
        if not possible(on):
            leaves[bits] = None  # no compiler defines these together: matches any branch
            continue
        text = preprocess_asm(path, sorted(on), cpp)
        body = [l.rstrip() for l in text.split("\n") if l.strip()]
        leaves[bits] = tuple(body)

    def tree(i, bits):  # a leaf is a tuple of lines, a node a list [macro, yes, no]
        if i == len(macros):
            return leaves[bits]
        yes, no = tree(i + 1, bits + (1,)), tree(i + 1, bits + (0,))
        if yes is None or yes == no:
            return no
        return yes if no is None else [macros[i], yes, no]

    out = []

    def emit(t):
        if isinstance(t, list):
            out.append("#if defined(%s)" % t[0])
            emit(t[1])
            out.append("#else")
            emit(t[2])
            out.append("#endif")
            return
        # push/pop: whatever section the file ends in, the compiler's code after it stays
        # where the compiler thinks it is.
        out.append("__asm__(\".pushsection .text\\n\"")
        for l in t:
            out.append('        "%s\\n"' % l.replace("\\", "\\\\").replace('"', '\\"'))
        out.append("        \".popsection\\n\");")

    emit(tree(0, ()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("-I", dest="include_dirs", action="append", default=[])
    ap.add_argument("--headers", required=True, help="public headers, space-separated")
    ap.add_argument("--sources", required=True, help="library sources, space-separated")
    ap.add_argument("--cpp", default="cc -E", help="C preprocessor for the .S files")
    ap.add_argument("--version", default="")
    a = ap.parse_args()
    headers, sources = a.headers.split(), a.sources.split()
    for s in sources:
        if CHOICE_PATTERN.match(s) and s not in CHOICES:
            sys.exit("amalgamate: %s is a platform choice this script does not know: add it "
                     "to CHOICES with the #if that picks it" % s)
    os.makedirs(a.out, exist_ok=True)
    banner = ("/* SPDX-License-Identifier: MIT */\n"
              "/* %s: mob %s as one file, generated by tools/amalgamate.py from the tree's\n"
              " * sources (do not edit; see README.md in the tree). */")

    # mob.h: every public header, each once, in include order.
    am = Amalgamator(a.include_dirs, headers)
    h = [banner % ("mob.h", a.version), "#ifndef MOB_AMALGAMATION_H", "#define MOB_AMALGAMATION_H"]
    for p in headers:
        p = os.path.normpath(p)
        if p not in am.done:
            am.done.add(p)
            am.inline(p, h, True)
    h.append("#endif /* MOB_AMALGAMATION_H */")
    with open(os.path.join(a.out, "mob.h"), "w") as f:
        f.write("\n".join(h) + "\n")

    # mob.c: the prelude, mob.h, then every source with its private headers inlined once.
    texts = {}
    for s in sources:
        if s.endswith(".c"):
            with open(s) as f:
                texts[s] = f.read()
    owners = {}
    for s, t in texts.items():
        for name in statics_of(t):
            owners.setdefault(name, []).append(s)
    # Alternatives of one choice (the pollers, the context files) never meet on one target.
    def group(path):
        m = CHOICE_PATTERN.match(path)
        return m.group(1) if m else path
    clashes = {n for n, o in owners.items() if len({group(p) for p in o}) > 1}
    # A private header's names are seen by every file after it: a .c file that defines one of
    # them for itself is renamed; two headers that define the same name cannot be (every file
    # that includes either would have to change), so that is an error to fix in the tree.
    private = []
    for src in texts:
        private += [h for h in am.headers_of(src, []) if h not in am.public and h not in private]
    in_headers = {}
    for hdr in private:
        with open(hdr) as f:
            for name in statics_of(f.read()):
                if name in in_headers:
                    sys.exit("amalgamate: %s and %s both define %s: rename one of them"
                             % (in_headers[name], hdr, name))
                in_headers[name] = hdr
    clashes |= {n for n in owners if n in in_headers}
    # Macros: a .c file's own end with it (#undef below), but one that a private header also
    # defines would redefine the header's for every later file: the .c file's is renamed.
    header_macros = set()
    for hdr in private:
        with open(hdr) as f:
            header_macros |= {m.group(1) for m in map(DEFINE.match, f) if m}
    for src, t in texts.items():
        for name in {m.group(1) for m in map(DEFINE.match, t.split("\n")) if m} & header_macros:
            if not name.startswith("MOB_") and not FEATURE_MACRO.match("#define " + name):
                owners.setdefault(name, []).append(src)
                clashes.add(name)

    c = [banner % ("mob.c", a.version), PRELUDE, '#include "mob.h"']
    renamed = []
    for s in sources:
        cond = CHOICES.get(s)
        body = []
        if s.endswith(".S"):
            body = asm_as_c(s, a.cpp.split())
        else:
            # Private headers a choice needs go above its #if, so that they are there for
            # every later file whatever the target picked.
            if cond:
                for hdr in am.headers_of(s, []):
                    if hdr not in am.done and hdr not in am.public:
                        am.done.add(hdr)
                        am.inline(hdr, c, False)
            mine = sorted(n for n in clashes if s in owners[n])
            stem = os.path.splitext(os.path.basename(s))[0]
            text = rename(texts[s], mine, stem)
            renamed += ["%s -> %s__%s" % (n, n, stem) for n in mine]
            am.inline(s, body, False, text)
            # The file's own macros end with it (headers' macros stay).
            defined = []
            for line in text.split("\n"):
                m = DEFINE.match(line)
                if m and m.group(1) not in defined and not FEATURE_MACRO.match(line):
                    defined.append(m.group(1))
            body += ["#undef %s" % d for d in defined]
        if cond:
            c.append("#if %s" % cond)
            c += body
            c.append("#endif /* %s */" % s)
        else:
            c += body
    with open(os.path.join(a.out, "mob.c"), "w") as f:
        f.write("\n".join(c) + "\n")
    for r in renamed:
        print("amalgamate: renamed %s" % r)


if __name__ == "__main__":
    main()
