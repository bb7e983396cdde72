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
