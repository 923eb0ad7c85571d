# spp-trace build.
#
# Every .c in the layer folders (LAYERS, bottom first; scripts/check-layers.sh
# keeps their includes pointing down) goes into build/libspp.a, except files
# named *_main.c, which are program entry points (cmd/). Each
# tests/unit/NAME.c becomes build/tests/NAME linked against libspp.a, so adding
# a source or a unit test needs no edit here.
#
#   make            build/spp-trace, build/bootstrap, runtime objects
#   make run        install deps (Debian), build, trace a bundled example
#   make test       install deps (Debian), build, run every test
#   make bench      benchmark harness (bench/README.md; BENCH_ARGS=--quick)
#   make image      the Lambda image from lambda/Dockerfile, with podman (root)
#   make image-test run it as AWS Lambda runs it (tests/image/test_image.py)
#   make bench-image  its cold start and latencies beside the bare bootstrap's
#   make bench-peer   build See++'s own SPP-Valgrind, which make bench then times
#   make install  PREFIX (/usr/local), DESTDIR: an installation that needs no
#                 checkout (README.md, "Installing")
#   make runner     the TypeScript See++ runner (lambda/runner, npm ci + tsc)
#   make san        build-san/: the same, with AddressSanitizer + UBSan (SAN=1)
#   make san-test   the unit and e2e suites against build-san/ (README, "Long checks")
#   make fuzz       every libFuzzer harness for a bounded time (tests/sh/test_fuzz.sh)
#   make lint       every rule a script checks (scripts/lint.sh)

CC      ?= gcc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wswitch-enum -Wno-switch-enum -Wswitch $(WERROR)
# gcc's -Wformat-truncation flags every checked snprintf into a fixed buffer;
# clang has no such warning and rejects the option under -Werror.
ifeq ($(shell $(CC) --version 2>/dev/null | grep -c clang),0)
WARN    += -Wno-format-truncation
endif
CPPFLAGS += -D_GNU_SOURCE -I. -I/usr/include/libdwarf -MMD -MP
LDLIBS  := -ldwarf -lelf -lz -lcjson -lcurl -lcrypto -lmicrohttpd -lseccomp -lpthread -lm -lstdc++ -lexpat

BUILD   := build
# SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer in the tracer, the
# bootstrap and the unit tests (never in the runtime object linked into traced
# programs). Use its own BUILD directory: `make san` is SAN=1 BUILD=build-san.
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS  += $(SAN_FLAGS)
# the programs (not the unit tests) link cmd/san_defaults.c's object itself
SAN_PROG_OBJ := $(BUILD)/obj/cmd/san_defaults.o
endif
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DSPP_VERSION='"$(VERSION)"'

