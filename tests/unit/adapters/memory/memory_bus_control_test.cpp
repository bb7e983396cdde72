#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "bus_control_contract.hpp"
#include "bus_fixture.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("memory bus: pause holds deliveries until resume, dead letters are listed and "
          "redriven to their consumer",
          "[memory_bus]") {
  bus_fixture fx;
  check_pause_dead_letters_and_redrive(fx);
}

TEST_CASE("memory bus: dead letters older than a cut are pruned, oldest first, young ones kept",
          "[memory_bus]") {
  bus_fixture fx;
  check_dead_letters_age_out(fx);
}

TEST_CASE("memory bus: past max_events the oldest settled events leave, but never one a "
          "consumer has yet to settle",
          "[memory_bus]") {
  memory::memory_bus_options opts;
  opts.max_events = 10;
  bus_fixture fx{opts};
  auto fast = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("fast", {"weft.x.>"}), fx.probe_handler(fast)));
  for (int i = 0; i < 40; ++i)
    fx.pub(make_message("x.a", "e" + std::to_string(i)));
  REQUIRE(fx.wait_stats("fast", [](const consumer_stats& s) { return s.acked == 40; }));
  fx.pub(make_message("x.a", "e40")); // a store after every ack: the trim sees them settled
  REQUIRE(fx.wait_stats("fast", [](const consumer_stats& s) { return s.acked == 41; }));
  auto kept = read_stream(fx.self, fx.bus, stream_query{"weft.x.>", 0, 1000});
  CHECK(kept.size() <= 10 + 10 / 16 + 1);
  REQUIRE_FALSE(kept.empty());
  CHECK(kept.back().message.event.id == "e40");
  CHECK(kept.front().stream_seq == 41 - kept.size() + 1); // the newest, contiguous

  // A paused consumer holds what it has not settled: nothing is lost to the limit.
  REQUIRE_FALSE(set_paused(fx.self, fx.bus, "fast", true));
  for (int i = 41; i < 81; ++i)
    fx.pub(make_message("x.a", "e" + std::to_string(i)));
  CHECK(read_stream(fx.self, fx.bus, stream_query{"weft.x.>", 0, 1000}).size() >= 40);
  REQUIRE_FALSE(set_paused(fx.self, fx.bus, "fast", false));
  REQUIRE(fx.wait_stats("fast", [](const consumer_stats& s) { return s.acked == 81; }));
  auto seen = fast->snapshot();
  REQUIRE(seen.size() == 81);
  for (int i = 0; i < 81; ++i)
    CHECK(seen[i].message.event.id == "e" + std::to_string(i));
  // A consumer created now starts at what is kept.
  auto late = std::make_shared<probe>();
  fx.pub(make_message("x.a", "e81"));
  REQUIRE_FALSE(fx.sub(consumer("late", {"weft.x.>"}), fx.probe_handler(late)));
  REQUIRE(late->wait([](const std::vector<delivery>& s) {
    return !s.empty() && s.back().message.event.id == "e81";
  }));
  CHECK(late->snapshot().size() <= 12);
}

TEST_CASE("memory bus: a redriven letter goes out again even inside the dedupe window, and "
          "only-delete leaves the event alone",
          "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  auto failed = std::make_shared<std::set<std::string>>(); // the probe's thread only
  p->policy = [failed](const delivery& d) {
    return failed->insert(d.message.event.id).second ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.x.>"});
  cfg.max_deliver = 1;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.a", "one"));
  fx.pub(make_message("x.a", "two"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.dead_lettered == 2; }));
  auto letters = dead_letters(fx.self, fx.bus, "svc");
  REQUIRE(letters.size() == 2);
  CHECK(dead_letters(fx.self, fx.bus, "svc", 0, 1).size() == 1); // limit
  // Only deleted: nothing is published.
  CHECK(redrive(fx.self, fx.bus, "svc", {letters[1].stream_seq}, false) == 1);
  auto seen = p->snapshot().size();
  CHECK(redrive(fx.self, fx.bus, "svc", {letters[0].stream_seq}) == 1);
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
  auto all = p->snapshot();
  REQUIRE(all.size() == seen + 1);
  CHECK(all.back().message.event.id == "one");
  CHECK(dead_letters(fx.self, fx.bus, "svc").empty());
}
