# lancre - build, test, demo, bench.  See README.md.
#
#   make              build/lancre
#   make check        install test dependencies (as root), then every test:
#                     unit + end-to-end, the same again under ASan+UBSan, and
#                     every libFuzzer target (fixed runs and seed)
#   make fuzz         each libFuzzer target for FUZZ_SECONDS (default 60)
#   make demo         install what is missing, build, run the demo
#   make bench        the benchmarks (bench/), results in bench/out/
#   make install      PREFIX=/usr/local (lancre, and the about page's templates to copy)

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
PKGS     = libcrypto libssl sqlite3 inih libh2o-evloop libseccomp libcurl jansson
SAN     ?=
# libpq (Debian libpq-dev): its headers only; pkg-config's --cflags would also add
# -I/usr/include/<triplet>, turning system headers into warned-about ones.
PQ_CFLAGS = -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral -Wvla -Wundef -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Isrc \
           $(shell pkg-config --cflags $(PKGS) p11-kit-1 2>/dev/null) $(PQ_CFLAGS) -MMD -MP
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpq -pthread -ldl

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# libFuzzer builds (clang): the library gets coverage instrumentation, each target the driver.
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
           -Wno-unknown-warning-option
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC   := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/about_builtin.o
# The about page's built-in languages: the files `make install` ships for operators to
# copy, compiled in from those same files (src/server/about_builtin.h).
ABOUT_HTML := $(sort $(wildcard share/about/*.html))
TEST_SRC  := $(shell find tests/unit -name 'test_*.c' | sort)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
TOOL_SRC  := $(wildcard tools/*.c)
TOOL_BIN  := $(TOOL_SRC:tools/%.c=$(BUILD)/%)

.PHONY: all check check-fast check-asan fuzz fuzzers unit e2e demo bench install deps-test \
        deps-demo deps-bench clean lint

all: $(BUILD)/lancre $(TOOL_BIN)

$(BUILD)/liblancre.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^ # from scratch: a deleted source leaves no stale member

$(BUILD)/lancre: $(BUILD)/src/main.o $(BUILD)/liblancre.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/tools/%.o $(BUILD)/liblancre.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/liblancre.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/liblancre.a $(LDLIBS) -lcmocka

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/about_builtin.c: $(ABOUT_HTML) scripts/embed_about.sh
	@mkdir -p $(@D)
	sh scripts/embed_about.sh $(ABOUT_HTML) >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/about_builtin.o: $(BUILD)/gen/about_builtin.c
	$(CC) $(CFLAGS) -c -o $@ $<

tests: $(TEST_BIN) $(BUILD)/shim/trap_shim.so

# A test-only LD_PRELOAD library (tests/shim/trap_shim.c says why), never in lancre, outside
# BUILD/tests/ (tests/run.sh runs what is there).  Built
# without the sanitizers: it is preloaded into any build of lancre.
$(BUILD)/shim/trap_shim.so: tests/shim/trap_shim.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -fPIC -shared $(WARN) -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/liblancre.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/liblancre.a $(LDLIBS)

fuzzers: $(FUZZ_BIN)

# Every parser of outside bytes has a libFuzzer target (tests/fuzz/).  `make check` runs
# each for a fixed number of runs from a fixed seed (repeatable); `make fuzz` explores for
# FUZZ_SECONDS each.
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang FUZZ=1 fuzzers
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh build-fuzz

# The README's test command.  Runs everything twice: plain, then ASan+UBSan.
# The three builds use every core (CI's time is bounded: .ci/run within 25 minutes).
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps-test lint
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all tests
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) BUILD=build-asan SAN=1 all tests
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) BUILD=build-fuzz CC=clang FUZZ=1 fuzzers
	@tests/run.sh build build-asan build-fuzz
	@test -c /dev/null || { echo "make check: /dev/null is no longer a character device:" \
		"restore it (rm -f /dev/null; mknod -m 666 /dev/null c 1 3) and find the cause" >&2; exit 1; }

# Plain build only, for a quick loop while developing.
check-fast: all tests
	@tests/run.sh $(BUILD)

check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all tests
	@tests/run.sh build-asan

demo: deps-demo all
	$(BUILD)/lancre demo $(DEMO_ARGS)

bench: deps-bench all
	bench/run.sh $(BUILD)

deps-test:
	@scripts/deps.sh test
deps-demo:
	@scripts/deps.sh build
deps-bench:
	@scripts/deps.sh bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lancre/about
	install -m 0755 $(BUILD)/lancre $(DESTDIR)$(PREFIX)/bin/lancre
	install -m 0644 $(ABOUT_HTML) $(DESTDIR)$(PREFIX)/share/lancre/about/

# Banned calls: unbounded copies and unchecked conversions (STYLE.md, 11).
lint:
	@! grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)\s*\(' src tools tests/unit $(wildcard bench/*.c) \
	    || (echo "banned function used" && false)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
