// The corners of auth nobody had tested (issue 7), on the real binary: one
// refresh token or one email raced, expiry, the per-IP login limit, what an
// admin API key may not do, when a role change takes effect, and (in
// durable-flow mode) revocations that survive a restart.
#include "tests/system/common.hpp"

#include <algorithm>
#include <future>
#include <thread>
#include <vector>

using namespace sys;

namespace {

/// Runs `n` calls of `f` released at the same moment; their answers.
template <class F>
std::vector<http_response> at_once(int n, F f) {
  std::promise<void> go;
  auto start = go.get_future().share();
  std::vector<std::future<http_response>> answers;
  for (int i = 0; i < n; ++i)
    answers.push_back(std::async(std::launch::async, [start, &f] {
      start.wait();
      return f();
    }));
  go.set_value();
  std::vector<http_response> out;
  for (auto& a : answers)
    out.push_back(a.get());
  return out;
}

int count_status(const std::vector<http_response>& rs, int status) {
  return static_cast<int>(std::count_if(rs.begin(), rs.end(), [&](auto& r) { return r.status == status; }));
}

} // namespace

TEST_CASE("refresh: one token refreshed twice at once, exactly one wins, and presenting it again "
          "revokes the family",
          "[system][flow][auth][corners]") {
  weft_node node(node_options());
  auto email = unique_email("race");
  register_user(node, email);
  for (int round = 0; round < 5; ++round) {
    auto t = login(node, email);
    auto rs = at_once(2, [&] { return node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}); });
    INFO("round " << round << ": " << rs[0].status << " " << rs[0].body << " / " << rs[1].status
                  << " " << rs[1].body);
    REQUIRE(count_status(rs, 200) == 1);
    CHECK(count_status(rs, 401) == 1);
    auto winner = (rs[0].status == 200 ? rs[0] : rs[1]).json().at("refresh_token").get<std::string>();
    // The loser (or a thief) presents the rotated token again: the family
    // goes, the winner's new token with it.
    check_problem(node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}), 401);
    check_problem(node.post("/v1/auth/refresh", {{"refresh_token", winner}}), 401);
  }
}

TEST_CASE("refresh: an expired refresh token is refused", "[system][flow][auth][corners]") {
  // Expiry has seconds resolution (expires_at = floor(now) + ttl), so a token
  // is good for between ttl - 1 and ttl seconds: 3 s leaves the fresh login
  // below at least 2 s to refresh on a slow machine (1 s did not, in CI).
  weft_node node(node_options({{"auth", {{"refresh_ttl_s", 3}}}}));
  auto email = unique_email("expiry");
  register_user(node, email);
  auto t = login(node, email);
  // Not synchronisation: the token's lifetime has to pass.
  std::this_thread::sleep_for(3100ms);
  check_problem(node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}), 401);
  // A new login works.
  CHECK(node.post("/v1/auth/refresh", {{"refresh_token", login(node, email).refresh}}).status == 200);
}

TEST_CASE("register: the same email registered eight times at once: one 201, seven 409",
          "[system][flow][auth][corners]") {
  weft_node node(node_options());
  auto email = unique_email("twice");
  auto rs = at_once(8, [&] {
    return node.post("/v1/auth/register", {{"email", email}, {"password", user_password}});
  });
  std::string seen;
  for (auto& r : rs)
    seen += std::to_string(r.status) + " " + r.body + "\n";
  INFO(seen);
  CHECK(count_status(rs, 201) == 1);
  CHECK(count_status(rs, 409) == 7);
  // The account that won logs in.
  login(node, email);
}

TEST_CASE("login: the per-IP limit answers 429 with Retry-After, whatever the account",
          "[system][flow][auth][corners]") {
  weft_node node(node_options({{"auth", {{"login_per_ip", 3}, {"login_per_account", 100}}}}));
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i)
    statuses.push_back(node.post("/v1/auth/login",
                                 {{"email", unique_email("nobody")}, {"password", "wrong-password"}})
                         .status);
  CHECK(statuses == std::vector<int>{401, 401, 401, 429});
  auto limited = node.post("/v1/auth/login", {{"email", root_email}, {"password", root_password}});
  check_problem(limited, 429);
  CHECK_FALSE(limited.header("Retry-After").empty());
}

