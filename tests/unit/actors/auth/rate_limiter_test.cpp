#include <catch2/catch.hpp>

#include <string>

#include "actors/auth/rate_limiter.hpp"

using namespace weft::auth;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;

// Appending, not `"ip-" + std::to_string(i)`: that trips a GCC 12 -Wrestrict
// false positive (PR 105329).
std::string key(const char* prefix, int i) {
  std::string k{prefix};
  k += std::to_string(i);
  return k;
}

} // namespace

TEST_CASE("rate_limiter allows limit hits, then refuses with Retry-After", "[rate_limiter]") {
  rate_limiter rl{5, 60s};
  for (int i = 0; i < 5; ++i)
    CHECK(rl.hit("a@example.com", t0) == 0);
  auto retry = rl.hit("a@example.com", t0);
  CHECK(retry >= 1);
  CHECK(retry <= 60);
  CHECK(retry == 12); // one attempt each window / limit
  // Keys are independent.
  CHECK(rl.hit("b@example.com", t0) == 0);
  // Refused attempts do not lengthen the wait.
  for (int i = 0; i < 100; ++i)
    CHECK(rl.hit("a@example.com", t0 + 1s) == 11);
  // Once Retry-After has passed, exactly one attempt is allowed.
  CHECK(rl.hit("a@example.com", t0 + 12s) == 0);
  CHECK(rl.hit("a@example.com", t0 + 12s) == 12);
}

TEST_CASE("rate_limiter recovers a full burst after the window", "[rate_limiter]") {
  rate_limiter rl{3, 10s};
  for (int i = 0; i < 3; ++i)
    CHECK(rl.hit("ip", t0) == 0);
  CHECK(rl.hit("ip", t0) > 0);
  auto later = t0 + 10s;
  for (int i = 0; i < 3; ++i)
    CHECK(rl.hit("ip", later) == 0);
  CHECK(rl.hit("ip", later) > 0);
}

TEST_CASE("rate_limiter Retry-After rounds up and stays in [1, window]", "[rate_limiter]") {
  rate_limiter one{1, 7s};
  CHECK(one.hit("k", t0) == 0);
  CHECK(one.hit("k", t0) == 7);
  CHECK(one.hit("k", t0 + 6500ms) == 1);
  CHECK(one.hit("k", t0 + 7s) == 0);
  // Limits above the window's seconds: waits under a second round up to 1.
  rate_limiter many{1000, 1s};
  for (int i = 0; i < 1000; ++i)
    REQUIRE(many.hit("k", t0) == 0);
  CHECK(many.hit("k", t0) == 1);
  // Degenerate arguments are clamped rather than dividing by zero.
  rate_limiter zero{0, 0s};
  CHECK(zero.hit("k", t0) == 0);
  CHECK(zero.hit("k", t0) == 1);
}

TEST_CASE("rate_limiter reset forgets a key", "[rate_limiter]") {
  rate_limiter rl{2, 60s};
  CHECK(rl.hit("a", t0) == 0);
  CHECK(rl.hit("a", t0) == 0);
  CHECK(rl.hit("a", t0) > 0);
  CHECK(rl.size() == 1);
  rl.reset("a");
  rl.reset("never seen");
  CHECK(rl.size() == 0);
  CHECK(rl.hit("a", t0) == 0);
}

TEST_CASE("rate_limiter purges idle keys, bounding its size", "[rate_limiter]") {
  rate_limiter rl{5, 60s};
  for (int i = 0; i < 5000; ++i)
    REQUIRE(rl.hit(key("ip-", i), t0) == 0);
  CHECK(rl.size() == 5000);
  // While their buckets refill (one hit costs window / limit = 12 s) nothing
  // may be forgotten.
  for (int i = 0; i < 6000; ++i)
    rl.hit("busy", t0 + 5s);
  CHECK(rl.size() == 5001);
  // A window later every one-off key is idle; the next scan drops them all.
  auto later = t0 + 61s;
  for (int i = 0; i < 6000; ++i)
    rl.hit("busy", later + std::chrono::milliseconds{i * 20});
  CHECK(rl.size() <= 2);
  CHECK(rl.hit("ip-1", later) == 0); // a purged key starts afresh
}

TEST_CASE("rate_limiter memory stays bounded under a stream of new keys", "[rate_limiter]") {
  rate_limiter rl{5, 10s};
  std::size_t peak = 0;
  // 100 new keys a second for 10 minutes: 1000 live keys per window.
  for (int i = 0; i < 60000; ++i) {
    rl.hit(key("k", i), t0 + std::chrono::milliseconds{i * 10});
    peak = std::max(peak, rl.size());
  }
  CHECK(peak <= 3000);
}
