#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "server_fixture.hpp"

// Not a test: serves the fixture's routes for a while so wrk can be pointed
// at it (`weft_adapters_http_tests "[.bench]"`). Env: WEFT_BENCH_SECONDS (30),
// WEFT_BENCH_THREADS (1), WEFT_BENCH_PORT_FILE (where the port is written).
TEST_CASE("serve for an external load generator", "[.bench]") {
  auto env = [](const char* name, int fallback) {
    auto v = std::getenv(name);
    return v ? std::atoi(v) : fallback;
  };
  weft::http::test::server_fixture f{static_cast<uint32_t>(env("WEFT_BENCH_THREADS", 1))};
  if (auto file = std::getenv("WEFT_BENCH_PORT_FILE"))
    std::ofstream{file} << f.port << '\n';
  std::cout << "bench: serving on 127.0.0.1:" << f.port << std::endl;
  std::this_thread::sleep_for(std::chrono::seconds{env("WEFT_BENCH_SECONDS", 30)});
  auto text = prometheus::TextSerializer{}.Serialize(f.metrics.registry()->Collect());
  CHECK_FALSE(text.empty());
}
