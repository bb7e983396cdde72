// Durable corners of issue 7, on the real binary with real servers:
// PostgreSQL crashing (not stopping) under a write burst, SIGTERM under
// load, and the operator's tools end to end (`weft migrate`, `weft outbox
// republish --since`, POST /v1/outbox/republish) after the stream lost
// every message. Each counts that nothing answered 201 is lost and nothing
// is applied twice.
#include "tests/system/durable_common.hpp"

#include "tests/support/nats_raw.hpp"

using namespace sys;

namespace {

/// Every key answered 201 is stored; then, once applied, each is in the
/// trail exactly once, and `creator` has exactly one notification of each:
/// a notification bumps a counter, an effect no UNIQUE key would absorb
/// if an event were applied twice.
void check_nothing_lost_nothing_twice(const durable_servers& s, const burst_result& res,
                                      const std::string& creator) {
  auto stored = stored_key_ids(s);
  int lost = 0;
  for (auto& id : res.created_ids)
    if (!stored.count(id))
      ++lost;
  CHECK(lost == 0);
  bool drained = wait_applied(s, static_cast<long long>(stored.size()), 60s);
  auto counts = audit_counts(s, "auth.apikey.created");
  auto trail = trail_key_ids(s);
  INFO("201s " << res.created_ids.size() << ", stored " << stored.size() << ", trail " << counts.total
               << " (distinct " << counts.distinct << "), outbox pending " << outbox_pending(s));
  CHECK(drained);
  CHECK(counts.total == counts.distinct);
  int not_once = 0;
  for (auto& id : stored)
    if (trail[id] != 1)
      ++not_once;
  CHECK(not_once == 0);
  check_notifications_once(s, creator);
}

} // namespace

TEST_CASE("PostgreSQL crashed (immediate) under a write burst: every 201 answered before is in "
          "the trail after recovery, once",
          "[durable][postgres_crash]") {
  durable_servers s;
  weft_node node(durable_options(s, {{"bus", {{"backoff_ms", {20, 100, 500, 1000}}, {"max_deliver", 40}}}}));
  auto token = login_root(node).access;
  auto root_id = account_id(node, token);
  std::atomic<bool> stop{false};
  burst_result res;
  std::thread writer([&] { create_keys(node, token, "crash", 1 << 30, 4, res, &stop); });
  REQUIRE(wait_until([&] { return res.created.load() >= 100; }, 20s));
  s.pg.stop("immediate"); // a crash: no checkpoint, recovery replays the WAL
  auto during = res.created.load();
  bool refused = wait_until(
    [&] {
      std::lock_guard<std::mutex> lk(res.mtx);
      return res.statuses.count(503) > 0 || res.statuses.count(0) > 0;
    },
    10s);
  s.pg.start();
  bool again = wait_until([&] { return res.created.load() >= during + 50; }, 30s);
  stop = true;
  writer.join();
  INFO("statuses " << describe_statuses(res.statuses) << "; unexpected: "
                   << (res.unexpected.empty() ? "" : res.unexpected.front()));
  CHECK(refused);
  CHECK(again);
  CHECK(res.unexpected.empty()); // 201, 503 or a cut connection: never a 500
  check_nothing_lost_nothing_twice(s, res, root_id);
}

TEST_CASE("SIGTERM of a durable node under load: exit 0, nothing lost, the next start publishes "
          "what was left",
          "[durable][sigterm]") {
  durable_servers s;
  weft_node node(durable_options(s));
  auto token = login_root(node).access;
  auto root_id = account_id(node, token);
  std::atomic<bool> stop{false};
  burst_result res;
  std::thread writer([&] { create_keys(node, token, "term", 1 << 30, 4, res, &stop); });
  REQUIRE(wait_until([&] { return res.created.load() >= 200; }, 20s));
  auto code = node.stop(); // SIGTERM while the writers go on
  stop = true;
  writer.join();
  CHECK(code == 0);
  auto left = outbox_pending(s);
  INFO("outbox rows left by the stop: " << left << "; statuses " << describe_statuses(res.statuses));
  CHECK(res.unexpected.empty());
  node.start();
  REQUIRE(node.wait_ready(30s));
  check_nothing_lost_nothing_twice(s, res, root_id);
}

