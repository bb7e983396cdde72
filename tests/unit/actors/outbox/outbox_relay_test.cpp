#include <catch2/catch.hpp>

#include <map>

#include "actors/outbox/outbox_relay.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "fake_bus.hpp"
#include "tests/unit/adapters/memory/metrics_probe.hpp"
#include "tests/unit/adapters/memory/bus_probe.hpp"

using namespace weft;
using namespace weft::test;

namespace {

/// An actor system, a relay in front of some bus, and cleanup.
struct relay_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::vector<caf::actor> actors;

  ~relay_fixture() {
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  template <class Handle>
  Handle keep(Handle h) {
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  event_relay_actor relay(event_bus_actor bus, outbox::outbox_options opts = {}) {
    opts.bus = std::move(bus);
    return keep(outbox::spawn_outbox_relay(sys, std::move(opts)));
  }

  bool drain(const event_relay_actor& relay, uint32_t deadline_ms) {
    bool answered = false;
    self->request(relay, std::chrono::seconds{10}, drain_atom::value, deadline_ms)
      .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
    return answered;
  }
};

events::envelope event(std::string id, std::string aggregate,
                       std::string type = "auth.user.updated") {
  events::envelope ev;
  ev.id = std::move(id);
  ev.source = "/weft/test";
  ev.type = std::move(type);
  ev.subject = std::move(aggregate);
  return ev;
}

/// Ids per aggregate, in the order the bus stored them.
std::map<std::string, std::vector<std::string>> by_aggregate(const std::vector<bus_message>& ms) {
  std::map<std::string, std::vector<std::string>> out;
  for (auto& m : ms)
    out[m.event.subject].push_back(m.event.id);
  return out;
}

} // namespace

TEST_CASE("outbox: events reach the bus in commit order per subject", "[outbox]") {
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->slow = true;
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)));
  std::vector<events::envelope> first, second;
  std::map<std::string, std::vector<std::string>> expected;
  for (int i = 0; i < 30; ++i) {
    auto agg = "u" + std::to_string(i % 3);
    auto id = "e" + std::to_string(i);
    (i < 15 ? first : second).push_back(event(id, agg));
    expected[agg].push_back(id);
  }
  fx.self->send(relay, publish_atom::value, first);
  fx.self->send(relay, publish_atom::value, second);
  REQUIRE(log->wait_stored(30));
  auto stored = log->snapshot();
  CHECK(by_aggregate(stored) == expected);
  CHECK(stored.front().subject == "weft.auth.user.updated");
  CHECK(stored.front().headers.empty());
  std::lock_guard<std::mutex> lk{log->mtx};
  CHECK_FALSE(log->same_subject_overlap);
  CHECK(log->max_concurrent > 1); // different aggregates do go in parallel
}

TEST_CASE("outbox: publish errors are retried with backoff, in order, nothing dropped",
          "[outbox]") {
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->fail_first = 3;
  outbox::outbox_options opts;
  opts.backoff_ms = {5, 10};
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)), opts);
  std::vector<events::envelope> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(event("e" + std::to_string(i), "u1"));
  fx.self->send(relay, publish_atom::value, batch);
  REQUIRE(log->wait_stored(5));
  std::vector<std::string> ids;
  for (auto& m : log->snapshot())
    ids.push_back(m.event.id);
  CHECK(ids == std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"});
  std::lock_guard<std::mutex> lk{log->mtx};
  CHECK(log->publishes == 8);
}

TEST_CASE("outbox: an unanswered publish times out and is retried", "[outbox]") {
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->silent_first = 1;
  outbox::outbox_options opts;
  opts.backoff_ms = {5};
  // Only the first publish goes unanswered: the retry must not time out too
  // (50 ms did in a sanitizer build under load).
  opts.publish_timeout = std::chrono::milliseconds{500};
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)), opts);
  fx.self->send(relay, publish_atom::value,
                std::vector<events::envelope>{event("e0", "u1"), event("e1", "u1")});
  REQUIRE(log->wait_stored(2));
  auto stored = log->snapshot();
  CHECK(stored[0].event.id == "e0");
  CHECK(stored[1].event.id == "e1");
}

TEST_CASE("outbox: drain answers once everything is stored", "[outbox]") {
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->fail_first = 2;
  outbox::outbox_options opts;
  opts.backoff_ms = {20};
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)), opts);
  fx.self->send(relay, publish_atom::value,
                std::vector<events::envelope>{event("e0", "u1"), event("e1", "u2"),
                                              event("e2", "u1")});
  CHECK(fx.drain(relay, 5000));
  CHECK(log->snapshot().size() == 3);
  CHECK(fx.drain(relay, 5000)); // nothing left: at once
}

TEST_CASE("outbox: drain answers at its deadline while the bus keeps failing", "[outbox]") {
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->fail_first = 1000000;
  outbox::outbox_options opts;
  opts.backoff_ms = {10};
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)), opts);
  fx.self->send(relay, publish_atom::value, std::vector<events::envelope>{event("e0", "u1")});
  CHECK(fx.drain(relay, 50));
  CHECK(log->snapshot().empty());
}

TEST_CASE("outbox: through the memory bus, a subscriber sees commit order", "[outbox][bus]") {
  relay_fixture fx;
  auto bus = fx.keep(memory::spawn_memory_bus(fx.sys, {}));
  auto relay = fx.relay(bus);
  std::vector<events::envelope> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(event("e" + std::to_string(i), "u1", "auth.user.created"));
  batch.push_back(event("e0", "u1", "auth.user.created")); // re-published: deduped
  fx.self->send(relay, publish_atom::value, batch);
  CHECK(fx.drain(relay, 5000));
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(subscribe(fx.self, bus, consumer("svc", {"weft.auth.user.*"}),
                          fx.keep(spawn_probe(fx.sys, p))));
  REQUIRE(p->wait_count(20));
  REQUIRE(wait_stats(fx.self, bus, "svc", [](const consumer_stats& s) { return s.acked == 20; }));
  auto seen = p->snapshot();
  for (size_t i = 0; i < 20; ++i) {
    CHECK(seen[i].stream_seq == i + 1);
    CHECK(seen[i].message.event.id == "e" + std::to_string(i));
  }
  CHECK(stats_of(fx.self, bus, "svc").delivered == 20);
}

TEST_CASE("outbox: weft_outbox_pending follows the backlog", "[outbox][metrics]") {
  weft::metrics m; // outlives the fixture's actors, which use it
  relay_fixture fx;
  auto log = std::make_shared<fake_bus_log>();
  log->fail_first = 1000000;
  outbox::outbox_options opts;
  opts.backoff_ms = {10};
  opts.metrics = &m;
  auto relay = fx.relay(fx.keep(spawn_fake_bus(fx.sys, log)), opts);
  fx.self->send(relay, publish_atom::value,
                std::vector<events::envelope>{event("e0", "u1"), event("e1", "u1")});
  CHECK(fx.drain(relay, 30)); // the deadline passes; the relay has seen the batch
  CHECK(metric_value(m, "weft_outbox_pending", {{"relay", "outbox"}}) == 2);
  {
    std::lock_guard<std::mutex> lk{log->mtx};
    log->fail_first = 0; // the bus is back
  }
  CHECK(fx.drain(relay, 5000));
  CHECK(metric_value(m, "weft_outbox_pending", {{"relay", "outbox"}}) == 0);
}
