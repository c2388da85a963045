# coffre: one GNU Makefile.  `make` builds bin/coffred and bin/coffre;
# `make check` installs missing dependencies and runs every test;
# `make asan` runs them under ASan+UBSan; `make run` serves on 127.0.0.1:8420.
#
# Modules are libraries; dropping a .c file into a module folder adds it.
# Each tests/test_<name>.c becomes one cmocka program linked with every
# module library; tests/test_<name>.mk may add TEST_LDFLAGS_test_<name>
# (for example -Wl,--wrap=fsync for fault injection).

.DEFAULT_GOAL := all
comma := ,

CC      ?= cc
PKGS     = libsodium libcrypto sqlite3 libmicrohttpd libarchive libcurl jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

STD    = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN   = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
         -Wmissing-prototypes -Wcast-qual -Wpointer-arith -Wvla \
         -Wwrite-strings -Wnull-dereference -Wswitch-enum
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARD = -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
OPT    = -O2 -g

ifneq ($(SANITIZE),)
BUILD      = build-san
BIN        = build-san/bin
SAN_CFLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
             -fno-omit-frame-pointer -O1 -g
SAN_LDFLAGS = -fsanitize=$(SANITIZE)
HARDEN     = -fstack-protector-strong -fPIE
else
BUILD      = build
BIN        = bin
endif

ALL_CFLAGS  = $(STD) $(WARN) $(HARDEN) $(OPT) $(CFLAGS) $(SAN_CFLAGS) \
              -I. $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDHARD) $(LDFLAGS) $(SAN_LDFLAGS)
LIBS        = $(PKG_LIBS) -lutil -lpthread -lm

MODULES = crypto storage activity
define module_vars
$(1)_SRC := $$(wildcard $(1)/*.c)
$(1)_OBJ := $$($(1)_SRC:%.c=$$(BUILD)/%.o)
$(1)_LIB := $$(BUILD)/lib$(1).a
endef
$(foreach m,$(MODULES),$(eval $(call module_vars,$(m))))

DAEMON_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/*.c))
CLIENT_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard client/*.c))
TESTUTIL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/util/*.c))
TEST_SRC     := $(wildcard tests/test_*.c)
TEST_BIN     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC    := $(wildcard bench/*.c)
BENCH_BIN    := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)

# Order matters for static linking: users before what they use.
MODLIBS = $(storage_LIB) $(activity_LIB) $(crypto_LIB)

-include tests/*.mk
-include bench/*.mk

.PHONY: all deps check asan run test bench fuzz fuzz-smoke clean format man \
        check-layering valgrind-check valgrind-integration soak

all: $(BIN)/coffred $(BIN)/coffre

# Keep objects: they are reused across test and bench programs.
.SECONDARY:

deps:
	@sh scripts/install-deps.sh

# Quiet by default; `make V=1` shows the full commands.
ifeq ($(V),1)
Q =
else
Q = @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

define module_lib
$$($(1)_LIB): $$($(1)_OBJ)
	@mkdir -p $$(dir $$@)
	rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

$(BIN)/coffred: $(DAEMON_OBJ) $(MODLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(DAEMON_OBJ) $(MODLIBS) $(LIBS)

$(BIN)/coffre: $(CLIENT_OBJ) $(MODLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLIENT_OBJ) $(MODLIBS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTUTIL_OBJ) $(MODLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(TEST_LDFLAGS_$*) -o $@ $< $(TESTUTIL_OBJ) \
	    $(MODLIBS) $(CMOCKA_LIBS) $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(MODLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(MODLIBS) $(LIBS)

# Tests find the programs and tools through the environment.
TEST_ENV = COFFRE_BINDIR=$(abspath $(BIN)) COFFRE_SRCDIR=$(abspath .) \
           COFFRE_WORK_FACTOR=10

test: all $(TEST_BIN)
	@bash scripts/run-tests.sh "$(BUILD)" $(TEST_ENV)

check: deps
	$(MAKE) check-layering
	$(MAKE) test

asan: deps
	$(MAKE) SANITIZE=address,undefined test

valgrind-check: deps all $(TEST_BIN)
	@VALGRIND=1 bash scripts/run-tests.sh "$(BUILD)" $(TEST_ENV)

# CI's share of valgrind (the whole of valgrind-check takes too long): the
# daemon under memcheck behind the API suites (every route, hostile
# requests, load) and the export-import round trip through the real client;
# the test programs and the other scripts run natively.  (client_safe, with
# its 62 s wait for a link to expire, made the run a minute longer.)
VALGRIND_SUITES = $(filter-out test_api_openapi, \
                      $(notdir $(basename $(wildcard tests/test_api*.c)))) \
                  export_import
valgrind-integration: deps all $(TEST_BIN)
	@VALGRIND=daemon TESTS="$(VALGRIND_SUITES)" \
	    bash scripts/run-tests.sh "$(BUILD)" $(TEST_ENV)

run: deps all
	@mkdir -p -m 700 var
	$(BIN)/coffred serve --listen 127.0.0.1:8420 --data ./var \
	    --open-registration

# Long fault and load runs (minutes each); figures go to docs/RELIABILITY.md.
soak: deps all $(BENCH_BIN) $(TEST_BIN)
	@bash scripts/soak.sh "$(BUILD)" $(TEST_ENV)

bench: deps all $(BENCH_BIN)
	@sh bench/run.sh "$(BUILD)"

check-layering:
	@sh scripts/check-layering.sh

# libFuzzer targets, built with clang; each links the module sources.
FUZZ_CC     = clang
FUZZ_BUILD  = build-fuzz
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -I. $(PKG_CFLAGS) \
              -fsanitize=fuzzer,address,undefined
FUZZ_BIN    = $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 10
FUZZ_LIBSRC = $(crypto_SRC) $(activity_SRC) $(storage_SRC)
# The modules are compiled once, instrumented, and linked into every target.
FUZZ_LIBOBJ = $(FUZZ_LIBSRC:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_CFLAGS)) \
	    -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/%: fuzz/%.c $(FUZZ_LIBOBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBOBJ) $(LIBS)

# `make fuzz` builds the targets; `make fuzz FUZZ_SECONDS=N` also runs each
# one for N seconds on a corpus kept in build-fuzz/corpus/ (seeded from
# fuzz/corpus/) and prints its coverage.  `make fuzz-smoke` is the short
# run of CI, from the seeds alone.
fuzz: deps $(FUZZ_BIN)
ifneq ($(origin FUZZ_SECONDS),file)
	@sh scripts/fuzz-smoke.sh "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)" \
	    "$(FUZZ_BUILD)/corpus"
endif

fuzz-smoke: deps $(FUZZ_BIN)
	@sh scripts/fuzz-smoke.sh "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)"

# The manual page is generated from the client's help table.
man: $(BIN)/coffre
	$(BIN)/coffre help --man > docs/coffre.1

# Only with a style file: clang-format's default style is not the house
# style (STYLE.md section 4), and would rewrite every file.
format:
	@test -f .clang-format || { echo "make format: no .clang-format;" \
	    "follow STYLE.md section 4 by hand" >&2; exit 1; }
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

-include $(shell find build build-san build-fuzz -name '*.d' 2>/dev/null)
