#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/actors/inbox/pg_inbox_support.hpp"
#include "tests/support/process.hpp"

// PostgreSQL restarted while events flow: deliveries fail and are retried
// meanwhile, and every event is applied exactly once after it is back.
using namespace weft;
using namespace weft::test;

TEST_CASE("PostgreSQL restarted mid-stream: all events applied exactly once",
          "[pg_inbox][outage]") {
  pg::test::keep_running guard;
  pg_inbox_fixture fx;
  auto opts = fx.options();
  opts.workers = 2;
  opts.max_batch = 64;
  auto cfg = consumer("audit", {"weft.>"});
  cfg.max_ack_pending = 128;
  cfg.max_deliver = 10000; // the outage must not dead-letter anything
  cfg.backoff_ms = {20, 50, 100};
  REQUIRE_FALSE(subscribe(fx.self, fx.bus, cfg, fx.inbox(std::move(opts))));

  constexpr int before = 300, during = 300, after = 300;
  for (int i = 0; i < before; ++i)
    publish(fx.self, fx.bus, new_event("auth.user.created", "u-" + std::to_string(i % 7)));
  REQUIRE(wait_stats(fx.self, fx.bus, "audit",
                     [](const consumer_stats& s) { return s.acked >= 100; }, 10s));

  pg::test::cluster().stop("fast");
  for (int i = 0; i < during; ++i)
    publish(fx.self, fx.bus, new_event("auth.user.created", "u-" + std::to_string(i % 7)));
  // Deliveries fail while the server is down and come back after backoff.
  auto failed_before = fx.metric("weft_inbox_failed_total", {{"consumer", "audit"}});
  REQUIRE(wait_until(
    [&] { return fx.metric("weft_inbox_failed_total", {{"consumer", "audit"}}) > failed_before + 50; },
    10s));
  auto redelivered = stats_of(fx.self, fx.bus, "audit").redelivered;
  CHECK(redelivered > 0);

  pg::test::cluster().start();
  for (int i = 0; i < after; ++i)
    publish(fx.self, fx.bus, new_event("auth.user.created", "u-" + std::to_string(i % 7)));
  constexpr int total = before + during + after;
  REQUIRE(wait_stats(
    fx.self, fx.bus, "audit",
    [](const consumer_stats& s) { return s.acked == total && s.in_flight == 0 && s.pending == 0; },
    30s));
  auto s = stats_of(fx.self, fx.bus, "audit");
  CHECK(s.dead_lettered == 0);
  CHECK(s.redelivered >= redelivered);
  CHECK(fx.scalar("SELECT count(*) FROM weft_audit_trail") == total);
  CHECK(fx.scalar("SELECT count(DISTINCT event_id) FROM weft_audit_trail") == total);
  CHECK(fx.scalar("SELECT count(*) FROM weft_inbox WHERE consumer = 'audit'") == total);
  // A COMMIT whose answer was lost counts as failed, its redelivery as a
  // duplicate: never more applied than events.
  auto processed = fx.metric("weft_inbox_processed_total", {{"consumer", "audit"}});
  auto duplicates = fx.metric("weft_inbox_duplicates_total", {{"consumer", "audit"}});
  CHECK(processed <= total);
  CHECK(processed + duplicates >= total);
}
