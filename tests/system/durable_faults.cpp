// Faults on the durable path: PostgreSQL stopped and started under load, a
// handler failing its first deliveries, a poison event and malformed
// messages on the stream (published by a plain NATS client), and one
// aggregate's order through a failing handler.
#include "tests/system/durable_common.hpp"

using namespace sys;

namespace {

json fault_rules(const json& rules) {
  return {{"faults", {{"rules", rules}}}};
}

} // namespace

TEST_CASE("PostgreSQL stopped and started: not ready, writes 503, nothing accepted lost, recovers by itself",
          "[durable][postgres_restart]") {
  durable_servers s;
  // Deliveries that fail while the database is away are retried for longer
  // than the outage lasts (an operator's setting, not the test defaults).
  weft_node node(durable_options(s, {{"bus", {{"backoff_ms", {20, 100, 500, 1000}}, {"max_deliver", 40}}}}));
  auto token = login_root(node).access;

  std::atomic<bool> stop{false};
  burst_result res;
  std::thread writer([&] { create_keys(node, token, "pg", 1 << 30, 2, res, &stop); });
  bool writing = wait_until([&] { return res.created.load() >= 50; }, 20s);

  s.pg.stop("fast");
  auto stopped_at = steady::now();
  http_response ready;
  bool not_ready = wait_until(
    [&] {
      ready = node.get("/health/ready");
      return ready.status == 503;
    },
    10s);
  auto drop_s = std::chrono::duration<double>(steady::now() - stopped_at).count();
  http_response refused;
  bool writes_refused = wait_until(
    [&] {
      refused = node.post("/v1/auth/api-keys", {{"name", "during-outage"}, {"role", "user"}}, bearer(token));
      return refused.status != 201 && refused.status != 0;
    },
    10s);
  // Reads of the audit trail need the database too.
  auto audit_read = node.get("/v1/audit?limit=1", bearer(token));
  auto created_during = res.created.load();

  s.pg.start();
  auto started_at = steady::now();
  bool ready_again = wait_until([&] { return node.get("/health/ready").status == 200; }, 30s);
  auto recover_s = std::chrono::duration<double>(steady::now() - started_at).count();
  bool writes_again = wait_until([&] { return res.created.load() >= created_during + 50; }, 30s);
  stop = true;
  writer.join();

  INFO("ready dropped after " << drop_s << " s, ready again " << recover_s << " s after the start; statuses "
                              << describe_statuses(res.statuses) << "; unexpected: "
                              << (res.unexpected.empty() ? "" : res.unexpected.front()));
  REQUIRE(writing);
  CHECK(not_ready);
  CHECK(drop_s < 5.0);
  check_problem(ready, 503);
  CHECK(writes_refused);
  check_problem(refused, 503);
  CHECK_FALSE(refused.header("Retry-After").empty());
  CHECK(audit_read.status == 503);
  CHECK(ready_again);
  CHECK(writes_again);
  // Every answer of the writer was 201 or 503 (or a cut connection): no 500, no 504.
  CHECK(res.unexpected.empty());
  CHECK(res.statuses[503] > 0);

  // Nothing the API accepted is lost: each 201 is stored, and in the trail once.
  auto stored = stored_key_ids(s);
  for (auto& id : res.created_ids)
    if (!stored.count(id))
      FAIL_CHECK("key " << id << " answered 201 but is not stored");
  bool drained = wait_applied(s, static_cast<long long>(stored.size()), 60s);
  auto trail = trail_key_ids(s);
  auto counts = audit_counts(s, "auth.apikey.created");
  INFO("stored " << stored.size() << ", trail " << counts.total << " (distinct " << counts.distinct
                 << "), outbox pending " << outbox_pending(s) << ", dead-lettered "
                 << metric(node, "weft_events_dead_lettered_total"));
  CHECK(drained);
  CHECK(counts.total == counts.distinct);
  CHECK(counts.total == static_cast<long long>(stored.size()));
  int missing = 0;
  for (auto& id : stored)
    if (trail[id] != 1)
      ++missing;
  CHECK(missing == 0);
}

