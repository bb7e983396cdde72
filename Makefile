# The two commands of the README. Everything else is CMake.
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# `make test SANITIZE=address,undefined` (or `thread`): the unit and
# integration suites built with those sanitizers, in build-<sanitizers>/.
SANITIZE ?=
comma := ,
ifneq ($(SANITIZE),)
BUILD_DIR ?= build-$(subst $(comma),-,$(SANITIZE))
CMAKE_FLAGS += -DWEFT_SANITIZE=$(SANITIZE)
TEST_TARGETS := --target weft_unit_tests weft_integration_tests
TEST_LABELS := -L 'unit|integration'
else
BUILD_DIR ?= build
endif
# Findings in third-party code are suppressed in these files, each with its reason.
export ASAN_OPTIONS ?= detect_leaks=0:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp
# Sanitized code runs 3-20 times slower: tests' deadlines stretch (wait_until).
ifneq ($(findstring thread,$(SANITIZE)),)
export WEFT_TEST_TIME_SCALE ?= 10
# The three 10,000-event bursts take over 15 minutes each under TSan; the
# same paths run in every other integration test.
TEST_LABELS += -E 'burst of 10,000'

else ifneq ($(SANITIZE),)
export WEFT_TEST_TIME_SCALE ?= 3
endif

# `make fuzz FUZZ_SECONDS=60`: every libFuzzer target (clang, ASan+UBSan) for
# that long each; `make fuzz-smoke` is CI's: the unit suite of that build,
# then 30 s per target.
FUZZ_SECONDS ?= 60
FUZZ_DIR ?= build-fuzz
FUZZ_OPT ?= -O1

.PHONY: setup build run test fuzz-build fuzz fuzz-smoke fuzz-smoke-run bench-programs bench bench-durable bench-cluster bench-sse bench-webhooks bench-schema bench-schema-durable validate-api clean

setup:
	@./scripts/setup.sh

# Sanitizer builds use clang, as make fuzz does (the same runtime and
# suppressions as the ASan+UBSan unit suite of CI).
$(BUILD_DIR)/build.ninja:
	@$(MAKE) --no-print-directory setup
	$(if $(SANITIZE),CC=clang CXX=clang++) cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  $(if $(SANITIZE),-DCMAKE_CXX_FLAGS_RELEASE=-O1) $(CMAKE_FLAGS)

build: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/main/weft run $(if $(CONFIG),--config $(CONFIG))

ifeq ($(SANITIZE),)
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 600
else
test: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) $(TEST_TARGETS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 900 $(TEST_LABELS)
endif

$(FUZZ_DIR)/build.ninja:
	@$(MAKE) --no-print-directory setup
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_CXX_FLAGS_RELEASE=$(FUZZ_OPT) -DWEFT_FUZZ=ON -DWEFT_SANITIZE=address,undefined

fuzz-build: setup $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target weft_fuzzers

fuzz: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# CI's: its own build at -O0, which clang compiles with ASan+UBSan in about
# 60% of -O1's time (a clean build is most of this target's time; the code
# runs slower, which 30 s of fuzzing and the unit suite can afford).
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz-smoke-run FUZZ_DIR=build-fuzz-smoke FUZZ_OPT=-O0

fuzz-smoke-run: setup $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target weft_fuzzers weft_unit_tests
	cd $(FUZZ_DIR) && WEFT_TEST_TIME_SCALE=3 ctest --output-on-failure -j 2 --timeout 900 -L unit
	./tests/fuzz/run.sh $(FUZZ_DIR) 30

# The OpenAPI and AsyncAPI documents checked by third-party parsers from npm
# (downloaded on first use: not part of `make test`).
validate-api: build
	./tests/api_validation/validate.sh $(BUILD_DIR)

# The benchmark programs are not part of `build` (make test does not need them).
bench-programs: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target weft_benches

bench: bench-programs
	./tests/bench/http_bench.sh $(BUILD_DIR)/main/weft

bench-schema: build
	./tests/bench/schema_bench.sh $(BUILD_DIR)/main/weft

bench-schema-durable: build
	BENCH_DURABLE=1 ./tests/bench/schema_bench.sh $(BUILD_DIR)/main/weft

bench-durable: bench-programs
	./tests/bench/durable_bench.sh $(BUILD_DIR)

bench-cluster: bench-programs
	$(BUILD_DIR)/tests/bench/cluster_bench $(BUILD_DIR)/main/weft

bench-sse: bench-programs
	$(BUILD_DIR)/tests/bench/sse_bench $(BUILD_DIR)/main/weft

bench-webhooks: bench-programs
	$(BUILD_DIR)/tests/bench/webhook_bench $(BUILD_DIR)/main/weft

clean:
	rm -rf $(BUILD_DIR)
