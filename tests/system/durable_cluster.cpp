// A cluster on one nats-server and one PostgreSQL: two service nodes (auth,
// audit, notifications) and an adapter node that serves REST only. Under a
// load of reads and of writes carrying an Idempotency-Key, one service node
// is killed (SIGKILL), hung (SIGSTOP) or stopped (SIGTERM): the adapter
// keeps answering through the other within 5 s, no accepted write is lost
// and no event is applied twice (the notifications' unread counters are not
// idempotent: a double application would show there).
#include "tests/system/durable_common.hpp"

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>

#include "tests/support/jwt.hpp"

using namespace sys;
using steady = std::chrono::steady_clock;

namespace {

json cluster_of(const std::string& name, uint16_t port, std::vector<uint16_t> seeds) {
  json s = json::array();
  for (auto p : seeds)
    s.push_back("127.0.0.1:" + std::to_string(p));
  // Partitioned as deploy/ runs it: per-aggregate order across replicas.
  return {{"node", {{"name", name}}},
          {"nats", {{"partitions", 4}}},
          {"cluster", {{"listen", "127.0.0.1:" + std::to_string(port)}, {"seeds", s}, {"tls", {{"insecure", true}}}}}};
}

struct three_nodes {
  durable_servers& s;
  uint16_t p1 = free_port(), p2 = free_port(), pe = free_port();
  std::unique_ptr<weft_node> svc1, svc2, edge;

  explicit three_nodes(durable_servers& servers) : s(servers) {
    svc1 = std::make_unique<weft_node>(durable_options(s, cluster_of("svc-1", p1, {p2})));
    svc2 = std::make_unique<weft_node>(durable_options(s, cluster_of("svc-2", p2, {p1})));
    auto eo = durable_options(s, cluster_of("edge-1", pe, {p1, p2}));
    eo.config["node"]["services"] = json::array();
    edge = std::make_unique<weft_node>(eo);
    auto root = login_root(*edge);
    // Ready means some replica of each service; wait for both.
    REQUIRE(wait_until(
      [&] {
        auto r = edge->get("/v1/cluster/nodes", bearer(root.access));
        return r.status == 200 && r.body.find("\"svc-1\"") != std::string::npos
               && r.body.find("\"svc-2\"") != std::string::npos;
      },
      10s));
  }
};

/// One request of the load: when it started and ended (ms after t0), and how it went.
struct outcome {
  long start_ms = 0;
  long end_ms = 0;
  int status = 0;
  bool write = false;
};

/// Reads (GET /v1/auth/me) and writes (POST /v1/auth/api-keys with an
/// Idempotency-Key; a failed write is retried with the same key, as a client
/// would) through the adapter until `stop`.
struct load {
  load(const weft_node& e, std::string t) : edge(e), token(std::move(t)) {}

  const weft_node& edge;
  std::string token;
  steady::time_point t0 = steady::now();
  std::atomic<bool> stop{false};
  std::mutex mtx;
  std::vector<outcome> outcomes;
  std::set<std::string> created; ///< key ids answered 201
  std::atomic<int> next_key{0};
  std::vector<std::thread> threads;

  long now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
  }

  void record(outcome o) {
    std::lock_guard<std::mutex> lk(mtx);
    outcomes.push_back(o);
  }

  std::string api_key; ///< when set, one more reader authenticates with it (X-API-Key)

  void start(int readers, int writers) {
    auto reader = [this](http_headers auth) {
      return [this, auth] {
        http_client c("127.0.0.1", edge.http_port(), true, 10s);
        while (!stop) {
          outcome o{now_ms()};
          o.status = c.get("/v1/auth/me", auth).status;
          o.end_ms = now_ms();
          record(o);
        }
      };
    };
    if (!api_key.empty())
      threads.emplace_back(reader(http_headers{{"X-API-Key", api_key}}));
    for (int i = 0; i < readers; ++i)
      threads.emplace_back(reader(bearer(token)));
    for (int i = 0; i < writers; ++i)
      threads.emplace_back([this] {
        http_client c("127.0.0.1", edge.http_port(), true, 10s);
        while (!stop) {
          int k = next_key++;
          auto key = "cluster-" + std::to_string(::getpid()) + "-" + std::to_string(k);
          auto h = bearer(token);
          h.add("Idempotency-Key", key);
          for (int attempt = 0; attempt < 50 && !stop; ++attempt) {
            outcome o{now_ms()};
            o.write = true;
            auto r = c.post("/v1/auth/api-keys", {{"name", key}, {"role", "user"}}, h);
            o.status = r.status;
            o.end_ms = now_ms();
            record(o);
            if (r.status == 201) {
              auto j = r.json_or_null();
              std::lock_guard<std::mutex> lk(mtx);
              if (j.is_object() && j.contains("id"))
                created.insert(j["id"].get<std::string>());
              break;
            }
          }
        }
      });
  }