TEST_CASE("a handler that fails three times then succeeds: applied once, redeliveries counted",
          "[durable][redelivery]") {
  durable_servers s;
  weft_node node(durable_options(
    s, fault_rules({{{"handler", "audit"}, {"mode", "fail"}, {"first", 3}, {"type", "auth.apikey.created"}}})));
  auto token = login_root(node).access;
  auto r = node.post("/v1/auth/api-keys", {{"name", "thrice"}, {"role", "user"}}, bearer(token));
  REQUIRE(r.status == 201);
  auto id = r.json()["id"].get<std::string>();

  bool applied = wait_until([&] { return trail_key_ids(s)[id] >= 1; }, 20s);
  CHECK(applied);
  // Settled: acked once, nothing left in flight.
  bool settled = wait_until(
    [&] {
      return metric(node, "weft_events_acked_total", {{"consumer", "audit"}, {"type", "auth.apikey.created"}}) >= 1;
    },
    10s);
  CHECK(settled);
  auto text = node.metrics_text();
  auto delivered =
    metric_sum(text, "weft_events_delivered_total", {{"consumer", "audit"}, {"type", "auth.apikey.created"}});
  auto redelivered =
    metric_sum(text, "weft_events_redelivered_total", {{"consumer", "audit"}, {"type", "auth.apikey.created"}});
  auto acked = metric_sum(text, "weft_events_acked_total", {{"consumer", "audit"}, {"type", "auth.apikey.created"}});
  INFO("delivered " << delivered.value_or(-1) << ", redelivered " << redelivered.value_or(-1) << ", acked "
                    << acked.value_or(-1) << ", inbox failed " << metric_sum(text, "weft_inbox_failed_total").value_or(-1));
  CHECK(delivered.value_or(0) == 4);
  CHECK(redelivered.value_or(0) == 3);
  CHECK(acked.value_or(0) == 1);
  CHECK(metric_sum(text, "weft_events_dead_lettered_total").value_or(0) == 0);
  if (auto failed = metric_sum(text, "weft_inbox_failed_total"))
    CHECK(*failed >= 3);

  auto trail = trail_key_ids(s);
  CHECK(trail.size() == 1);
  CHECK(trail[id] == 1);
  CHECK(audit_counts(s, "auth.apikey.created").total == 1);
  CHECK(s.sql_int("SELECT count(*) FROM weft_inbox i JOIN weft_audit_trail a USING (event_id)"
                  " WHERE i.consumer = 'audit' AND a.type = 'auth.apikey.created'")
        == 1);
}

TEST_CASE("malformed messages and a poison event are dead-lettered with a reason, what follows is applied",
          "[durable][dead_letters]") {
  durable_servers s;
  weft_node node(durable_options(s, {{"bus", {{"max_deliver", 3}}},
                                     {"faults",
                                      {{"rules",
                                        {{{"handler", "audit"},
                                          {"mode", "fail"},
                                          {"first", 1000},
                                          {"type", "test.poison"}}}}}}}));
  auto token = login_root(node).access;

  // A plain NATS client, as any producer on the stream's subjects could be.
  nats_raw_client nc(s.nats.port());
  nc.subscribe("weft.dlq.>");
  REQUIRE(nc.flush());

  const std::string not_json = "this is not JSON {";
  const std::string no_attrs = json{{"type", "auth.user.created"}, {"data", {{"user_id", "x"}}}}.dump();
  const std::string poison_id = "01900000-0000-7000-8000-00000000dead";
  const std::string after_id = "01900000-0000-7000-8000-00000000beef";
  const std::string poison = cloud_event(poison_id, "test.poison", "lane-1").dump();
  const std::string after = cloud_event(after_id, "test.after", "lane-1").dump();
  const std::map<std::string, std::string> ce_headers = {{"Content-Type", "application/cloudevents+json"}};

  auto pa = nc.js_publish("weft.auth.user.created", not_json);
  auto pb = nc.js_publish("weft.auth.user.created", no_attrs);
  auto h = ce_headers;
  h["Nats-Msg-Id"] = poison_id;
  auto pc = nc.js_publish("weft.test.poison", poison, h);
  // The same NATS subject and CloudEvents subject as the poison: one lane.
  h["Nats-Msg-Id"] = after_id;
  auto pd = nc.js_publish("weft.test.poison", after, h);
  for (auto* ack : {&pa, &pb, &pc, &pd}) {
    INFO("PubAck: " << ack->dump());
    REQUIRE(ack->is_object());
    CHECK(ack->contains("seq"));
    CHECK_FALSE(ack->contains("error"));
  }
  // Events committed through the API after them.
  auto r = node.post("/v1/auth/api-keys", {{"name", "after-poison"}, {"role", "user"}}, bearer(token));
  REQUIRE(r.status == 201);
  auto key_id = r.json()["id"].get<std::string>();

  // Every consumer that gets a message dead-letters it on its own subject:
  // audit (weft.>) the three, notifications (weft.auth.>) and webhooks
  // (weft.>, no fault rule for it) the two undecodable.
  std::vector<nats_msg> dead, dead_notifications, dead_webhooks;
  wait_until(
    [&] {
      while (auto m = nc.next(std::chrono::milliseconds(100))) {
        if (m->subject == "weft.dlq.notifications")
          dead_notifications.push_back(std::move(*m));
        else if (m->subject == "weft.dlq.webhooks")
          dead_webhooks.push_back(std::move(*m));
        else
          dead.push_back(std::move(*m));
      }
      return dead.size() >= 3 && dead_notifications.size() >= 2 && dead_webhooks.size() >= 2;
    },
    20s);
  REQUIRE(dead.size() >= 3);
  REQUIRE(dead_notifications.size() == 2);
  REQUIRE(dead_webhooks.size() == 2);
  for (auto* list : {&dead_notifications, &dead_webhooks})
    for (auto& m : *list) {
      INFO("dead letter on " << m.subject << ": " << m.payload);
      CHECK(m.headers["Weft-Dlq-Consumer"] == m.subject.substr(std::string{"weft.dlq."}.size()));
      CHECK(m.headers["Weft-Dlq-Deliveries"] == "1");
      CHECK((m.payload == not_json || m.payload == no_attrs));
    }
  std::map<std::string, nats_msg> by_payload;
  for (auto& m : dead) {
    INFO("dead letter on " << m.subject << ": " << m.payload);
    CHECK(m.subject == "weft.dlq.audit");
    CHECK_FALSE(m.headers["Weft-Dlq-Reason"].empty());
    CHECK(m.headers["Weft-Dlq-Consumer"] == "audit");
    by_payload[m.payload] = m;
  }
  REQUIRE(by_payload.count(not_json) == 1);
  REQUIRE(by_payload.count(no_attrs) == 1);
  REQUIRE(by_payload.count(poison) == 1);
  CHECK(by_payload[not_json].headers["Weft-Dlq-Subject"] == "weft.auth.user.created");
  CHECK(by_payload[no_attrs].headers["Weft-Dlq-Subject"] == "weft.auth.user.created");
  CHECK(by_payload[poison].headers["Weft-Dlq-Subject"] == "weft.test.poison");
  // Undecodable: at once; the poison after max_deliver attempts.
  CHECK(by_payload[not_json].headers["Weft-Dlq-Deliveries"] == "1");
  CHECK(by_payload[no_attrs].headers["Weft-Dlq-Deliveries"] == "1");
  CHECK(by_payload[poison].headers["Weft-Dlq-Deliveries"] == "3");
  INFO("reasons: " << by_payload[not_json].headers["Weft-Dlq-Reason"] << " | "
                   << by_payload[no_attrs].headers["Weft-Dlq-Reason"] << " | "
                   << by_payload[poison].headers["Weft-Dlq-Reason"]);

  // What follows is applied: the event behind the poison in its lane, and the API's.
  bool followers = wait_until(
    [&] {
      return s.sql_int("SELECT count(*) FROM weft_audit_trail WHERE event_id = '" + after_id + "'") == 1
             && trail_key_ids(s)[key_id] == 1;
    },
    20s);
  CHECK(followers);
  CHECK(s.sql_int("SELECT count(*) FROM weft_audit_trail WHERE type = 'test.poison'") == 0);
  // The dead letters are on the stream, each stored once (none dead-lettered again).
  auto info = nc.js_api("STREAM.INFO.WEFT", {{"subjects_filter", "weft.dlq.>"}});
  INFO("stream info: " << info.dump());
  REQUIRE(info.is_object());
  CHECK(info["state"]["subjects"].value("weft.dlq.audit", 0) == 3);
  CHECK(metric(node, "weft_events_dead_lettered_total", {{"consumer", "audit"}}) >= 3);
}

