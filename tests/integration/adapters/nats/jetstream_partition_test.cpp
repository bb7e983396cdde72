#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "events/routes.hpp"
#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

namespace {

nats::jetstream_options partitioned(const std::string& url, uint32_t parts, bool assigned) {
  auto o = js_options(url);
  o.partitions = parts;
  o.assigned_partitions = assigned;
  return o;
}

/// Ids seen per aggregate (CloudEvents subject), in the order handled.
std::map<std::string, std::vector<std::string>> by_aggregate(probe& p) {
  std::map<std::string, std::vector<std::string>> out;
  std::lock_guard<std::mutex> lk{p.mtx};
  for (auto& d : p.seen)
    out[d.message.event.subject].push_back(d.message.event.id);
  return out;
}

caf::error assign(js_node& n, const std::string& consumer, std::vector<uint32_t> parts,
                  std::chrono::milliseconds wait = std::chrono::milliseconds{10000}) {
  caf::error out;
  n.self->request(n.bus, wait, assign_atom::value, consumer, std::move(parts))
    .receive([](ack_atom) {}, [&](caf::error& err) { out = std::move(err); });
  return out;
}

} // namespace

TEST_CASE("partitioned bus: an event goes to weft.p<k>.<type>, handlers see weft.<type>, "
          "each partition is a durable of its own",
          "[nats][partitions]") {
  nats_server server;
  js_node n{partitioned(server.url(), 4, false)};
  raw_client raw{server.url()};
  auto wire = raw.subscribe("weft.>");
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.>"}), n.probe_handler(p)));
  n.pub(make_message("order.changed", "A1", "A"));
  auto* got = raw_client::next(wire, 5000);
  REQUIRE(got != nullptr);
  auto k = events::partition_of("A", 4);
  CHECK(std::string{natsMsg_GetSubject(got)} == "weft.p" + std::to_string(k) + ".order.changed");
  natsMsg_Destroy(got);
  REQUIRE(p->wait_count(1));
  CHECK(p->snapshot()[0].message.subject == "weft.order.changed");
  auto info = raw.consumer_info("svc_p" + std::to_string(k));
  CHECK(info.found);
  CHECK_FALSE(raw.consumer_info("svc").found);
}

TEST_CASE("partitioned bus: every partition is read and each aggregate's events are handled "
          "in stream order",
          "[nats][partitions]") {
  nats_server server;
  js_node n{partitioned(server.url(), 4, false)};
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.order.>"}), n.probe_handler(p)));
  std::set<uint32_t> parts;
  for (int i = 0; i < 5; ++i)
    for (int a = 0; a < 8; ++a) {
      auto agg = "agg-" + std::to_string(a);
      parts.insert(events::partition_of(agg, 4));
      n.pub(make_message("order.changed", agg + "#" + std::to_string(i), agg));
    }
  REQUIRE(parts.size() > 1); // the aggregates spread over partitions
  REQUIRE(p->wait_count(40));
  for (auto& [agg, ids] : by_aggregate(*p)) {
    std::vector<std::string> want;
    for (int i = 0; i < 5; ++i)
      want.push_back(agg + "#" + std::to_string(i));
    CHECK(ids == want);
  }
  REQUIRE(n.wait_stats("svc_p" + std::to_string(*parts.begin()),
                       [](const consumer_stats& s) { return s.in_flight == 0; }));
}

TEST_CASE("partitioned bus: a partition taken away is settled before assign answers, and "
          "the next reader gets its events in stream order",
          "[nats][partitions]") {
  nats_server server;
  js_node a{partitioned(server.url(), 2, true)};
  js_node b{partitioned(server.url(), 2, true)};
  auto pa = std::make_shared<probe>();
  auto pb = std::make_shared<probe>();
  // On `a` the first attempt at X1 never answers (a slow handler), so X2
  // and X3 wait behind it in its lane when the partition is taken away.
  pa->policy = [](const delivery& d) {
    return d.message.event.id == "X1" ? reply::none : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 1500;
  REQUIRE_FALSE(a.sub(cfg, a.probe_handler(pa)));
  REQUIRE_FALSE(b.sub(cfg, b.probe_handler(pb)));
  // Unassigned: nothing is read.
  a.pub(make_message("order.changed", "X1", "X"));
  a.pub(make_message("order.changed", "X2", "X"));
  a.pub(make_message("order.changed", "X3", "X"));
  CHECK_FALSE(pa->wait_count(1, std::chrono::milliseconds{500}));
  REQUIRE_FALSE(assign(a, "svc", {0, 1}));
  REQUIRE(pa->wait_count(1));
  CHECK(pa->snapshot()[0].message.event.id == "X1");
  // Taken away while X1 is at the handler: the answer waits for it.
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE_FALSE(assign(a, "svc", {}));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds{1000}); // X1's ack_wait ran out first
  CHECK(pa->snapshot().size() == 1);              // X2, X3 never started on a
  REQUIRE_FALSE(assign(b, "svc", {0, 1}));
  REQUIRE(pb->wait_count(3));
  CHECK(by_aggregate(*pb)["X"] == std::vector<std::string>{"X1", "X2", "X3"});
  CHECK(pb->snapshot()[0].attempt == 2); // X1 again, counted
  // And a bus refuses assign for a consumer it does not have.
  CHECK(assign(b, "other", {0}));
}