  void finish() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable())
        t.join();
  }

  ~load() { finish(); } // also when a REQUIRE fails midway

  /// Statuses after `at`, for failure messages.
  std::string statuses_after(long at) {
    std::lock_guard<std::mutex> lk(mtx);
    std::map<int, int> n;
    for (auto& o : outcomes)
      if (o.start_ms >= at)
        ++n[o.status];
    return describe_statuses(n);
  }

  /// From `at` (ms after t0) until the last request that failed after it
  /// ended; 0 when none failed.
  long gap_after(long at) {
    std::lock_guard<std::mutex> lk(mtx);
    long last = at;
    for (auto& o : outcomes)
      if (o.end_ms >= at && o.status != 200 && o.status != 201)
        last = std::max(last, o.end_ms);
    return last - at;
  }

  int failures_after(long at) {
    std::lock_guard<std::mutex> lk(mtx);
    int n = 0;
    for (auto& o : outcomes)
      if (o.end_ms >= at && o.status != 200 && o.status != 201)
        ++n;
    return n;
  }

  int successes_after(long at) {
    std::lock_guard<std::mutex> lk(mtx);
    int n = 0;
    for (auto& o : outcomes)
      if (o.start_ms >= at && (o.status == 200 || o.status == 201))
        ++n;
    return n;
  }
};

/// Every key answered 201 is stored, in the trail once, and notified once.
void check_nothing_lost_nothing_twice(durable_servers& s, load& l, const std::string& root_id) {
  REQUIRE(wait_settled(s, 60s));
  auto stored = stored_key_ids(s);
  auto trail = trail_key_ids(s);
  for (auto& id : l.created) {
    INFO("key " << id);
    CHECK(stored.count(id) == 1);
    CHECK(trail[id] == 1);
  }
  auto counts = audit_counts(s);
  CHECK(counts.total == counts.distinct);
  check_notifications_once(s, root_id, 60s);
}

} // namespace

TEST_CASE("cluster: SIGKILL of a service node under load: the adapter answers through the other "
          "within 5 s, no accepted write lost, none applied twice",
          "[system][durable][cluster][timed]") {
  durable_servers s;
  three_nodes c{s};
  auto root = login_root(*c.edge);
  load l(*c.edge, root.access);
  // API keys are resolved by the auth service too: on whichever replica.
  auto key = c.edge->post("/v1/auth/api-keys", {{"name", "reader"}, {"role", "user"}}, bearer(root.access));
  REQUIRE(key.status == 201);
  l.api_key = key.json().at("key").get<std::string>();
  l.start(2, 3);
  REQUIRE(wait_until([&] { return l.successes_after(0) >= 50; }, 20s));
  auto kill_at = l.now_ms();
  c.svc1->kill();
  // Load goes on past the 5 s the failover may take.
  REQUIRE(wait_until([&] { return l.successes_after(kill_at + 5000) >= 20; }, 30s));
  l.finish();
  auto gap = l.gap_after(kill_at);
  std::cout << "cluster SIGKILL: failover gap " << gap << " ms, " << l.failures_after(kill_at)
            << " failed requests after the kill, " << l.outcomes.size() << " requests, "
            << l.created.size() << " keys created" << std::endl;
  CHECK(gap < 5000);
  CHECK(l.successes_after(kill_at + 5000) > 0);
  check_nothing_lost_nothing_twice(s, l, account_id(*c.edge, root.access));
}

