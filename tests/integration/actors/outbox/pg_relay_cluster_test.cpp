#include <catch2/catch.hpp>

#include "adapters/memory/memory_bus.hpp"
#include "tests/integration/actors/outbox/outbox_support.hpp"

using namespace weft;
using namespace weft::outbox::test;

namespace {

using weft::test::wait_until;

/// `n` events over `subjects` aggregates, appended by transactions of `per_tx`.
std::vector<events::envelope> append_many(outbox_fixture& fx, int n, int subjects, int per_tx) {
  std::vector<events::envelope> all, tx;
  for (int i = 0; i < n; ++i) {
    all.push_back(make_event("agg-" + std::to_string(i % subjects), i));
    tx.push_back(all.back());
    if (static_cast<int>(tx.size()) == per_tx) {
      fx.append(tx);
      tx.clear();
    }
  }
  if (!tx.empty())
    fx.append(tx);
  return all;
}

/// Every subject's events were acknowledged in commit order.
void check_order(bus_log& log, const std::vector<events::envelope>& all) {
  std::map<std::string, std::vector<std::string>> expected;
  for (auto& ev : all)
    expected[ev.subject].push_back(ev.id);
  auto got = log.by_subject();
  for (auto& [subject, evs] : expected)
    CHECK(got[subject] == evs);
}

} // namespace

TEST_CASE("pg relay: two relays on one database publish every row exactly once in total, in "
          "order per subject") {
  outbox_fixture fx;
  // One log for both: the order per subject is checked across the relays.
  auto log = std::make_shared<bus_log>();
  auto bus1 = fx.keep(spawn_recording_bus(fx.sys, log));
  auto bus2 = fx.keep(spawn_recording_bus(fx.sys, log));
  auto o1 = fx.relay_options(bus1, "relay-1");
  auto o2 = fx.relay_options(bus2, "relay-2");
  o1.batch_size = o2.batch_size = 100; // many claims each, so they interleave
  auto r1 = fx.relay(o1);
  auto r2 = fx.relay(o2);
  auto all = append_many(fx, 3000, 150, 100);
  REQUIRE(wait_until([&] { return log->stored_count() >= all.size(); }, 30s));
  auto per_id = log->per_id();
  CHECK(per_id.size() == all.size());
  int twice = 0;
  for (auto& [id, n] : per_id)
    twice += n != 1;
  CHECK(twice == 0);
  check_order(*log, all);
  CHECK(wait_until([&] { return fx.pending() == 0; }, 5s));
}

TEST_CASE("pg relay: a relay killed mid-batch leaves its rows to another once its lease "
          "expires") {
  outbox_fixture fx;
  auto dead_log = std::make_shared<bus_log>();
  dead_log->silent = true; // it publishes, nothing is acknowledged
  auto o1 = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, dead_log)), "doomed");
  o1.lease = 2000ms;
  o1.publish_timeout = 1000ms;
  o1.max_in_flight = 16;
  auto all = append_many(fx, 200, 50, 100);
  auto doomed = fx.relay(o1);
  REQUIRE(wait_until([&] { return dead_log->attempt_count() >= 16; }, 5s));
  fx.self->send_exit(doomed, caf::exit_reason::kill);
  auto leased_until = fx.db.exec("SELECT extract(epoch FROM min(locked_until))::float8"
                                 " FROM weft_outbox WHERE locked_until IS NOT NULL");
  REQUIRE(leased_until);
  auto lease_end_s = leased_until->get<double>(0, 0);
  CHECK(lease_end_s > 0);

  auto log = std::make_shared<bus_log>();
  auto heir = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)), "heir"));
  REQUIRE(wait_until([&] { return log->stored_count() >= all.size(); }, 20s));
  CHECK(wait_until([&] { return fx.pending() == 0; }, 5s));
  check_order(*log, all);
  // The heir took the doomed relay's rows only after their lease ended.
  std::lock_guard<std::mutex> lk{log->mtx};
  std::set<std::string> doomed_ids;
  for (auto& a : dead_log->attempts)
    doomed_ids.insert(a.msg.event.id);
  for (auto& a : log->attempts) {
    if (doomed_ids.count(a.msg.event.id) == 0)
      continue;
    auto at_s = std::chrono::duration<double>(a.at.time_since_epoch()).count();
    CHECK(at_s >= lease_end_s - 0.05);
  }
}
