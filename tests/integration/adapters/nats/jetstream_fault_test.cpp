#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

namespace {

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
  auto opts = js_options(server.url());
  opts.publish_timeout_ms = 1000;
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

  server.kill(); // a crash: no goodbye to the clients
  REQUIRE(wait_until([&] { return !n.owner->connected(); }, 5s));
  // While the server is down a publish answers an error (the outbox would
  // retry it) within its timeout, never hangs.
  auto t0 = std::chrono::steady_clock::now();
  auto during = publish_one();
  CHECK(stored.count(during) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);

  server.start(); // same port, same store
  REQUIRE(wait_until([&] { return n.owner->connected(); }, 10s));
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