TEST_CASE("one aggregate's events are applied in stream order through a failing handler, others not held up",
          "[durable][order]") {
  durable_servers s;
  // The first roles change fails twice with a long backoff; the second one
  // (same user: same lane) waits behind it; API keys (other lanes) do not.
  weft_node node(durable_options(
    s, {{"bus", {{"backoff_ms", {400}}, {"max_deliver", 10}}},
        {"faults", {{"rules", {{{"handler", "audit"}, {"mode", "fail"}, {"first", 2}, {"type", "auth.user.roles.changed"}}}}}}}));
  auto root = bearer(login_root(node).access);
  auto user = register_user(node, unique_email("order"));
  auto uid = user["id"].get<std::string>();
  REQUIRE(node.put("/v1/users/" + uid + "/roles", {{"roles", {"user", "admin"}}}, root).status == 200);
  REQUIRE(node.put("/v1/users/" + uid + "/roles", {{"roles", {"user"}}}, root).status == 200);
  auto k = node.post("/v1/auth/api-keys", {{"name", "other-lane"}, {"role", "user"}}, root);
  REQUIRE(k.status == 201);
  auto key_id = k.json()["id"].get<std::string>();

  bool both = wait_until(
    [&] { return s.sql_int("SELECT count(*) FROM weft_audit_trail WHERE type = 'auth.user.roles.changed'") == 2; },
    20s);
  REQUIRE(both);
  auto changes = s.sql_lines("SELECT envelope->'data'->>'roles' FROM weft_audit_trail"
                             " WHERE type = 'auth.user.roles.changed' ORDER BY position");
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].find("admin") != std::string::npos); // the first change first
  CHECK(changes[1].find("admin") == std::string::npos);
  // The other lane's later event went ahead of the retried one.
  auto key_pos = s.sql_int("SELECT position FROM weft_audit_trail WHERE type = 'auth.apikey.created'"
                           " AND envelope->'data'->>'key_id' = '" + key_id + "'");
  auto first_change_pos = s.sql_int("SELECT min(position) FROM weft_audit_trail WHERE type = 'auth.user.roles.changed'");
  CHECK(key_pos > 0);
  CHECK(key_pos < first_change_pos);
  CHECK(metric(node, "weft_events_redelivered_total", {{"type", "auth.user.roles.changed"}}) >= 2);
}
