# mob: one GNU Makefile, no configure. Out-of-tree objects under $(BUILD), header dependencies
# from -MMD -MP, and a flags stamp so objects rebuild when a knob changes.

# ---- knobs ---------------------------------------------------------------------------------
CC       ?= cc
CFLAGS   ?= -O2 -g
UNAME_S  := $(shell uname -s)
ARCH     ?= $(shell uname -m | sed 's/arm64/aarch64/')
POLLER   ?= $(if $(filter Linux,$(UNAME_S)),epoll,$(if $(filter Darwin %BSD DragonFly,$(UNAME_S)),kqueue,poll))
FIBER    ?= asm
SAN      ?=
BUILD    ?= build
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
WERROR   ?=
V        ?= 0
VALGRIND ?= auto
TLS      ?= auto
CRITERION_CFLAGS ?= $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   ?= $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

, := ,
# ---- flags ---------------------------------------------------------------------------------
WARN      = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-overlength-strings $(if $(WERROR),-Werror)
ALL_CFLAGS = -std=c11 $(CFLAGS) $(WARN) -fPIC -Iinclude -Isrc -I$(BUILD)/gen \
            -D_POSIX_C_SOURCE=200809L $(if $(filter ucontext,$(FIBER)),-DMOB_FIBER_UCONTEXT) \
            $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -DMOB_SAN=1)
# Test configuration: POLLER=kqueue on Linux builds platform/poll_kqueue.c against the epoll
# emulation of kqueue in tests/kqueue/ (linked into libmob for this configuration only), so
# the kqueue backend is compiled and runs the suite here. Never a shipping build.
KQ_SHIM   = $(and $(filter Linux,$(UNAME_S)),$(filter kqueue,$(POLLER)),1)
ALL_CFLAGS += $(if $(KQ_SHIM),-Itests/kqueue -DMOB_KQUEUE_SHIM)
# VALGRIND=auto: when <valgrind/valgrind.h> is there, fiber stacks are registered with
# valgrind (a few instructions per new stack, no-ops outside valgrind, no library linked), so
# memcheck follows the switches; VALGRIND=1 insists, VALGRIND=0 leaves it out.
VG_HEADER := $(if $(filter auto,$(VALGRIND)),$(shell printf '\043include <valgrind/valgrind.h>\n' | \
               $(CC) -E -x c - >/dev/null 2>&1 && echo 1),$(filter 1,$(VALGRIND)))
ALL_CFLAGS += $(if $(VG_HEADER),-DMOB_VALGRIND)
# TLS=auto: the OpenSSL 3 backend of the TLS seam (src/proto/tls_openssl.c) is built and
# -lssl -lcrypto linked when pkg-config finds openssl; TLS=1 insists, TLS=0 leaves it out.
# auto also asks the compiler: a cross build (ci-aarch64.sh) has the host's pkg-config but
# not the target's OpenSSL headers, and then builds without TLS.
TLS_ON   := $(if $(filter auto,$(TLS)),$(shell pkg-config --exists openssl 2>/dev/null && \
              printf '\043include <openssl/ssl.h>\n' | $(CC) $$(pkg-config --cflags openssl) -E -x c - \
              >/dev/null 2>&1 && echo 1),$(filter 1,$(TLS)))
ALL_CFLAGS += $(if $(TLS_ON),$(shell pkg-config --cflags openssl 2>/dev/null) -DMOB_TLS_OPENSSL)
LDLIBS   += $(if $(TLS_ON),$(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto))
LDFLAGS  += $(if $(SAN),-fsanitize=$(SAN))
LDLIBS   += $(if $(filter Linux,$(UNAME_S)),-ldl -lm,-lm)
# The release is VERSION's; the shared library's SONAME carries its major number.
VERSION  := $(shell cat VERSION)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))
SONAME    = libmob.so.$(SOMAJOR)
Q         = $(if $(filter 1,$(V)),,@)
# The core and the platform layer, where every context switch of the library is, never use the
# x86-64 red zone, so the switch need not step over it (platform/switch_x86_64.h).
NO_RED_ZONE = $(if $(filter x86_64,$(ARCH)),-mno-red-zone -DMOB__NO_RED_ZONE)
FLAGS_LINE = $(CC) $(ALL_CFLAGS) $(NO_RED_ZONE) $(LDFLAGS)