TEST_CASE("cluster: a hung service node (SIGSTOP) is routed around within 5 s and rejoins when it "
          "resumes",
          "[system][durable][cluster][timed]") {
  durable_servers s;
  three_nodes c{s};
  auto root = login_root(*c.edge);
  load l(*c.edge, root.access);
  l.start(2, 2);
  REQUIRE(wait_until([&] { return l.successes_after(0) >= 50; }, 20s));
  auto stop_at = l.now_ms();
  ::kill(c.svc1->process().pid(), SIGSTOP);
  bool served = wait_until([&] { return l.successes_after(stop_at + 2500) >= 50; }, 30s);
  if (!served) {
    ::kill(c.svc1->process().pid(), SIGCONT);
    INFO("statuses after the stop: " << l.statuses_after(stop_at) << "\nedge: " << c.edge->stderr_text()
                                     << "\nsvc-2: " << c.svc2->stderr_text());
    REQUIRE(served);
  }
  auto gap = l.gap_after(stop_at);
  // The longest any request took across the hang: the heartbeat timeout
  // (1.5 s) bounds how long one waits for the hung node before failing over.
  long slowest = 0;
  std::unique_lock<std::mutex> held(l.mtx);
  for (auto& o : l.outcomes)
    if (o.start_ms >= stop_at - 100)
      slowest = std::max(slowest, o.end_ms - o.start_ms);
  held.unlock();
  std::cout << "cluster SIGSTOP: failover gap " << gap << " ms, slowest request " << slowest
            << " ms, " << l.failures_after(stop_at) << " failed" << std::endl;
  CHECK(gap < 5000);
  CHECK(slowest < 5000);
  ::kill(c.svc1->process().pid(), SIGCONT);
  // It dials its seeds again and the adapter dials it: a member again.
  REQUIRE(wait_until(
    [&] {
      auto r = c.edge->get("/v1/cluster/nodes", bearer(root.access));
      auto j = r.json_or_null();
      if (!j.is_object())
        return false;
      for (auto& n : j["nodes"])
        if (n["name"] == "svc-1" && n["state"] == "up")
          return true;
      return false;
    },
    15s));
  l.finish();
  check_nothing_lost_nothing_twice(s, l, account_id(*c.edge, root.access));
}

TEST_CASE("cluster: SIGTERM of a service node under load: it leaves first, no request fails",
          "[system][durable][cluster][timed]") {
  durable_servers s;
  three_nodes c{s};
  auto root = login_root(*c.edge);
  load l(*c.edge, root.access);
  l.start(2, 2);
  REQUIRE(wait_until([&] { return l.successes_after(0) >= 50; }, 20s));
  auto term_at = l.now_ms();
  CHECK(c.svc1->stop() == 0);
  REQUIRE(wait_until([&] { return l.successes_after(term_at + 500) >= 50; }, 30s));
  l.finish();
  std::cout << "cluster SIGTERM: " << l.failures_after(term_at) << " failed requests of "
            << l.outcomes.size() << std::endl;
  CHECK(l.failures_after(term_at) == 0);
  CHECK(c.edge->stderr_text().find("svc-1") != std::string::npos); // it saw svc-1 leave
  check_nothing_lost_nothing_twice(s, l, account_id(*c.edge, root.access));
}

