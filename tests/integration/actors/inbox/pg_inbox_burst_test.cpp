#include <catch2/catch.hpp>

#include "adapters/postgres/pg_store.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include "tests/integration/actors/inbox/pg_inbox_support.hpp"

// 10,000 events through the in-process bus into the durable inbox, with an
// audit-like handler writing one row per event: all applied exactly once.
// The rate is printed for information (shared 2-core machine), not asserted.
// The test cluster runs with fsync off; WEFT_INBOX_BENCH_URL points the
// burst at a server of your own (e.g. default durability) instead.
using namespace weft;
using namespace weft::test;

namespace {

struct burst_case {
  const char* name;
  bool batch_handler;
  size_t workers;
  size_t max_batch;
};

} // namespace

TEST_CASE("a burst of 10,000 events is applied exactly once", "[pg_inbox][burst]") {
  auto bc = GENERATE(burst_case{"per-event handler, 1 worker", false, 1, 256},
                     burst_case{"per-event handler, 2 workers", false, 2, 256},
                     burst_case{"batch handler, 1 worker", true, 1, 256},
                     burst_case{"batch handler, 2 workers", true, 2, 256});
  constexpr int total = 10000;
  pg_inbox_fixture fx{bench_database()};
  // Stored first, so that the figure is the inbox's alone.
  for (int i = 0; i < total; ++i)
    fx.self->send(fx.bus, publish_atom::value,
                  new_event("auth.user.created", "u-" + std::to_string(i % 100)));
  int stored = 0;
  fx.self->receive_for(stored, total)([](uint64_t) {});
  REQUIRE(stored == total);

  auto opts = fx.options();
  opts.workers = bc.workers;
  opts.max_batch = bc.max_batch;
  if (bc.batch_handler) {
    opts.handler = nullptr;
    opts.batch_handler = [log = fx.log](unit_of_work& unit_, std::span<const events::envelope> evs) {
      auto& c = *pg::connection_of(unit_);
      for (const auto& ev : evs)
        log->record(ev.id);
      return audit_insert_many(c, evs);
    };
  }
  auto cfg = consumer("audit", {"weft.>"});
  cfg.max_ack_pending = 1024;
  cfg.ack_wait_ms = 30000;
  auto start = std::chrono::steady_clock::now();
  REQUIRE_FALSE(subscribe(fx.self, fx.bus, cfg, fx.inbox(std::move(opts))));
  REQUIRE(wait_stats(
    fx.self, fx.bus, "audit",
    [](const consumer_stats& s) { return s.acked == total && s.in_flight == 0; }, 60s));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto batches = fx.metric("weft_inbox_batch_size_count", {{"consumer", "audit"}});
  std::printf("pg inbox burst (%s): %d events in %.3f s = %.0f events/s, %.0f transactions"
              " (%.1f events each)\n",
              bc.name, total, secs, total / secs, batches, batches > 0 ? total / batches : 0.0);
  std::fflush(stdout);

  auto s = stats_of(fx.self, fx.bus, "audit");
  CHECK(s.redelivered == 0);
  CHECK(s.dead_lettered == 0);
  CHECK(fx.log->count() == total);
  CHECK(fx.scalar("SELECT count(*) FROM weft_audit_trail") == total);
  CHECK(fx.scalar("SELECT count(DISTINCT event_id) FROM weft_audit_trail") == total);
  CHECK(fx.scalar("SELECT count(*) FROM weft_inbox WHERE consumer = 'audit'") == total);
  CHECK(fx.metric("weft_inbox_processed_total", {{"consumer", "audit"}}) == total);
}
