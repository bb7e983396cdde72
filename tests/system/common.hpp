#pragma once

// What every system test file shares: how to start a node, a root account,
// a JWT secret the tests know (to forge and expire tokens), and short
// helpers for the auth API. Tests talk to the node only over HTTP.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/jwt.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/weft_node.hpp"

namespace sys {

using json = nlohmann::json;
using namespace weft::test;
using namespace std::chrono_literals;

inline const std::string root_email = "root@weft.test";
inline const std::string root_password = "root-password-123";
inline const std::string jwt_secret = "system-test-secret-0123456789-abcdefghij"; // >= 32 bytes
inline const std::string user_password = "user-password-123";

/// True when WEFT_TEST_DURABLE is set (and not "0"): node_options() then
/// gives every node PostgreSQL and JetStream instead of the embedded mode.
inline bool durable_mode() {
  const char* e = std::getenv("WEFT_TEST_DURABLE");
  return e != nullptr && *e != '\0' && std::string(e) != "0";
}

/// In durable mode, the servers of this test process (started on first use,
/// stopped at exit): one nats-server and one PostgreSQL cluster with a
/// database `weft_flow`. CTest runs each test case in its own process.
struct flow_servers {
  nats_server nats;
  postgres_cluster pg;
  flow_servers() { pg.create_database("weft_flow"); }
  static flow_servers& get() {
    static flow_servers s;
    return s;
  }
};

/// Options for a node with the test defaults (known JWT secret, root from the
/// environment, login limits high enough not to get in the way) and `config`
/// merged over them. With WEFT_TEST_DURABLE=1, also `database.url` and
/// `nats.url` of this process's servers (unless `config` names its own).
inline weft_node_options node_options(const json& config = json::object()) {
  weft_node_options o;
  o.binary = WEFT_BINARY;
  o.config = {
    {"node", {{"name", "sys-test"}, {"shutdown_timeout_ms", 5000}}},
    {"auth", {{"jwt_secret", jwt_secret}, {"login_per_account", 1000}, {"login_per_ip", 10000}}},
  };
  if (durable_mode()) {
    auto& s = flow_servers::get();
    o.config["database"] = {{"url", s.pg.url("weft_flow")}};
    o.config["nats"] = {{"url", s.nats.url()}};
    o.ready_deadline = std::chrono::seconds(30);
  }
  o.config.merge_patch(config);
  o.env = {{"WEFT_ROOT_EMAIL", root_email}, {"WEFT_ROOT_PASSWORD", root_password}};
  return o;
}

/// The sum of metric `name` over the series whose labels include `match` (0 if none).
inline double metric(const weft_node& node, const std::string& name,
                     const std::map<std::string, std::string>& match = {}) {
  return metric_sum(node.metrics_text(), name, match).value_or(0.0);
}

/// `tp` as RFC 3339 in UTC, whole seconds.
inline std::string rfc3339(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// A fresh e-mail address, unique within this process.
inline std::string unique_email(const std::string& tag = "user") {
  static std::atomic<int> n{0};
  return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "@weft.test";
}

struct tokens {
  std::string access;
  std::string refresh;
};

/// POST /v1/auth/register; REQUIREs 201; the body.
inline json register_user(const weft_node& node, const std::string& email,
                          const std::string& password = user_password) {
  auto r = node.post("/v1/auth/register", {{"email", email}, {"password", password}});
  INFO("register " << email << ": " << r.status << " " << r.body << " " << r.error);
  REQUIRE(r.status == 201);
  return r.json();
}

/// POST /v1/auth/login; REQUIREs 200; the token pair.
inline tokens login(const weft_node& node, const std::string& email, const std::string& password = user_password,
                    http_headers headers = {}) {
  auto r = node.post("/v1/auth/login", {{"email", email}, {"password", password}}, std::move(headers));
  INFO("login " << email << ": " << r.status << " " << r.body << " " << r.error);
  REQUIRE(r.status == 200);
  auto j = r.json();
  return {j.at("access_token").get<std::string>(), j.at("refresh_token").get<std::string>()};
}

inline tokens login_root(const weft_node& node) {
  return login(node, root_email, root_password);
}

/// Checks an RFC 9457 answer: the status, `application/problem+json`, and
/// the members type, title, status (= the HTTP status) and detail.
inline void check_problem(const http_response& r, int status) {
  INFO("answer: " << r.status << " " << r.body << " " << r.error);
  CHECK(r.status == status);
  CHECK(r.header("Content-Type").rfind("application/problem+json", 0) == 0);
  auto j = r.json_or_null();
  REQUIRE(j.is_object());
  CHECK(j.contains("type"));
  CHECK(j.contains("title"));
  CHECK(j.contains("detail"));
  CHECK(j.value("status", 0) == status);
}

/// True if `errors[]` of a problem body has an entry with that JSON pointer.
inline bool has_error_pointer(const http_response& r, const std::string& pointer) {
  auto j = r.json_or_null();
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array())
    return false;
  for (auto& e : j["errors"])
    if (e.is_object() && e.value("pointer", "") == pointer)
      return true;
  return false;
}

/// True if the JSON array contains the string.
inline bool contains(const json& arr, const std::string& s) {
  if (!arr.is_array())
    return false;
  for (auto& v : arr)
    if (v.is_string() && v.get<std::string>() == s)
      return true;
  return false;
}

/// An HS256 token signed with the test secret; `claims` merged over valid
/// defaults for a user (iss, aud, sub, email, roles, iat, nbf, exp, jti).
inline std::string make_token(const json& claims, const std::string& secret = jwt_secret,
                              const json& header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}}) {
  auto now = unix_now();
  json c = {{"iss", "weft"},      {"aud", "weft-api"}, {"sub", "00000000-0000-7000-8000-000000000000"},
            {"email", "x@weft.test"}, {"roles", {"user"}}, {"iat", now},
            {"nbf", now},         {"exp", now + 600},  {"jti", "test-" + std::to_string(now)}};
  c.merge_patch(claims);
  return sign_hs256(header, c, secret);
}

/// Collects every page of a `{items, next}` listing; REQUIREs 200 each time.
inline json get_all_pages(const weft_node& node, const std::string& path, const http_headers& auth, int limit,
                          int* pages = nullptr) {
  json all = json::array();
  std::string cursor;
  int n = 0;
  for (;;) {
    std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") + "limit=" + std::to_string(limit);
    if (!cursor.empty())
      target += "&cursor=" + url_encode(cursor);
    auto r = node.get(target, auth);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    auto j = r.json();
    REQUIRE(j["items"].is_array());
    CHECK(j["items"].size() <= static_cast<size_t>(limit));
    for (auto& it : j["items"])
      all.push_back(it);
    ++n;
    REQUIRE(n < 1000);
    if (!j.contains("next") || j["next"].is_null())
      break;
    cursor = j["next"].get<std::string>();
  }
  if (pages)
    *pages = n;
  return all;
}

} // namespace sys
