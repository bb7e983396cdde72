#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

#include "events/ids.hpp"

using namespace weft::events;
using namespace std::chrono;

namespace {

int hex_value(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

} // namespace

TEST_CASE("new_uuid_v7 is a canonical lower-case UUID of version 7", "[ids]") {
  auto id = new_uuid_v7();
  REQUIRE(id.size() == 36);
  CHECK(is_uuid(id));
  CHECK(id[14] == '7');                               // version
  CHECK((hex_value(id[19]) & 0xC) == 0x8);            // variant 10xx
  for (char c : id)
    CHECK((c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
}

TEST_CASE("new_uuid_v7 carries the current unix time in milliseconds", "[ids]") {
  auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto id = new_uuid_v7();
  auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto hex = id.substr(0, 8) + id.substr(9, 4);
  auto ms = static_cast<long long>(std::stoull(hex, nullptr, 16));
  CHECK(ms >= before);
  CHECK(ms <= after + 1); // +1: the counter may borrow a millisecond
}

TEST_CASE("10k ids are unique and strictly increasing", "[ids]") {
  std::vector<std::string> ids;
  ids.reserve(10000);
  for (int i = 0; i < 10000; ++i)
    ids.push_back(new_uuid_v7());
  for (size_t i = 1; i < ids.size(); ++i)
    REQUIRE(ids[i - 1] < ids[i]);
  for (const auto& id : ids) {
    REQUIRE(id[14] == '7');
    REQUIRE((hex_value(id[19]) & 0xC) == 0x8);
  }
}

TEST_CASE("ids from several threads are unique", "[ids]") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread)
    threads.emplace_back([&out] {
      for (int i = 0; i < 2000; ++i)
        out.push_back(new_uuid_v7());
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> all;
  for (const auto& out : per_thread) {
    for (size_t i = 1; i < out.size(); ++i)
      REQUIRE(out[i - 1] < out[i]);
    all.insert(out.begin(), out.end());
  }
  CHECK(all.size() == 8000);
}

TEST_CASE("is_uuid accepts canonical UUIDs only", "[ids]") {
  CHECK(is_uuid("0190b6f2-7c3a-7d2e-9a4b-1c2d3e4f5a6b"));
  CHECK(is_uuid("0190B6F2-7C3A-4D2E-9A4B-1C2D3E4F5A6B"));
  CHECK_FALSE(is_uuid(""));
  CHECK_FALSE(is_uuid("0190b6f27c3a7d2e9a4b1c2d3e4f5a6b"));
  CHECK_FALSE(is_uuid("0190b6f2-7c3a-7d2e-9a4b-1c2d3e4f5a6"));
  CHECK_FALSE(is_uuid("0190b6f2-7c3a-7d2e-9a4b-1c2d3e4f5a6g"));
  CHECK_FALSE(is_uuid("0190b6f2x7c3a-7d2e-9a4b-1c2d3e4f5a6b"));
}

TEST_CASE("format_rfc3339_ms writes UTC with milliseconds", "[ids][time]") {
  CHECK(format_rfc3339_ms(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  system_clock::time_point t{milliseconds{1795305104123}};
  CHECK(format_rfc3339_ms(t) == "2026-11-21T23:51:44.123Z");
  system_clock::time_point leap{milliseconds{951782400000 + 999}}; // 2000-02-29
  CHECK(format_rfc3339_ms(leap) == "2000-02-29T00:00:00.999Z");
  system_clock::time_point before_epoch{milliseconds{-1}};
  CHECK(format_rfc3339_ms(before_epoch) == "1969-12-31T23:59:59.999Z");
  auto now = now_rfc3339_ms();
  CHECK(now.size() == 24);
  CHECK(now.back() == 'Z');
}

TEST_CASE("parse_rfc3339 reads what format_rfc3339_ms writes", "[ids][time]") {
  system_clock::time_point t{milliseconds{1795305104123}};
  system_clock::time_point out;
  REQUIRE(parse_rfc3339(format_rfc3339_ms(t), out));
  CHECK(out == t);
  auto now = floor<milliseconds>(system_clock::now());
  REQUIRE(parse_rfc3339(format_rfc3339_ms(now), out));
  CHECK(out == now);
}

TEST_CASE("parse_rfc3339 handles offsets, fractions and case", "[ids][time]") {
  system_clock::time_point utc;
  system_clock::time_point out;
  REQUIRE(parse_rfc3339("2026-11-21T23:51:44Z", utc));
  REQUIRE(parse_rfc3339("2026-11-22T01:51:44+02:00", out));
  CHECK(out == utc);
  REQUIRE(parse_rfc3339("2026-11-21T20:21:44-03:30", out));
  CHECK(out == utc);
  REQUIRE(parse_rfc3339("2026-11-21t23:51:44z", out));
  CHECK(out == utc);
  REQUIRE(parse_rfc3339("2026-11-21T23:51:44.5Z", out));
  CHECK(out - utc == milliseconds{500});
  REQUIRE(parse_rfc3339("2026-11-21T23:51:44.000001Z", out));
  CHECK(out - utc == microseconds{1});
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z", out));
  CHECK(parse_rfc3339("2016-12-31T23:59:60Z", out)); // leap second
}

TEST_CASE("parse_rfc3339: years the clock cannot count are valid and saturate (found by fuzzing)",
          "[ids][time]") {
  system_clock::time_point out;
  REQUIRE(parse_rfc3339("9999-12-31T23:59:59Z", out));
  CHECK(out == system_clock::time_point::max());
  REQUIRE(parse_rfc3339("1013-12-06T10:00:00.123Z", out));
  CHECK(out == system_clock::time_point::min());
  REQUIRE(parse_rfc3339("0000-01-01T00:00:00+23:59", out));
  CHECK(out == system_clock::time_point::min());
}

TEST_CASE("parse_rfc3339 rejects malformed timestamps", "[ids][time]") {
  system_clock::time_point out;
  for (auto bad : {"", "2026", "2026-11-21", "2026-11-21T23:51:44", "2026-11-21T23:51Z",
                   "2026-11-21 23:51:44Z", "2026-00-21T23:51:44Z", "2026-13-21T23:51:44Z",
                   "2026-11-31T23:51:44Z", "2023-02-29T00:00:00Z", "2026-11-21T24:00:00Z",
                   "2026-11-21T23:60:00Z", "2026-11-21T23:51:61Z", "2026-11-21T23:51:44.Z",
                   "2026-11-21T23:51:44+0200", "2026-11-21T23:51:44+02", "2026-11-21T23:51:44ZZ",
                   "2026-11-21T23:51:44+24:00", "2O26-11-21T23:51:44Z", "2026-11-21T23:51:44 Z"})
    CHECK_FALSE(parse_rfc3339(bad, out));
}
