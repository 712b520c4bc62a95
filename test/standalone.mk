# Builds the plain-C parts of bounce_suppress (the files in src/ that never
# include postgres.h) outside the server: unit tests, libFuzzer targets and a
# sanitizer build.  Used by `make unit` / `make fuzz-short` and test/run.sh.
#
#   make -f test/standalone.mk unit          # test/unit/test_*.c, ASan+UBSan
#   make -f test/standalone.mk fuzz-short    # each test/fuzz/fuzz_*.c, FUZZ_SECONDS each
#   make -f test/standalone.mk fuzz-long FUZZ_RUNS=10000000 TARGET=smtp

CC ?= cc
FUZZ_CC ?= clang
BUILD = test/build
# plain C: every src/*.c that includes no server header (directly or through ours)
PURE_SRCS := $(sort $(shell grep -L '^\#include "\(postgres\|postgres_fe\|bounce_suppress\|bs_compat\)\.h"' src/*.c))
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_UNIT = -std=gnu11 -g -O1 -Wall -Wextra -Isrc $(SAN)
FUZZ_SECONDS ?= 8
FUZZ_RUNS ?= 10000000

UNIT_SRCS := $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS := $(patsubst test/unit/%.c,$(BUILD)/%,$(UNIT_SRCS))
FUZZ_SRCS := $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst test/fuzz/%.c,$(BUILD)/%,$(FUZZ_SRCS))

.PHONY: unit fuzz-build fuzz-short fuzz-long

$(BUILD):
	mkdir -p $@

$(BUILD)/test_%: test/unit/test_%.c $(PURE_SRCS) test/unit/unit.h test/unit/arena.h | $(BUILD)
	$(CC) $(CFLAGS_UNIT) -o $@ $< $(PURE_SRCS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

$(BUILD)/fuzz_%: test/fuzz/fuzz_%.c $(PURE_SRCS) test/unit/arena.h | $(BUILD)
	$(FUZZ_CC) -g -O1 -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(PURE_SRCS)

fuzz-build: $(FUZZ_BINS)

# A bounded run of every target, seeded from test/fuzz/seeds_NAME/ (and its
# fixtures); fails on any crash or sanitizer report.
fuzz-short: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$${f##*/fuzz_}; \
	  mkdir -p $(BUILD)/corpus_$$n; \
	  echo "== fuzz $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	      $(BUILD)/corpus_$$n $$(test -d test/fuzz/seeds_$$n && echo test/fuzz/seeds_$$n) 2>&1 \
	      | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|crash' ; done

fuzz-long: $(BUILD)/fuzz_$(TARGET)
	mkdir -p $(BUILD)/corpus_$(TARGET)
	$(BUILD)/fuzz_$(TARGET) -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
	    $(BUILD)/corpus_$(TARGET) $$(test -d test/fuzz/seeds_$(TARGET) && echo test/fuzz/seeds_$(TARGET))
