#include <catch2/catch.hpp>

#include "bus_fixture.hpp"
#include "metrics_probe.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("memory bus: counts published, delivered, acked, redelivered, dead_lettered",
          "[memory_bus][metrics]") {
  weft::metrics m;
  bus_fixture fx{memory::memory_bus_options{120, &m}};
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) {
    return d.message.event.id == "bad" ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.auth.>"});
  cfg.max_deliver = 2;
  cfg.backoff_ms = {5};
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("auth.user.created", "good"));
  fx.pub(make_message("auth.user.created", "good")); // duplicate: not counted
  fx.pub(make_message("auth.user.created", "bad"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) {
    return s.acked == 1 && s.dead_lettered == 1 && s.in_flight == 0;
  }));
  const std::string type = "auth.user.created";
  CHECK(metric_value(m, "weft_events_published_total", {{"type", type}, {"consumer", ""}}) == 2);
  CHECK(metric_value(m, "weft_events_delivered_total", {{"type", type}, {"consumer", "svc"}}) == 3);
  CHECK(metric_value(m, "weft_events_acked_total", {{"type", type}, {"consumer", "svc"}}) == 1);
  CHECK(metric_value(m, "weft_events_redelivered_total", {{"type", type}, {"consumer", "svc"}})
        == 1);
  CHECK(metric_value(m, "weft_events_dead_lettered_total", {{"type", type}, {"consumer", "svc"}})
        == 1);
}