TEST_CASE("cluster: the outbox leases of a node that died are released at once, not when they "
          "expire",
          "[system][durable][cluster]") {
  durable_servers s;
  three_nodes c{s};
  auto root = login_root(*c.svc1);
  // svc-1's relay leases rows under its owner name `svc-1:<uuid>`.
  std::string owner;
  int i = 0;
  REQUIRE(wait_until(
    [&] {
      c.svc1->post("/v1/auth/api-keys", {{"name", "lease-" + std::to_string(i++)}, {"role", "user"}},
                   bearer(root.access));
      owner = s.sql("SELECT locked_by FROM weft_outbox WHERE locked_by LIKE 'svc-1:%' LIMIT 1");
      return !owner.empty();
    },
    20s));
  // Rows svc-1 holds for two minutes, as if it claimed them just before dying.
  s.sql("INSERT INTO weft_outbox (event_id, type, subject, payload, locked_by, locked_until)"
        " SELECT id, 'cluster.test.leased', 'leased-' || g, json_build_object('specversion', '1.0',"
        "  'id', id, 'source', '/weft/test', 'type', 'cluster.test.leased',"
        "  'time', to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        "  'subject', 'leased-' || g, 'datacontenttype', 'application/json',"
        "  'data', json_build_object('n', g))::text, '" + owner + "', now() + interval '120 seconds'"
        " FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, 20) g) x");
  CHECK(audit_counts(s, "cluster.test.leased").total == 0);
  auto t0 = steady::now();
  c.svc1->kill();
  REQUIRE(wait_until([&] { return audit_counts(s, "cluster.test.leased").total == 20; }, 20s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
  std::cout << "cluster: a dead node's 20 leased rows published " << took << " ms after the kill"
            << std::endl;
  CHECK(took < 10000); // the leases had 120 s left
  CHECK(audit_counts(s, "cluster.test.leased").distinct == 20);
}

TEST_CASE("cluster: with NATS, nodes find each other through the member records, no seeds "
          "needed, a node that leaves is seen to go",
          "[system][durable][cluster]") {
  durable_servers s;
  auto no_seeds = [&](const std::string& name) {
    return durable_options(s, cluster_of(name, free_port(), {}));
  };
  weft_node svc1{no_seeds("svc-1")};
  weft_node svc2{no_seeds("svc-2")};
  auto eo = no_seeds("edge-1");
  eo.config["node"]["services"] = json::array();
  weft_node edge{eo}; // ready: it found a replica of every service
  auto root = login_root(edge);
  auto members = [&](const weft_node& n) {
    std::set<std::string> up;
    auto j = n.get("/v1/cluster/nodes", bearer(root.access)).json_or_null();
    if (j.is_object())
      for (auto& m : j["nodes"])
        if (m["state"] == "up")
          up.insert(m["name"].get<std::string>());
    return up;
  };
  std::set<std::string> all{"svc-1", "svc-2", "edge-1"};
  REQUIRE(wait_until([&] { return members(edge) == all && members(svc1) == all && members(svc2) == all; },
                     15s));
  auto me = edge.get("/v1/auth/me", bearer(root.access));
  CHECK(me.status == 200);
  // SIGTERM: it deletes its record and leaves; the others see it go.
  CHECK(svc2.stop() == 0);
  REQUIRE(wait_until([&] { return !members(edge).count("svc-2") && !members(svc1).count("svc-2"); }, 10s));
  CHECK(s.nats.url().size() > 0);
  CHECK(edge.get("/v1/auth/me", bearer(root.access)).status == 200);
}

namespace {

/// The partition of an aggregate as the README states the wire contract
/// (FNV-1a, 32 bits, of the CloudEvents subject, modulo nats.partitions):
/// written here again, not taken from the node.
uint32_t partition_of(const std::string& aggregate, uint32_t parts) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : aggregate) {
    h ^= ch;
    h *= 16777619u;
  }
  return h % parts;
}

/// Who reads partition `k` of `consumer` now (the lease's value), or "".
std::string partition_reader(nats_raw_client& nc, const std::string& consumer, uint32_t k) {
  auto r = nc.js_api("STREAM.MSG.GET.KV_weft_partitions_weft",
                     {{"last_by_subj", "$KV.weft_partitions_weft." + consumer + "." + std::to_string(k)}});
  if (!r.contains("message") || !r["message"].contains("data"))
    return {};
  auto b64 = r["message"]["data"].get<std::string>();
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  b64.erase(std::remove(b64.begin(), b64.end(), '='), b64.end());
  return weft::test::base64url_decode(b64);
}

/// A random (version 4) UUID, for event ids.
std::string uuid_v4() {
  static std::mt19937_64 rng{std::random_device{}()};
  auto hi = rng(), lo = rng();
  hi = (hi & ~0xF000ull) | 0x4000ull;
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}


/// Service nodes with nats.partitions = 4, a producer of ordered steps for
/// 16 aggregates, and the checks: all in the trail once, in order.
struct partitioned_cluster {
  static constexpr uint32_t parts = 4;
  static constexpr int aggregates = 16;
  durable_servers& s;
  nats_raw_client nc;
  std::vector<uint16_t> ports;
  int published = 0;

  explicit partitioned_cluster(durable_servers& servers) : s(servers), nc(servers.nats.port()) {}

  std::unique_ptr<weft_node> node(const std::string& name, uint16_t port, std::vector<uint16_t> seeds) {
    auto o = durable_options(s, cluster_of(name, port, std::move(seeds)));
    o.config["nats"]["partitions"] = parts;
    return std::make_unique<weft_node>(o);
  }

  /// The nodes reading audit's partitions now.
  std::set<std::string> readers() {
    std::set<std::string> out;
    for (uint32_t k = 0; k < parts; ++k) {
      auto r = partition_reader(nc, "audit", k);
      out.insert(r.substr(0, r.find(':')));
    }
    return out;
  }

  /// Any producer on the stream: steps [from, to) of every aggregate, each
  /// on its partition's subject.
  void publish(int from, int to) {
    for (int n = from; n < to; ++n)
      for (int a = 0; a < aggregates; ++a) {
        auto agg = "agg-" + std::to_string(a);
        auto id = uuid_v4();
        auto subject = "weft.p" + std::to_string(partition_of(agg, parts)) + ".cluster.order.step";
        auto ack = nc.js_publish(subject, cloud_event(id, "cluster.order.step", agg, {{"n", n}}).dump(),
                                 {{"Content-Type", "application/cloudevents+json"}, {"Nats-Msg-Id", id}});
        REQUIRE(ack.contains("seq"));
        published++;
      }
  }

  long long handled() { return audit_counts(s, "cluster.order.step").total; }

  /// Every step in the trail once, and per aggregate in the order published.
  void check_all_once_in_order(int steps) {
    REQUIRE(wait_until([&] { return handled() == published; }, 60s));
    CHECK(audit_counts(s, "cluster.order.step").distinct == published);
    std::map<std::string, std::vector<int>> order;
    for (auto& line : s.sql_lines("SELECT subject || ' ' || (envelope->'data'->>'n') FROM weft_audit_trail"
                                  " WHERE type = 'cluster.order.step' ORDER BY position")) {
      std::istringstream in(line);
      std::string agg;
      int n = 0;
      in >> agg >> n;
      order[agg].push_back(n);
    }
    REQUIRE(order.size() == aggregates);
    std::vector<int> want(steps);
    std::iota(want.begin(), want.end(), 0);
    for (auto& [agg, ns] : order) {
      INFO(agg);
      CHECK(ns == want);
    }
  }
};

} // namespace

