# The two commands of the README. Everything else is CMake.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup build run test bench-programs bench bench-durable bench-cluster bench-sse bench-webhooks clean

setup:
	@./scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	@$(MAKE) --no-print-directory setup
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/main/weft run $(if $(CONFIG),--config $(CONFIG))

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 600

# The benchmark programs are not part of `build` (make test does not need them).
bench-programs: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target weft_benches

bench: bench-programs
	./tests/bench/http_bench.sh $(BUILD_DIR)/main/weft

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
