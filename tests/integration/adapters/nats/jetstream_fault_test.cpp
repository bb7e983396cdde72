#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <set>

#include <prometheus/registry.h>

#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

namespace {

/// The value of the first series of metric family `name`; -1 if absent.
double metric_value(weft::metrics& m, const std::string& name) {
  for (auto& fam : m.registry()->Collect()) {
    if (fam.name != name || fam.metric.empty())
      continue;
    const auto& x = fam.metric.front();
    return fam.type == prometheus::MetricType::Counter ? x.counter.value : x.gauge.value;
  }
  return -1;
}

std::set<std::string> handled_ids(probe& p) {
  std::set<std::string> out;
  for (auto& d : p.snapshot())
    out.insert(d.message.event.id);
  return out;
}

} // namespace

TEST_CASE("jetstream bus: nats-server killed and restarted mid-stream: publishes fail, "
          "then succeed, and nothing acknowledged is lost",
          "[nats]") {
  nats_server server;
  weft::metrics metrics;
  auto opts = js_options(server.url());
  opts.publish_timeout_ms = 1000;
  opts.metrics = &metrics;
  js_node n{opts};
  auto p = std::make_shared<probe>();
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 2000;
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));

  std::set<std::string> stored; // publishes the bus answered with a sequence
  int next = 0;
  auto publish_one = [&] {
    auto id = "e" + std::to_string(next++);
    if (n.pub(make_message("x.y", id, "agg-" + std::to_string(next % 7))) > 0)
      stored.insert(id);
    return id;
  };
  for (int i = 0; i < 50; ++i)
    publish_one();
  REQUIRE(stored.size() == 50);
  REQUIRE(n.owner->connected());
  CHECK(metric_value(metrics, "weft_nats_connected") == 1);
  CHECK(metric_value(metrics, "weft_events_published_total") == 50);

  server.kill(); // a crash: no goodbye to the clients
  REQUIRE(wait_until([&] { return !n.owner->connected(); }, 5s));
  CHECK(metric_value(metrics, "weft_nats_connected") == 0);
  // While the server is down a publish answers an error (the outbox would
  // retry it) within its timeout, never hangs.
  auto t0 = std::chrono::steady_clock::now();
  auto during = publish_one();
  CHECK(stored.count(during) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);

  server.start(); // same port, same store
  REQUIRE(wait_until([&] { return n.owner->connected(); }, 10s));
  CHECK(metric_value(metrics, "weft_nats_connected") == 1);
  CHECK(metric_value(metrics, "weft_nats_reconnects_total") == 1);
  for (int i = 0; i < 50; ++i) {
    auto id = "r" + std::to_string(i);
    // Retry as the outbox would: same event id, until stored.
    bool ok = wait_until(
      [&] { return n.pub(make_message("x.y", id, "agg-" + std::to_string(i % 7))) > 0; }, 10s);
    REQUIRE(ok);
    stored.insert(id);
  }
  // Every stored event reaches the handler (the one published during the
  // outage may arrive too: it sat in the reconnect buffer).
  REQUIRE(wait_until(
    [&] {
      auto ids = handled_ids(*p);
      return std::includes(ids.begin(), ids.end(), stored.begin(), stored.end());
    },
    20s));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.in_flight == 0; }));
}

TEST_CASE("jetstream bus: a durable consumer survives a server restart, new events are "
          "delivered and none is lost",
          "[nats]") {
  nats_server server;
  auto p = std::make_shared<probe>();
  {
    js_node n{js_options(server.url())};
    REQUIRE_FALSE(n.sub(consumer("svc", {"weft.>"}), n.probe_handler(p)));
    for (int i = 0; i < 10; ++i)
      REQUIRE(n.pub(make_message("x.y", "a" + std::to_string(i))) > 0);
    REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 10; }));
  }
  {
    // The acks reached the server before the bus stopped (the stop flushes them).
    raw_client raw{server.url()};
    auto ci = raw.consumer_info("svc");
    CHECK(ci.ack_floor == 10);
    CHECK(ci.ack_pending == 0);
  }
  server.restart();
  js_node n{js_options(server.url())};
  for (int i = 0; i < 5; ++i)
    REQUIRE(n.pub(make_message("x.y", "b" + std::to_string(i))) > 0);
  auto q = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.>"}), n.probe_handler(q)));
  REQUIRE(wait_until(
    [&] {
      auto ids = handled_ids(*q);
      return ids.count("b0") + ids.count("b1") + ids.count("b2") + ids.count("b3")
               + ids.count("b4")
             == 5;
    },
    10s));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.pending == 0 && s.in_flight == 0;
  }));
  // nats-server 2.9.10 writes a consumer's ack state lazily: a restart within
  // about a second of the acks may forget them and deliver those events
  // again (at least once; the inbox drops them by event id). Nothing else
  // may show up, and nothing stored may be missing.
  size_t again = 0;
  for (auto& id : handled_ids(*q)) {
    CHECK((id[0] == 'a' || id[0] == 'b'));
    again += id[0] == 'a';
  }
  CHECK((again == 0 || again == 10));
  INFO("acked events delivered again after the restart: " << again);
  SUCCEED();
}

TEST_CASE("jetstream bus: a subscribe while NATS is down completes once it is back",
          "[nats]") {
  nats_server server;
  js_node n{js_options(server.url())};
  auto p = std::make_shared<probe>();
  auto h = n.probe_handler(p);
  server.kill();
  REQUIRE(wait_until([&] { return !n.owner->connected(); }, 5s));
  auto pending = std::async(std::launch::async, [&] {
    caf::scoped_actor self{n.sys};
    return subscribe(self, n.bus, consumer("svc", {"weft.>"}), h);
  });
  server.start(); // from this thread, which lives on (see below)
  auto err = pending.get();
  REQUIRE_FALSE(err);
  REQUIRE(wait_until([&] { return n.pub(make_message("x.y", "after")) > 0; }, 10s));
  REQUIRE(p->wait_count(1, 10s));
  CHECK(p->snapshot().front().message.event.id == "after");
}

TEST_CASE("jetstream bus: start gives up with an error when NATS stays unreachable",
          "[nats]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = js_options("nats://127.0.0.1:" + std::to_string(free_port()));
  opts.start_timeout_ms = 300;
  auto t0 = std::chrono::steady_clock::now();
  auto bus = nats::jetstream_bus::start(sys, opts);
  REQUIRE_FALSE(bus);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK_THAT(sys.render(bus.error()), Catch::Contains("not connected"));
}

TEST_CASE("jetstream bus: start refuses stream subjects without room for dead letters",
          "[nats]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = js_options("nats://127.0.0.1:1");
  opts.subjects = {"weft.auth.>"};
  auto bus = nats::jetstream_bus::start(sys, opts);
  REQUIRE_FALSE(bus);
  CHECK_THAT(sys.render(bus.error()), Catch::Contains("weft.dlq"));
}

TEST_CASE("jetstream bus: start waits for a server that comes up late", "[nats]") {
  nats_server server;
  server.stop();
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = js_options(server.url());
  // start() blocks: run it aside while this thread brings the server up (the
  // server must be started by a thread that lives on: the fixture's children
  // die with the thread that forked them).
  auto pending = std::async(std::launch::async, [&] { return nats::jetstream_bus::start(sys, opts); });
  server.start();
  auto bus = pending.get();
  REQUIRE(bus);
  CHECK((*bus)->connected());
  (*bus)->stop();
}