TEST_CASE("API keys: an admin key creates user keys only and calls no root route",
          "[system][flow][auth][apikeys][corners]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);
  auto created = node.post("/v1/auth/api-keys", {{"name", "ops"}, {"role", "admin"}}, root);
  REQUIRE(created.status == 201);
  http_headers admin_key{{"X-API-Key", created.json().at("key").get<std::string>()}};
  // No peers: only root makes admin keys; nobody makes root keys.
  auto peer = node.post("/v1/auth/api-keys", {{"name", "peer"}, {"role", "admin"}}, admin_key);
  check_problem(peer, 403);
  check_problem(node.post("/v1/auth/api-keys", {{"name", "god"}, {"role", "root"}}, admin_key), 400);
  check_problem(node.post("/v1/auth/api-keys", {{"name", "god"}, {"role", "root"}}, root), 400);
  CHECK(node.post("/v1/auth/api-keys", {{"name", "svc"}, {"role", "user"}}, admin_key).status == 201);
  // Root routes stay closed to it.
  auto someone = register_user(node, unique_email("target")).at("id").get<std::string>();
  check_problem(node.put("/v1/users/" + someone + "/roles", {{"roles", {"admin"}}}, admin_key), 403);
  if (durable_mode()) // (the outbox's admin routes exist on PostgreSQL only)
    check_problem(node.post("/v1/outbox/republish", {{"since", "2026-01-01T00:00:00Z"}}, admin_key), 403);
  check_problem(node.post("/v1/consumers/audit/pause", json::object(), admin_key), 403);
  // What it may do: list users.
  CHECK(node.get("/v1/users", admin_key).status == 200);
}

TEST_CASE("roles: a change takes effect at the next refresh, tokens already issued keep their "
          "roles until they expire",
          "[system][flow][auth][corners]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);
  auto email = unique_email("promoted");
  auto id = register_user(node, email).at("id").get<std::string>();
  auto t = login(node, email);
  check_problem(node.get("/v1/users", bearer(t.access)), 403);
  REQUIRE(node.put("/v1/users/" + id + "/roles", {{"roles", {"user", "admin"}}}, root).status == 200);
  // The access token in hand still says user (a signed claim, not looked up).
  check_problem(node.get("/v1/users", bearer(t.access)), 403);
  auto next = node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}});
  REQUIRE(next.status == 200);
  auto promoted = bearer(next.json().at("access_token").get<std::string>());
  CHECK(node.get("/v1/users", promoted).status == 200);
  // And back: the demotion holds from the next token on.
  REQUIRE(node.put("/v1/users/" + id + "/roles", {{"roles", {"user"}}}, root).status == 200);
  auto again = node.post("/v1/auth/refresh", {{"refresh_token", next.json().at("refresh_token").get<std::string>()}});
  REQUIRE(again.status == 200);
  check_problem(node.get("/v1/users", bearer(again.json().at("access_token").get<std::string>())), 403);
}

TEST_CASE("revocations hold at once and, on PostgreSQL, after a restart: a deleted API key, a "
          "logged-out refresh token",
          "[system][flow][auth][corners]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);
  auto created = node.post("/v1/auth/api-keys", {{"name", "gone"}, {"role", "user"}}, root);
  REQUIRE(created.status == 201);
  http_headers key{{"X-API-Key", created.json().at("key").get<std::string>()}};
  REQUIRE(node.get("/v1/auth/validate", key).status == 200);
  REQUIRE(node.del("/v1/auth/api-keys/" + created.json().at("id").get<std::string>(), root).status == 204);
  check_problem(node.get("/v1/auth/validate", key), 401);
  auto email = unique_email("out");
  register_user(node, email);
  auto t = login(node, email);
  REQUIRE(node.post("/v1/auth/logout", {{"refresh_token", t.refresh}}).status == 204);
  check_problem(node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}), 401);
  if (!durable_mode())
    return; // embedded: a restart forgets everything anyway
  REQUIRE(node.stop() == 0);
  node.start();
  REQUIRE(node.wait_ready(30s));
  check_problem(node.get("/v1/auth/validate", key), 401);
  check_problem(node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}), 401);
  // What was not revoked still works after the restart.
  CHECK(node.post("/v1/auth/refresh", {{"refresh_token", login(node, email).refresh}}).status == 200);
}