TEST_CASE("weft migrate, then weft outbox republish --since and POST /v1/outbox/republish after "
          "the stream lost every message: each event in the trail once",
          "[durable][republish]") {
  durable_servers s;
  // weft migrate on an empty database: applies, then has nothing to do.
  temp_dir dir;
  auto config = dir / "weft.json";
  write_text(config, json{{"database", {{"url", s.db_url()}}}}.dump());
  auto first = run_weft(WEFT_BINARY, {"migrate", "--config", config.string()});
  INFO("migrate: " << first.exit_code << " " << first.out << first.err);
  REQUIRE(first.exit_code == 0);
  auto applied = s.sql_int("SELECT count(*) FROM weft_schema_migrations");
  CHECK(applied > 0);
  auto second = run_weft(WEFT_BINARY, {"migrate", "--config", config.string()});
  CHECK(second.exit_code == 0);
  CHECK(s.sql_int("SELECT count(*) FROM weft_schema_migrations") == applied);

  // Events published while nobody consumes them, then lost with the stream.
  auto since = rfc3339(std::chrono::system_clock::now() - 1s);
  std::set<std::string> ids;
  {
    weft_node producer(durable_options(s, {{"node", {{"services", {"auth"}}}},
                                           {"database", {{"migrate_on_start", false}}}}));
    auto token = login_root(producer).access;
    for (int i = 0; i < 20; ++i) {
      auto r = producer.post("/v1/auth/api-keys", {{"name", "lost-" + std::to_string(i)}, {"role", "user"}},
                             bearer(token));
      REQUIRE(r.status == 201);
      ids.insert(r.json().at("id").get<std::string>());
    }
    REQUIRE(wait_until([&] { return outbox_pending(s) == 0; }, 20s));
    REQUIRE(producer.stop() == 0);
  }
  nats_raw_client nc(s.nats.port());
  auto deleted = nc.js_api("STREAM.DELETE.WEFT");
  INFO("stream delete: " << deleted.dump());
  REQUIRE(deleted.value("success", false));

  weft_node node(durable_options(s));
  auto root = bearer(login_root(node).access);
  auto in_trail = [&] {
    auto trail = trail_key_ids(s);
    int n = 0;
    for (auto& id : ids)
      n += trail.count(id) ? trail[id] : 0;
    return n;
  };
  CHECK(in_trail() == 0);
  auto cli = run_weft(WEFT_BINARY, {"outbox", "republish", "--since", since, "--config",
                                    node.config_path().string()});
  INFO("republish: " << cli.exit_code << " " << cli.out << cli.err);
  REQUIRE(cli.exit_code == 0);
  CHECK(cli.out.find("events will be published again") != std::string::npos);
  CHECK(wait_until([&] { return in_trail() == 20 && outbox_pending(s) == 0; }, 30s));
  // Once more through the API: the stream's duplicate window and the inbox
  // absorb it, nothing is applied twice.
  auto again = node.post("/v1/outbox/republish", {{"since", since}}, root);
  INFO(again.body);
  CHECK(again.status == 200);
  CHECK(wait_until([&] { return outbox_pending(s) == 0; }, 30s));
  CHECK(wait_settled(s, 30s));
  auto trail = trail_key_ids(s);
  for (auto& id : ids)
    CHECK(trail[id] == 1);
  auto counts = audit_counts(s);
  CHECK(counts.total == counts.distinct);
}

TEST_CASE("metrics move with the work: consumer lag while paused and back to 0, publish latency, "
          "handler duration",
          "[durable][metrics]") {
  durable_servers s;
  weft_node node(durable_options(s));
  auto root = bearer(login_root(node).access);
  auto create = [&](const std::string& name) {
    REQUIRE(node.post("/v1/auth/api-keys", {{"name", name}, {"role", "user"}}, root).status == 201);
  };
  for (int i = 0; i < 10; ++i)
    create("m-" + std::to_string(i));
  REQUIRE(wait_applied(s, 10, 30s));
  auto text = node.metrics_text();
  CHECK(metric_sum(text, "weft_outbox_publish_latency_seconds_count").value_or(0) >= 10);
  // (The audit handler takes batches: one observation per call, not per event.)
  CHECK(metric_sum(text, "weft_inbox_handler_duration_seconds_count", {{"consumer", "audit"}}).value_or(0) >= 1);
  CHECK(metric_sum(text, "weft_inbox_processed_total", {{"consumer", "audit"}}).value_or(0) >= 10);
  // Lag: the audit consumer paused, what arrives waits, and the gauge says how much.
  REQUIRE(node.post("/v1/consumers/audit/pause", json::object(), root).status == 200);
  for (int i = 0; i < 5; ++i)
    create("lag-" + std::to_string(i));
  double lag = 0;
  CHECK(wait_until(
    [&] {
      lag = metric(node, "weft_consumer_pending", {{"consumer", "audit"}});
      return lag >= 5;
    },
    15s));
  INFO("lag while paused: " << lag);
  REQUIRE(node.post("/v1/consumers/audit/resume", json::object(), root).status == 200);
  CHECK(wait_until([&] { return metric(node, "weft_consumer_pending", {{"consumer", "audit"}}) == 0; }, 15s));
  CHECK(wait_applied(s, 15, 30s));
}