LAYERS   := dwarf tracer targets/* run lambda cmd
LIB_SRC  := $(filter-out %_main.c,$(wildcard $(addsuffix /*.c,$(LAYERS))))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Programs the tests run (not linked into them): build/support/NAME.
TEST_TOOLS := tests/support/lambda_like.c
TEST_TOOL_BIN := $(TEST_TOOLS:tests/support/%.c=$(BUILD)/support/%)
TEST_SUPPORT := $(filter-out $(TEST_TOOLS),$(wildcard tests/support/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)

# The runtime linked into every traced program (allocation table, unbuffered
# stdout). Built without -g so its lines never become steps.
# sppmon.o holds the agent too (tracer/rt/agent.c, inert unless the agent
# engine runs): one object for the compile driver to link.
RT_OBJ   := $(BUILD)/rt/sppmon.o

PROGRAMS := $(BUILD)/spp-trace $(BUILD)/bootstrap

.PHONY: all run test unit e2e bench deps clean lint image image-test bench-image install runner bench-peer san san-test fuzz
all: $(PROGRAMS) $(RT_OBJ)

# VERSION is compiled in (the cache key, the PCH hash): a new one rebuilds.
$(BUILD)/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(BUILD)/libspp.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/spp-trace: $(BUILD)/obj/cmd/spp_trace_main.o $(SAN_PROG_OBJ) $(BUILD)/libspp.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bootstrap: $(BUILD)/obj/cmd/bootstrap_main.o $(SAN_PROG_OBJ) $(BUILD)/libspp.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

RT_CFLAGS := -O1 -fno-omit-frame-pointer -fcf-protection=none -fno-stack-protector \
	    -fvisibility=hidden -fexceptions -D_GNU_SOURCE -I. -Wall -Wextra $(WERROR)

$(BUILD)/rt/%.part.o: tracer/rt/%.c tracer/rt/%.h
	@mkdir -p $(dir $@)
	$(CC) $(RT_CFLAGS) -c $< -o $@

$(RT_OBJ): $(BUILD)/rt/sppmon.part.o $(BUILD)/rt/agent.part.o $(BUILD)/rt/xol.part.o
	$(LD) -r -o $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libspp.a VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Itests -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libspp.a $(LDLIBS)

$(BUILD)/support/%: tests/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LDLIBS)

unit: $(TEST_BIN) $(TEST_TOOL_BIN)

# The reference See++ runner (lambda/README.md, "Integration with See++'s
# backend"): TypeScript, not part of the C layers. npm ci installs the
# versions package-lock.json pins into lambda/runner/node_modules (git
# ignores it and dist/); npm writes node_modules/.package-lock.json, which
# dates the install.
RUNNER     := lambda/runner
RUNNER_JS  := $(RUNNER)/dist/cli.js
RUNNER_SRC := $(wildcard $(RUNNER)/src/*.ts) $(RUNNER)/tsconfig.json

runner: $(RUNNER_JS)

$(RUNNER)/node_modules/.package-lock.json: $(RUNNER)/package.json $(RUNNER)/package-lock.json
	cd $(RUNNER) && npm ci --no-audit --no-fund --loglevel=error

$(RUNNER_JS): $(RUNNER)/node_modules/.package-lock.json $(RUNNER_SRC)
	cd $(RUNNER) && node node_modules/typescript/bin/tsc -p .

deps:
	bash scripts/install-deps.sh

run: deps all
	$(BUILD)/spp-trace --format text --no-cache examples/hello.cpp
	@echo
	@echo "That is the readable form. The JSON trace See++ renders: $(BUILD)/spp-trace examples/hello.cpp"
	@echo "(--format opt: Python Tutor's; --help lists every option)"

test: deps all unit runner
	bash tests/run_all.sh

bench: all
	bash bench/run.sh $(BENCH_ARGS)

# See++'s own pipeline for bench/ to time beside spp-trace: SPP-Valgrind,
# cloned and built by the shared anchor (minutes on 2 cores, needs autoconf
# and automake), so never inside `make bench` itself. bench/ looks for
# $(SPP_PEER_PREFIX)/bin/valgrind (or $$SPP_PEER_VALGRIND).
SPP_SHARED_DIR  ?= ../shared
SPP_PEER_SRC    ?= /tmp/sppvg
SPP_PEER_PREFIX ?= /tmp/sppvg-inst
bench-peer:
	@command -v autoconf >/dev/null && command -v automake >/dev/null || { echo "bench-peer: needs autoconf and automake (apt-get install autoconf automake)"; exit 1; }
	nice sh $(SPP_SHARED_DIR)/anchors/spp-valgrind/build.sh $(SPP_PEER_SRC) $(SPP_PEER_PREFIX)

lint:
	bash scripts/lint.sh

san:
	$(MAKE) SAN=1 BUILD=build-san all unit

san-test: san
	SPP_BUILD_DIR=build-san bash tests/run_all.sh "$(SAN_FILTER)"

fuzz:
	bash tests/sh/test_fuzz.sh

# The Lambda image: lambda/README.md, "The image, built and run here".
image:
	bash scripts/image-build.sh

image-test: unit
	python3 tests/image/test_image.py

bench-image: all unit
	python3 bench/image.py $(BENCH_ARGS)

# What a run reads lives beside the binary (run/run.c finds it through
# /proc/self/exe), as in the Lambda image's /var/runtime: the programs, the
# runtime object and the PCHs go to one directory, PKGDIR, and BINDIR gets a
# relative symlink, so DESTDIR staging and moving the prefix keep working.
# The PCHs are built here, as the installer (a+rX: the sandbox's uid reads
# them); WARM_PCH=no leaves them to be built on first use where PKGDIR is
# writable by the user who runs spp-trace.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
PKGDIR  ?= $(PREFIX)/lib/spp-trace
WARM_PCH ?= yes

install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDIR)/rt $(DESTDIR)$(PKGDIR)/pch
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PKGDIR)/
	install -m 0644 $(RT_OBJ) $(DESTDIR)$(PKGDIR)/rt/
	ln -sfr $(DESTDIR)$(PKGDIR)/spp-trace $(DESTDIR)$(BINDIR)/spp-trace
	if [ "$(WARM_PCH)" = yes ]; then \
	    SPP_PCH_DIR= SPP_RT_OBJ= $(DESTDIR)$(PKGDIR)/spp-trace --warm-pch; fi
	chmod -R a+rX,go-w $(DESTDIR)$(PKGDIR)

clean:
	rm -rf $(BUILD) $(RUNNER)/dist

# Entry points too: a header change (struct tr_cli) must rebuild them.
-include $(LIB_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) \
         $(BUILD)/obj/cmd/spp_trace_main.d $(BUILD)/obj/cmd/bootstrap_main.d
