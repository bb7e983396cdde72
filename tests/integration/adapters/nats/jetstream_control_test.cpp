#include <catch2/catch.hpp>

#include "js_fixture.hpp"
#include "tests/unit/adapters/memory/bus_control_contract.hpp"

using namespace weft;
using namespace weft::test;

// The same contract as the memory bus's (bus_control_contract.hpp), on a
// real nats-server: held messages while paused, dead letters read back from
// the stream by an ordered consumer, redriven by get + publish + delete.

TEST_CASE("jetstream bus: pause holds deliveries until resume, dead letters are listed and "
          "redriven to their consumer",
          "[jetstream]") {
  js_fixture fx;
  check_pause_dead_letters_and_redrive(fx.node);
}

TEST_CASE("jetstream bus: dead letters older than a cut are pruned, oldest first, young ones "
          "kept",
          "[jetstream]") {
  js_fixture fx;
  check_dead_letters_age_out(fx.node);
}

TEST_CASE("jetstream bus: with partitions, dead letters of every partition are listed and "
          "a redriven event goes back to its partition",
          "[jetstream]") {
  nats_server server;
  auto o = js_options(server.url());
  o.partitions = 4;
  js_node node{o};
  check_pause_dead_letters_and_redrive(node);
}
