# Vigil - one GNU Makefile (docs/building.md).
#
#   make            release build: ./vigil (-> build/release/vigil)
#   make check      every test suite, on the release build and on the
#                   ASan+UBSan build (what CI runs; installs missing packages)
#   make check-fast the suites on the release build only
#   make asan       the suites on the ASan+UBSan build only
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make bench      benchmarks against the peer tools (bench/README.md)
#   make demo       analyse the bundled sample captures (README quick start)
#
# Sources are found by wildcard: a new src/<module>/*.c, tests/unit/test_*.c
# or fuzz/fuzz_*.c is built without touching this file.

BUILD      ?= release
CC         ?= cc
PKGS       := libpcap jansson libpcre2-8 libcrypto zlib libmagic libhs yara
CORPUS     ?= $(abspath ../shared/corpus)
FUZZ_SECONDS ?= 30

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN   := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-missing-field-initializers
BASE   := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -MMD -MP

ifeq ($(BUILD),asan)
  OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN := -fsanitize=address,undefined
else ifeq ($(BUILD),tsan)
  # ThreadSanitizer, for --workers N (docs/building.md):
  #   make BUILD=tsan -j2 && tests/run.sh --build build/tsan --only workers
  OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
  LDSAN := -fsanitize=thread
else
  OPT  := -O2 -g
  LDSAN :=
endif

B        ?= build/$(BUILD)
CFLAGS   += $(BASE) $(OPT)
LDLIBS   := $(PKG_LIBS) -lm

LIB_SRC  := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(B)/tools/%)
REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz-replay/%)
LIBVIGIL := $(B)/libvigil.a
VIGIL    := $(B)/vigil

.PHONY: all deps deps-test check check-fast asan fuzz bench demo clean samples format

all: $(VIGIL) vigil

vigil: $(VIGIL)
	@[ "$(BUILD)" = release ] && ln -sf $(VIGIL) vigil || true

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBVIGIL): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(VIGIL): $(CLI_OBJ) $(LIBVIGIL)
	$(CC) $(LDSAN) -o $@ $(CLI_OBJ) $(LIBVIGIL) $(LDLIBS)

# Every tests/unit/*.c that is not a test_*.c is test support (e.g. the
# fake app layer proto_fake.c), archived and linked ahead of libvigil into
# every unit test; a test takes only the objects it calls.
TEST_LIB_SRC := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
$(B)/tests-lib/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/tests-lib/libtestsupport.a: $(TEST_LIB_SRC:tests/unit/%.c=$(B)/tests-lib/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(B)/tests/%: tests/unit/%.c $(B)/tests-lib/libtestsupport.a $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(B)/tests-lib/libtestsupport.a \
		$(LIBVIGIL) $(LDSAN) $(LDLIBS) $(shell pkg-config --libs cmocka)

$(B)/tools/%: tools/%.c $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBVIGIL) $(LDSAN) $(LDLIBS)

# Fuzz harnesses built with a plain main() that replays stored inputs
# (fuzz/corpus/<harness>/ and fuzz/regress/<harness>/) on every `make check`.
# The code the harnesses share (fuzz/*.c but fuzz_*.c and replay_main.c)
# goes in an archive linked ahead of libvigil; its fake proto_ctx is made
# of weak symbols, so a harness on the real app layer (fuzz_stream) keeps it.
FUZZ_LIB_SRC := $(filter-out fuzz/fuzz_%.c fuzz/replay_main.c,$(wildcard fuzz/*.c))
$(B)/fuzz-lib/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/fuzz-lib/libharness.a: $(FUZZ_LIB_SRC:fuzz/%.c=$(B)/fuzz-lib/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(B)/fuzz-replay/%: fuzz/%.c fuzz/replay_main.c $(B)/fuzz-lib/libharness.a $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< fuzz/replay_main.c $(B)/fuzz-lib/libharness.a $(LIBVIGIL) \
		$(LDSAN) $(LDLIBS)

$(B)/samples/.stamp: $(B)/tools/gen_samples tools/gen_samples.c
	@mkdir -p $(dir $@)
	$(B)/tools/gen_samples $(B)/samples
	@touch $@

samples: $(B)/samples/.stamp

build-tests: $(VIGIL) $(UNIT_BIN) $(TOOL_BIN) $(REPLAY_BIN) $(B)/samples/.stamp

# The whole suite on the release and the sanitizer builds.
check: deps-test
	$(MAKE) BUILD=release build-tests
	$(MAKE) BUILD=asan build-tests
	tests/run.sh --build build/release --build build/asan --corpus $(CORPUS)

check-fast: deps-test
	$(MAKE) BUILD=release build-tests
	tests/run.sh --build build/release --corpus $(CORPUS)

asan: deps-test
	$(MAKE) BUILD=asan build-tests
	tests/run.sh --build build/asan --corpus $(CORPUS)

demo: deps
	$(MAKE) BUILD=release all $(B)/samples/.stamp
	scripts/demo.sh build/release

# libFuzzer: clang, whole library rebuilt with coverage instrumentation.
FZ := build/fuzz
FZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=undefined
FZ_OBJ := $(LIB_SRC:%.c=$(FZ)/%.o)
$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FZ_CFLAGS) -MMD -MP -c $< -o $@
# Linked through an archive, as the replay programs are: a harness may
# define its own stand-ins (e.g. a fake proto_ctx) for library members.
$(FZ)/libvigil.a: $(FZ_OBJ)
	rm -f $@ && ar rcs $@ $^
$(FZ)/libharness.a: $(FUZZ_LIB_SRC:%.c=$(FZ)/%.o)
	rm -f $@ && ar rcs $@ $^
$(FZ)/%: fuzz/%.c $(FZ)/libharness.a $(FZ)/libvigil.a
	clang $(FZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FZ)/libharness.a $(FZ)/libvigil.a $(LDLIBS)
fuzz: deps-fuzz
	$(MAKE) $(FUZZ_SRC:fuzz/%.c=$(FZ)/%)
	scripts/fuzz.sh $(FZ) $(FUZZ_SECONDS)

deps-fuzz:
	@scripts/deps.sh fuzz

bench: deps
	$(MAKE) BUILD=release all
	bench/run.sh

format:
	clang-format -i $$(find src tests fuzz tools -name '*.[ch]')

clean:
	rm -rf build vigil

# Keep intermediate objects (pattern-rule chains would delete them).
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
