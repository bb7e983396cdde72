// Delivery through the bus to the audit service, with faults injected: the
// audit handler fails (or does not ack) its first deliveries, the bus
// redelivers, and every event still lands in the audit log exactly once.
// Events are matched to the requests that caused them by correlationid =
// the request's X-Request-Id.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

struct expected_event {
  std::string request_id;
  std::string type;
};

/// Performs operations that emit each auth event type, each request with its
/// own X-Request-Id; what the audit log must then contain.
std::vector<expected_event> emit_events(const weft_node& node, const std::string& tag, int users) {
  std::vector<expected_event> out;
  int n = 0;
  auto rid = [&](const std::string& type) {
    auto id = "sys-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
    out.push_back({id, type});
    return http_headers{{"X-Request-Id", id}};
  };
  auto root = login(node, root_email, root_password, rid("auth.user.login"));
  auto root_auth = bearer(root.access);
  std::string last_id;
  for (int i = 0; i < users; ++i) {
    auto email = unique_email(tag);
    auto r = node.post("/v1/auth/register", {{"email", email}, {"password", user_password}}, rid("auth.user.created"));
    REQUIRE(r.status == 201);
    CHECK(r.header("X-Request-Id") == out.back().request_id);
    last_id = r.json()["id"].get<std::string>();
    auto t = login(node, email, user_password, rid("auth.user.login"));
    if (i == 0)
      REQUIRE(node.post("/v1/auth/logout", {{"refresh_token", t.refresh}}, rid("auth.user.logout")).status == 204);
  }
  auto h = rid("auth.apikey.created");
  h.add("Authorization", "Bearer " + root.access);
  auto key = node.post("/v1/auth/api-keys", {{"name", "k-" + tag}, {"role", "user"}}, h);
  REQUIRE(key.status == 201);
  h = rid("auth.apikey.revoked");
  h.add("Authorization", "Bearer " + root.access);
  REQUIRE(node.del("/v1/auth/api-keys/" + key.json()["id"].get<std::string>(), h).status == 204);
  h = rid("auth.user.roles.changed");
  h.add("Authorization", "Bearer " + root.access);
  REQUIRE(node.put("/v1/users/" + last_id + "/roles", {{"roles", {"user", "admin"}}}, h).status == 200);
  return out;
}

/// Waits until the audit consumer has settled (acked or dead-lettered)
/// every published event, then until every expected request id shows up in
/// the audit log; the whole log.
json settled_audit(const weft_node& node, const http_headers& root, const std::vector<expected_event>& expected) {
  bool settled = wait_until(
    [&] {
      auto text = node.metrics_text();
      auto published = metric_sum(text, "weft_events_published_total").value_or(0);
      auto done = metric_sum(text, "weft_events_acked_total", {{"consumer", "audit"}}).value_or(0)
                  + metric_sum(text, "weft_events_dead_lettered_total", {{"consumer", "audit"}}).value_or(0);
      return published > 0 && done >= published;
    },
    20s);
  CHECK(settled);
  json log;
  bool all_there = wait_until(
    [&] {
      log = get_all_pages(node, "/v1/audit", root, 500);
      std::set<std::string> seen;
      for (auto& e : log)
        if (e.contains("correlationid") && e["correlationid"].is_string())
          seen.insert(e["correlationid"].get<std::string>());
      for (auto& x : expected)
        if (!seen.count(x.request_id))
          return false;
      return true;
    },
    20s);
  CHECK(all_there);
  return log;
}

