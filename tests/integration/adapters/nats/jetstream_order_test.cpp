#include <catch2/catch.hpp>

#include <set>

#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("jetstream bus: one aggregate's events are handled in stream order through "
          "retries, other aggregates are not held up",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  // A1 fails twice; everything else succeeds at once.
  p->policy = [](const delivery& d) {
    return d.message.event.id == "A1" && d.attempt < 3 ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.backoff_ms = {300, 300};
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  // One NATS subject; the CloudEvents subject tells the aggregates apart.
  n.pub(make_message("order.changed", "A1", "A"));
  n.pub(make_message("order.changed", "A2", "A"));
  n.pub(make_message("order.changed", "B1", "B"));
  n.pub(make_message("order.changed", "A3", "A"));
  n.pub(make_message("order.changed", "B2", "B"));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 5; }));
  auto seen = p->snapshot();
  std::vector<std::string> a_order, all;
  std::chrono::steady_clock::time_point b_done, a1_last;
  {
    std::lock_guard<std::mutex> lk{p->mtx};
    for (size_t i = 0; i < p->seen.size(); ++i) {
      const auto& id = p->seen[i].message.event.id;
      all.push_back(id + "#" + std::to_string(p->seen[i].attempt));
      if (id[0] == 'A')
        a_order.push_back(id + "#" + std::to_string(p->seen[i].attempt));
      if (id == "B2")
        b_done = p->at[i];
      if (id == "A1")
        a1_last = p->at[i];
    }
  }
  INFO("deliveries: " << Catch::Detail::stringify(all));
  // A's events: A1 until it succeeds, then A2, then A3; never overtaken.
  CHECK(a_order == std::vector<std::string>{"A1#1", "A1#2", "A1#3", "A2#1", "A3#1"});
  // B's events ran while A1 waited out its backoff (~600 ms in all).
  CHECK(b_done < a1_last);
  std::vector<std::string> b_order;
  for (auto& d : seen)
    if (d.message.event.id[0] == 'B')
      b_order.push_back(d.message.event.id);
  CHECK(b_order == std::vector<std::string>{"B1", "B2"});
}

TEST_CASE("jetstream bus: two buses sharing one durable handle every event once in total",
          "[nats]") {
  nats_server server;
  js_node one{js_options(server.url())};
  js_node two{js_options(server.url())};
  auto a = std::make_shared<probe>();
  auto b = std::make_shared<probe>();
  auto cfg = consumer("svc", {"weft.>"});
  cfg.max_ack_pending = 64;
  REQUIRE_FALSE(one.sub(cfg, one.probe_handler(a)));
  REQUIRE_FALSE(two.sub(cfg, two.probe_handler(b)));
  const int total = 300;
  for (int i = 0; i < total; ++i)
    REQUIRE(one.pub(make_message("x.y", "e" + std::to_string(i), "agg-" + std::to_string(i)))
            > 0);
  auto acked = [&] { return one.stats("svc").acked + two.stats("svc").acked; };
  REQUIRE(wait_until([&] { return acked() == total; }, 20s));
  std::multiset<std::string> ids;
  for (auto& d : a->snapshot())
    ids.insert(d.message.event.id);
  for (auto& d : b->snapshot())
    ids.insert(d.message.event.id);
  INFO("bus one handled " << a->snapshot().size() << ", bus two " << b->snapshot().size());
  CHECK(ids.size() == static_cast<size_t>(total));
  std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == static_cast<size_t>(total));
}