# ---- sources: the one list ----------------------------------------------------------------
# Every build, CI leg and generated file takes its sources from these lists; `make print-VAR`
# prints one (e.g. `make -s print-LIB_SRC POLLER=poll`). The library is every .c under src/
# and every platform file except the per-choice ones (poll_*, ctx_*, switch_*), of which this
# build picks one poller and one switch; the knobs above decide which.
SWITCH_SRC = $(if $(filter ucontext,$(FIBER)),platform/ctx_ucontext.c,platform/switch_$(ARCH).S platform/ctx_asm.c)
POLLER_SRC = $(wildcard platform/poll_$(POLLER).c)
SRC_SRC  = $(filter-out $(if $(TLS_ON),,src/proto/tls_openssl.c),$(shell find src -name '*.c' | LC_ALL=C sort))
PLATFORM_SRC = $(filter-out platform/poll_% platform/ctx_% platform/switch_%,$(sort $(wildcard platform/*.c))) \
           $(POLLER_SRC) $(SWITCH_SRC)
LIB_SRC  = $(SRC_SRC) $(PLATFORM_SRC) $(if $(KQ_SHIM),$(wildcard tests/kqueue/*.c))
LIB_OBJ  = $(patsubst %,$(BUILD)/%.o,$(basename $(LIB_SRC)))
HEADERS  = $(filter-out include/mob_test_hooks.h,$(sort $(wildcard include/*.h)))
TOOLS    = $(notdir $(patsubst %/,%,$(filter-out tools/examples/,$(sort $(dir $(wildcard tools/*/*.c))))))
EXAMPLES = $(patsubst tools/examples/%.c,$(BUILD)/examples/%,$(wildcard tools/examples/*.c))
PLUGINS  = $(patsubst tools/examples/plugin/%.c,$(BUILD)/examples/%.so,$(wildcard tools/examples/plugin/*.c))
TEST_SRC = $(sort $(wildcard tests/test_*.c)) tests/helpers.c tests/embed_horde.c tests/threads_world.c
TEST_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))
ALL_OBJ  = $(LIB_OBJ) $(TEST_OBJ) $(patsubst %.c,$(BUILD)/%.o,$(shell find tools -name '*.c') \
           $(TEST_PROGS:%=tests/%.c) tests/hostile_server.c)

.PHONY: all lib tools examples test test-uv test-tsan check check-layers asan fuzz lto amalgamation clean install uninstall format criterion run FORCE
all: lib tools examples
lib: $(BUILD)/libmob.a $(BUILD)/libmob.so $(BUILD)/$(SONAME) $(BUILD)/gen/mob.pc
tools: $(addprefix $(BUILD)/,$(TOOLS))
examples: $(EXAMPLES) $(PLUGINS)

# ---- rules ---------------------------------------------------------------------------------
$(BUILD)/.flags: FORCE
	@mkdir -p $(@D); echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' > $@
# "0.1.0 (b41e1ab)": the release and the commit it was built from (no commit outside git).
$(BUILD)/gen/mob_version.h: FORCE
	@mkdir -p $(@D); c=$$(git describe --always --dirty 2>/dev/null); \
	 v="#define MOB_VERSION \"$(VERSION)$${c:+ ($$c)}\""; \
	 echo "$$v" | cmp -s - $@ || echo "$$v" > $@
$(BUILD)/src/core/version.o: $(BUILD)/gen/mob_version.h
$(BUILD)/src/core/%.o $(BUILD)/platform/%.o: private ALL_CFLAGS += $(NO_RED_ZONE)
$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/%.o: %.S $(BUILD)/.flags
	@mkdir -p $(@D)
	$(if $(Q),@echo "  AS    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/libmob.a: $(LIB_OBJ)
	$(if $(Q),@echo "  AR    $@")
	$(Q)rm -f $@ && ar rcs $@ $^
# The shared library exports the public mob_* API only, not the mob__* internals (GNU ld).
$(BUILD)/gen/libmob.map:
	@mkdir -p $(@D); echo '{ global: mob_[a-z]*; local: *; };' > $@
# libmob.so.0.1.0 is the file, named libmob.so.0 inside (its SONAME, what programs record),
# with the two links a C library has: libmob.so.0 for the loader, libmob.so for -lmob.
$(BUILD)/libmob.so.$(VERSION): $(LIB_OBJ) $(if $(filter Linux,$(UNAME_S)),$(BUILD)/gen/libmob.map)
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) -shared $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS) \
	    $(if $(filter Darwin,$(UNAME_S)),,-Wl$(,)-soname$(,)$(SONAME)) \
	    $(if $(filter Linux,$(UNAME_S)),-Wl$(,)--version-script=$(BUILD)/gen/libmob.map)
$(BUILD)/$(SONAME) $(BUILD)/libmob.so: $(BUILD)/libmob.so.$(VERSION)
	$(Q)ln -sf $(<F) $@
# pkg-config's description of an installed mob; it names the prefix it is installed under.
PC_LINES = 'prefix=$(PREFIX)' 'libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))' 'includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))' '' 'Name: mob' \
           'Description: fibers as bots: a C11 fiber runtime and load-test library' \
           'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lmob' \
           'Libs.private: $(LDLIBS)'
$(BUILD)/gen/mob.pc: FORCE
	@mkdir -p $(@D); printf '%s\n' $(PC_LINES) | cmp -s - $@ || printf '%s\n' $(PC_LINES) > $@
.SECONDEXPANSION:
$(addprefix $(BUILD)/,$(TOOLS)): $$(patsubst %.c,$(BUILD)/%.o,$$(wildcard tools/$$(@F)/*.c)) $(BUILD)/libmob.a
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS)
$(BUILD)/examples/%: $(BUILD)/tools/examples/%.o $(BUILD)/libmob.a
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# Keep every object: example and plugin objects would otherwise be deleted as intermediates
# and rebuilt by every make.
.SECONDARY:
$(BUILD)/examples/%.so: $(BUILD)/tools/examples/plugin/%.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) -shared $(LDFLAGS) -o $@ $^
$(BUILD)/tests/%.o: private ALL_CFLAGS += $(CRITERION_CFLAGS) -Wno-missing-prototypes
$(BUILD)/tests/run: $(TEST_OBJ) $(BUILD)/libmob.a
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(LDLIBS)
# Programs of tests/ that are not Criterion suites: the self-test for qemu and valgrind, and
# the program tools/gdb/test.sh stops under gdb.
TEST_PROGS = selftest gdb_bots vg_suites
$(addprefix $(BUILD)/tests/,$(TEST_PROGS)): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libmob.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The hostile-server suite's server (tests/test_hostile.c): plain threads, no mob inside.
$(BUILD)/tests/hostile: $(BUILD)/tests/hostile_server.o
	$(Q)$(CC) $(LDFLAGS) -pthread -o $@ $^

# libuv is a test-only dependency (tests/uv/): its own test binary, never linked into libmob.
UV_CFLAGS ?= $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS   ?= $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
$(BUILD)/tests/uv/%.o: private ALL_CFLAGS += $(UV_CFLAGS)
$(BUILD)/tests/tsan_threads: $(BUILD)/tests/tsan_threads.o $(BUILD)/tests/threads_world.o $(BUILD)/libmob.a
	$(Q)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS)
$(BUILD)/tests/tsan_threads_bare: $(BUILD)/tests/tsan_bare_switch.o $(BUILD)/tests/tsan_threads.o \
                                  $(BUILD)/tests/threads_world.o $(BUILD)/libmob.a
	$(Q)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS)
$(BUILD)/tests/run_uv: $(BUILD)/tests/uv/test_embed_uv.o $(BUILD)/tests/embed_horde.o $(BUILD)/libmob.a
	$(if $(Q),@echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(UV_LIBS) $(LDLIBS)

# ---- test targets --------------------------------------------------------------------------
criterion:
	@[ -f /usr/include/criterion/criterion.h ] || [ -n "$(CRITERION_INSTALLED)" ] || \
	  tools/apt-install.sh libcriterion-dev
	@[ -f /usr/include/openssl/ssl.h ] || [ "$(TLS)" = 0 ] || tools/apt-install.sh libssl-dev
# Includes across a sealed layer line and files past the size bound fail (the script says why).
check-layers:
	@tools/check-layers.sh
# The suites that time wall clocks (latency truth, deadlines, ramps) run after the rest, one
# test at a time, and the ones that drive whole mob processes (hostile servers, live views)
# run apart from both: on two cores, those processes starve a timed test of its CPU and a
# correct build fails a bound. TEST_ARGS runs the whole suite once with the given arguments.
TIMED_SUITES = run|cli|time|deadline|endings
HEAVY_SUITES = hostile|live|tls|sizing
test: criterion check-layers
	@$(MAKE) --no-print-directory all $(BUILD)/tests/run $(BUILD)/tests/hostile
ifneq ($(TEST_ARGS),)
	MOB_BUILD=$(BUILD) $(BUILD)/tests/run $(TEST_ARGS)
else
	MOB_BUILD=$(BUILD) $(BUILD)/tests/run --filter '!(@($(TIMED_SUITES)|$(HEAVY_SUITES)))/*'
	MOB_BUILD=$(BUILD) $(BUILD)/tests/run --filter '@($(HEAVY_SUITES))/*'
	MOB_BUILD=$(BUILD) $(BUILD)/tests/run -j1 --filter '@($(TIMED_SUITES))/*'
endif
# Two threads, each with its own loop, under ThreadSanitizer (tests/tsan_threads.c: a plain
# program, since Criterion's runner does not start under TSan). Its own build tree. The same
# program with the switches not announced to TSan (tests/tsan_bare_switch.c) must die in its
# second part, the deep parked bots: that is what the annotations in platform/san.c are for.
test-tsan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-tsan SAN=thread $(BUILD)-tsan/tests/tsan_threads \
	    $(BUILD)-tsan/tests/tsan_threads_bare
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/tests/tsan_threads
	@TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/tests/tsan_threads_bare >$(BUILD)-tsan/bare.out 2>&1; \
	 if grep -q 'two loops: ok' $(BUILD)-tsan/bare.out && ! grep -q 'tsan_threads: ok' $(BUILD)-tsan/bare.out; \
	 then echo "tsan_threads_bare: switches not announced to TSan: died in the deep parked bots, as expected"; \
	 else cat $(BUILD)-tsan/bare.out; echo "tsan_threads_bare: expected to die without the annotations"; exit 1; fi
# A mob loop embedded in a libuv loop (tests/uv/); installs libuv1-dev when missing.
test-uv: criterion
	@tools/apt-install.sh libuv1-dev
	@$(MAKE) --no-print-directory $(BUILD)/tests/run_uv
	MOB_BUILD=$(BUILD) $(BUILD)/tests/run_uv $(TEST_ARGS)
check: test
	@$(MAKE) --no-print-directory test BUILD=$(BUILD)-poll POLLER=poll
asan:
	@LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp \
	 $(MAKE) --no-print-directory test BUILD=$(BUILD)-asan SAN=address,undefined
# Every tests/fuzz_*.c, each for FUZZ_SECONDS (default 30), or for exactly FUZZ_RUNS inputs.
fuzz:
	@$(MAKE) --no-print-directory $(BUILD)-fuzz/libmob.a BUILD=$(BUILD)-fuzz CC=clang SAN=fuzzer-no-link,address
	@set -e; for t in $(patsubst tests/fuzz_%.c,%,$(wildcard tests/fuzz_*.c)); do \
	  clang -fsanitize=fuzzer,address -Iinclude -Isrc -o $(BUILD)-fuzz/fuzz_$$t tests/fuzz_$$t.c \
	      $(BUILD)-fuzz/libmob.a $(LDLIBS); \
	  mkdir -p $(BUILD)-fuzz/corpus-$$t; \
	  $(BUILD)-fuzz/fuzz_$$t $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$${FUZZ_SECONDS:-30}) \
	      -print_final_stats=1 $(BUILD)-fuzz/corpus-$$t tests/corpus/$$t; \
	done  # new inputs go to $(BUILD)-fuzz/corpus-*; the checked-in seeds stay as they are
# The whole library built with -flto from the one source list, and the reproducer that shows
# whether GCC kept a static across a yield (the inline switch; see tests/lto_statics.c).
lto: $(BUILD)/gen/mob_version.h
	$(Q)$(CC) $(ALL_CFLAGS) -O2 -flto -o $(BUILD)/lto_statics tests/lto_statics.c $(LIB_SRC) $(LDLIBS)
	@out=$$($(BUILD)/lto_statics); echo "$$out"; case "$$out" in *"turns=3 seen_by_b=6"*) ;; \
	  *) echo "lto: FAILED: a static went stale across a yield" >&2; exit 1 ;; esac
# One mob.c and one mob.h (as SQLite ships) from the same lists: every source, with every
# poller and every switch, each picked on the target by #if (see tools/amalgamate.py).
AMALG_SRC = $(SRC_SRC) $(filter-out platform/poll_% platform/ctx_% platform/switch_%,$(sort $(wildcard platform/*.c))) \
            $(sort $(wildcard platform/poll_*.c platform/ctx_*.c platform/switch_*.S))
amalgamation: $(BUILD)/gen/mob_version.h
	$(Q)python3 tools/amalgamate.py --out $(BUILD)/amalgamation -I include -I src -I $(BUILD)/gen \
	    --cpp "$(CC) -E" --version "$$(sed -n 's/.*"\(.*\)".*/\1/p' $(BUILD)/gen/mob_version.h)" \
	    --headers "$(HEADERS)" --sources "$(AMALG_SRC)"
	@wc -l $(BUILD)/amalgamation/mob.[ch]
print-%:
	@echo $($*)
run: all
	@tools/run.sh $(BUILD) "$(BOTS)" "$(DURATION)"
clean:
	rm -rf $(BUILD)
# Installs what a C library ships: both libraries (the shared one with its SONAME links), the
# public headers, mob.pc, the mob command and the arena it can play against, and the man pages.
# mob-bench and arena-bots stay in the tree: they measure and demo this tree.
INSTALL_BIN = mob arena
MAN_PAGES   = $(sort $(wildcard tools/man/*.[1-9]))
install: lib $(addprefix $(BUILD)/,$(INSTALL_BIN))
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(BUILD)/libmob.a $(DESTDIR)$(LIBDIR)
	install -m 755 $(BUILD)/libmob.so.$(VERSION) $(DESTDIR)$(LIBDIR)
	ln -sf libmob.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmob.so
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)
	install -m 644 $(BUILD)/gen/mob.pc $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(addprefix $(BUILD)/,$(INSTALL_BIN)) $(DESTDIR)$(BINDIR)
	@set -e; for m in $(MAN_PAGES); do s=$${m##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libmob.a $(DESTDIR)$(LIBDIR)/libmob.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libmob.so $(DESTDIR)$(PKGCONFIGDIR)/mob.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(HEADERS))) \
	      $(addprefix $(DESTDIR)$(BINDIR)/,$(INSTALL_BIN)) \
	      $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
format:
	clang-format -i $(wildcard src/*/*.[ch] src/*.h include/*.h platform/*.[ch] tests/*.[ch] tools/*/*.[ch])

-include $(ALL_OBJ:.o=.d)