TEST_CASE("cluster: with nats.partitions each partition has one reader, so an aggregate's events "
          "are handled in stream order across replicas, also when a reader is killed",
          "[system][durable][cluster][partitions]") {
  durable_servers s;
  partitioned_cluster c{s};
  uint16_t p1 = free_port(), p2 = free_port();
  auto svc1 = c.node("svc-1", p1, {p2});
  auto svc2 = c.node("svc-2", p2, {p1});
  // Both read some of audit's partitions (the fair share: two each).
  REQUIRE(wait_until([&] { return c.readers() == std::set<std::string>{"svc-1", "svc-2"}; }, 20s));
  c.publish(0, 20);
  REQUIRE(wait_until([&] { return c.handled() >= 100; }, 20s));
  auto t0 = steady::now();
  svc1->kill(); // holding half the partitions, some events at its handlers
  c.publish(20, 40);
  c.check_all_once_in_order(40);
  std::cout << "cluster partitions: SIGKILL of a reader, all " << c.published << " events handled "
            << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count()
            << " ms after the kill" << std::endl;
  CHECK(c.readers() == std::set<std::string>{"svc-2"});
}

TEST_CASE("cluster: partitions are handed over in order when a reader leaves (SIGTERM) and shared "
          "again when a node joins",
          "[system][durable][cluster][partitions]") {
  durable_servers s;
  partitioned_cluster c{s};
  uint16_t p1 = free_port(), p2 = free_port();
  auto svc1 = c.node("svc-1", p1, {p2});
  auto svc2 = c.node("svc-2", p2, {p1});
  REQUIRE(wait_until([&] { return c.readers() == std::set<std::string>{"svc-1", "svc-2"}; }, 20s));
  c.publish(0, 15);
  REQUIRE(wait_until([&] { return c.handled() >= 60; }, 20s));
  CHECK(svc1->stop() == 0); // settles its partitions, then frees them
  c.publish(15, 30);
  REQUIRE(wait_until([&] { return c.readers() == std::set<std::string>{"svc-2"}; }, 15s));
  // A new node: svc-2 gives two partitions up (settled first), svc-3 takes them.
  // Its port is picked now: one picked at the start could be taken by a
  // test running alongside meanwhile.
  auto svc3 = c.node("svc-3", free_port(), {p2});
  c.publish(30, 45);
  REQUIRE(wait_until([&] { return c.readers() == std::set<std::string>{"svc-2", "svc-3"}; }, 20s));
  c.publish(45, 60);
  c.check_all_once_in_order(60);
}