void check_exactly_once(const json& log, const std::vector<expected_event>& expected) {
  std::map<std::string, int> by_id;
  std::map<std::string, std::vector<std::string>> types_by_request;
  for (auto& e : log) {
    INFO("event: " << e.dump());
    CHECK(e.value("specversion", "") == "1.0");
    CHECK(e.contains("source"));
    CHECK(e.contains("time"));
    CHECK(e.contains("data"));
    ++by_id[e.value("id", "")];
    if (e.contains("correlationid") && e["correlationid"].is_string())
      types_by_request[e["correlationid"].get<std::string>()].push_back(e.value("type", ""));
  }
  for (auto& [id, count] : by_id) {
    INFO("event id " << id);
    CHECK_FALSE(id.empty());
    CHECK(count == 1);
  }
  std::set<std::string> types;
  for (auto& x : expected) {
    INFO("request " << x.request_id << " expected one " << x.type);
    auto& got = types_by_request[x.request_id];
    CHECK(std::count(got.begin(), got.end(), x.type) == 1);
    types.insert(x.type);
  }
  for (auto* t : {"auth.user.created", "auth.user.login", "auth.user.logout", "auth.apikey.created",
                  "auth.apikey.revoked", "auth.user.roles.changed"})
    CHECK(types.count(t) == 1);
}

} // namespace

TEST_CASE("failing audit handler: redelivered with backoff, each event recorded once", "[system][delivery]") {
  weft_node node(node_options({
    {"faults", {{"rules", {{{"handler", "audit"}, {"mode", "fail"}, {"first", 3}}}}}},
    {"bus", {{"backoff_ms", {20, 40}}, {"max_deliver", 10}}},
  }));
  auto expected = emit_events(node, "fail", 3);
  auto root = bearer(login_root(node).access);
  auto log = settled_audit(node, root, expected);
  check_exactly_once(log, expected);
  CHECK(metric(node, "weft_events_redelivered_total") > 0);
  CHECK(metric(node, "weft_events_dead_lettered_total") == 0);
  // Failed attempts are deliveries too.
  CHECK(metric(node, "weft_events_delivered_total", {{"consumer", "audit"}})
        > metric(node, "weft_events_acked_total", {{"consumer", "audit"}}));
}

TEST_CASE("audit handler that does not ack: redelivered after ack wait, recorded once", "[system][delivery]") {
  weft_node node(node_options({
    {"faults", {{"rules", {{{"handler", "audit"}, {"mode", "no_ack"}, {"first", 3}}}}}},
    {"bus", {{"ack_wait_ms", 200}, {"backoff_ms", {20, 40}}, {"max_deliver", 10}}},
  }));
  auto expected = emit_events(node, "noack", 2);
  auto root = bearer(login_root(node).access);
  auto log = settled_audit(node, root, expected);
  check_exactly_once(log, expected);
  CHECK(metric(node, "weft_events_redelivered_total") > 0);
  CHECK(metric(node, "weft_events_dead_lettered_total") == 0);
}

TEST_CASE("a handler failing every time ends in the dead letters", "[system][delivery]") {
  weft_node node(node_options({
    {"faults", {{"rules", {{{"handler", "audit"}, {"mode", "fail"}, {"fraction", 1.0}, {"type", "auth.user.created"}}}}}},
    {"bus", {{"backoff_ms", {10}}, {"max_deliver", 3}}},
  }));
  auto root = bearer(login_root(node).access);
  auto email = unique_email("dead");
  auto r = node.post("/v1/auth/register", {{"email", email}, {"password", user_password}}, {{"X-Request-Id", "dead-1"}});
  REQUIRE(r.status == 201);
  CHECK(wait_until([&] { return metric(node, "weft_events_dead_lettered_total", {{"consumer", "audit"}}) >= 1; }, 20s));
  CHECK(metric(node, "weft_events_dead_lettered_total", {{"type", "auth.user.created"}}) >= 1);
  // Other types still flow: the login shows up in the audit log.
  login(node, email, user_password, {{"X-Request-Id", "dead-2"}});
  bool login_seen = wait_until(
    [&] {
      auto page = node.get("/v1/audit?type=auth.user.login&limit=500", root);
      for (auto& e : page.json_or_null().value("items", json::array()))
        if (e.value("correlationid", "") == "dead-2")
          return true;
      return false;
    },
    20s);
  CHECK(login_seen);
  // And the dead-lettered event is not in the audit log.
  auto created = node.get("/v1/audit?type=auth.user.created&limit=500", root).json_or_null();
  for (auto& e : created.value("items", json::array()))
    CHECK(e.value("correlationid", "") != "dead-1");
}
