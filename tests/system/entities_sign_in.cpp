// A schema's sign-in services on the binary (issue 10), [flow]: embedded and
// again on PostgreSQL + JetStream. auth.password: register, login, refresh
// with rotation and reuse detection, logout, me, login limits, under
// /v1/<plural>/auth/<name>; registration never sets roles, and a schema
// account's roles never open the node's management routes. auth.cookies:
// the same with HttpOnly Secure SameSite cookies and CSRF on unsafe methods.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

const char* members_schema = R"(erDiagram
Member {
    String email UK
    String handle UK
    String passwordHash
    Array[String] roles
    String plan
    %% @default("free")
    %% @service auth.password.weft { name: "api", loginField: "email", passwordField: "passwordHash", rolesField: "roles" }
    %% @service auth.password.weft { name: "by-handle", loginField: "handle", passwordField: "passwordHash", rolesField: "roles" }
    %% @service auth.cookies.memory { name: "web", loginField: "email", passwordField: "passwordHash", rolesField: "roles", sameSite: "Strict" }
    %% @service crud.rest.weft { plural: "members", hidden: ["passwordHash"], readRoles: ["support"] }
}
Operator {
    String login UK
    String secret
    %% @service auth.password.weft { loginField: "login", passwordField: "secret" }
}
)";

const std::string member_password = "member-password-1";

http_response post_json(const weft_node& node, const std::string& target, const json& body,
                        http_headers h = {}) {
  return node.send("POST", target, body.dump(), "application/json", std::move(h));
}

/// Registers a member at `base` (`/v1/members/auth/api`); REQUIREs 201.
json register_member(const weft_node& node, const std::string& base, const std::string& email,
                     const std::string& handle) {
  auto r = post_json(node, base + "/register",
                     {{"email", email}, {"handle", handle}, {"password", member_password}});
  INFO("register " << email << ": " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

/// Logs in at `base` with `login_field`; REQUIREs 200; the grant.
json login_member(const weft_node& node, const std::string& base, const std::string& login_field,
                  const std::string& login, const std::string& password = member_password) {
  auto r = post_json(node, base + "/login", {{login_field, login}, {"password", password}});
  INFO("login " << login << ": " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("cache-control") == "no-store");
  return r.json();
}

http_headers bearer_of(const json& grant) {
  return bearer(grant["access_token"].get<std::string>());
}

/// The value of cookie `name` in the Set-Cookie headers of `r`, and its
/// attributes ("" if not set).
std::pair<std::string, std::string> set_cookie(const http_response& r, const std::string& name) {
  for (const auto& line : r.headers.all("Set-Cookie"))
    if (line.starts_with(name + "=")) {
      auto semi = line.find(';');
      return {line.substr(name.size() + 1, semi - name.size() - 1),
              semi == std::string::npos ? "" : line.substr(semi)};
    }
  return {"", ""};
}

} // namespace

TEST_CASE("entities: auth.password registers, signs in, rotates and revokes sessions of a "
          "schema entity, and its accounts never gain the node's roles",
          "[system][flow][entities][sign-in]") {
  temp_dir dir;
  write_text(dir / "app.mmd", members_schema);
  weft_node node(node_options({{"schema", {{"file", (dir / "app.mmd").string()}}}}));
  auto root = bearer(login_root(node).access);
  const std::string api = "/v1/members/auth/api";
  auto email = unique_email("ann");
  auto handle = "handle-" + email;

  // Registration: the login as stored (an email lower-cased), the binding's
  // roles, no password in any form; roles are not the registrant's choice.
  std::string shouted = email;
  for (auto& ch : shouted)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto ann = register_member(node, api, "  " + shouted, handle);
  CHECK(ann["email"] == email);
  CHECK(ann["roles"] == json::array({"user"}));
  CHECK(ann["plan"] == "free");
  CHECK_FALSE(ann.contains("passwordHash"));
  CHECK_FALSE(ann.contains("password"));
  auto id = ann["id"].get<std::string>();
  auto escalate = post_json(node, api + "/register",
                            {{"email", unique_email("eve")}, {"handle", unique_email("eve")},
                             {"password", member_password}, {"roles", {"admin"}}});
  check_problem(escalate, 400);
  check_problem(post_json(node, api + "/register",
                          {{"email", email}, {"handle", unique_email("h")}, {"password", member_password}}),
                409);
  check_problem(post_json(node, api + "/register",
                          {{"email", unique_email("short")}, {"handle", unique_email("s")}, {"password", "short"}}),
                400);

  // Login: one answer for a wrong password and an unknown account.
  auto wrong = post_json(node, api + "/login", {{"email", email}, {"password", "not-it-at-all"}});
  auto unknown = post_json(node, api + "/login",
                           {{"email", unique_email("nobody")}, {"password", member_password}});
  check_problem(wrong, 401);
  check_problem(unknown, 401);
  CHECK(wrong.json()["detail"] == unknown.json()["detail"]);
  auto grant = login_member(node, api, "email", shouted);
  CHECK(grant["token_type"] == "Bearer");
  auto me = node.get(api + "/me", bearer_of(grant));
  REQUIRE(me.status == 200);
  CHECK(me.json()["id"] == id);
  CHECK_FALSE(me.json().contains("passwordHash"));

  // Another sign-in service of the entity: its own realm.
  auto by_handle = login_member(node, "/v1/members/auth/by-handle", "handle", handle);
  CHECK(node.get("/v1/members/auth/by-handle/me", bearer_of(by_handle)).status == 200);
  check_problem(node.get(api + "/me", bearer_of(by_handle)), 403);

  // The schema's roles: readRoles support, writeRoles admin. Given by an
  // admin of the node through CRUD, they open the collection as the schema
  // says, and never the node's management, even when they say admin or root.
  check_problem(node.get("/v1/members", bearer_of(grant)), 403);
  auto set_roles = [&](json roles) {
    auto r = node.send("PATCH", "/v1/members/" + id, json{{"roles", roles}}.dump(),
                       "application/json", root);
    REQUIRE(r.status == 200);
    return login_member(node, api, "email", email);
  };
  auto support = set_roles({"support"});
  CHECK(node.get("/v1/members", bearer_of(support)).status == 200);
  check_problem(node.send("PATCH", "/v1/members/" + id, json{{"plan", "pro"}}.dump(),
                          "application/json", bearer_of(support)),
                403);
  auto lofty = set_roles({"admin", "root"});
  check_problem(node.get("/v1/auth/api-keys", bearer_of(lofty)), 403);
  check_problem(node.get("/v1/users", bearer_of(lofty)), 403);
  check_problem(node.get("/v1/auth/me", bearer_of(lofty)), 403); // not a node account
  check_problem(node.send("PUT", "/v1/users/" + id + "/roles", json{{"roles", {"admin"}}}.dump(),
                          "application/json", bearer_of(lofty)),
                403);

  // Refresh rotates; the used token again revokes the family.
  auto refresh = [&](const std::string& token) {
    return post_json(node, api + "/refresh", {{"refresh_token", token}});
  };
  auto r1 = refresh(grant["refresh_token"].get<std::string>());
  REQUIRE(r1.status == 200);
  auto g1 = r1.json();
  CHECK(g1["refresh_token"] != grant["refresh_token"]);
  CHECK(node.get(api + "/me", bearer_of(g1)).status == 200);
  check_problem(refresh(grant["refresh_token"].get<std::string>()), 401);
  check_problem(refresh(g1["refresh_token"].get<std::string>()), 401); // the family is gone
  // A token of another realm is not this one's.
  check_problem(refresh(by_handle["refresh_token"].get<std::string>()), 401);

  // Logout ends the session.
  auto fresh = login_member(node, api, "email", email);
  CHECK(post_json(node, api + "/logout", {{"refresh_token", fresh["refresh_token"]}}).status == 204);
  check_problem(refresh(fresh["refresh_token"].get<std::string>()), 401);

  // An entity with sign-in and no CRUD: accounts, no collection.
  auto op_login = "op-" + email;
  auto op = post_json(node, "/v1/operators/auth/default/register",
                      {{"login", op_login}, {"password", member_password}});
  INFO(op.body);
  REQUIRE(op.status == 201);
  auto op_grant = login_member(node, "/v1/operators/auth/default", "login", " " + op_login + " ");
  CHECK(node.get("/v1/operators/auth/default/me", bearer_of(op_grant)).json()["login"] == op_login);
  CHECK(node.get("/v1/operators", root).status == 404);

  // Events: the registration once, sign-ins, no password anywhere.
  bool created = wait_until(
    [&] {
      auto r = node.get("/v1/audit?limit=500&type=member.created&subject=" + id, root);
      return r.status == 200 && r.json()["items"].size() >= 1;
    },
    std::chrono::seconds(20));
  CHECK(created);
  auto trail = node.get("/v1/audit?limit=500&subject=" + id, root);
  REQUIRE(trail.status == 200);
  CHECK(trail.json()["items"].size() >= 1);
  CHECK(trail.body.find("argon2") == std::string::npos);
  CHECK(node.get("/v1/audit?limit=500&type=member.created&subject=" + id, root)
          .json()["items"].size() == 1);
  bool signed_in = wait_until(
    [&] {
      auto r = node.get("/v1/audit?limit=500&type=member.signed_in&subject=" + id, root);
      return r.status == 200 && r.json()["items"].size() >= 4;
    },
    std::chrono::seconds(20));
  CHECK(signed_in);

  // Described: routes in OpenAPI, events in AsyncAPI, bindings in /v1/services.
  auto openapi = node.get("/v1/openapi.json").json();
  CHECK(openapi["paths"].contains("/v1/members/auth/web/login"));
  CHECK(openapi["paths"].contains("/v1/operators/auth/default/register"));
  auto cookie_scheme = openapi["components"]["securitySchemes"]["session_weft_session"];
  CHECK(cookie_scheme["in"] == "cookie");
  CHECK(cookie_scheme["name"] == "weft_session");
  CHECK(openapi["paths"]["/v1/members"]["get"]["security"].dump().find("session_weft_session")
        != std::string::npos);
  // Registration's body: no roles attribute, the password with its bounds.
  auto reg = openapi["paths"]["/v1/members/auth/api/register"]["post"]["requestBody"].dump();
  CHECK(reg.find("\"roles\"") == std::string::npos);
  CHECK(reg.find("\"maxLength\":1024") != std::string::npos);
  CHECK(node.get("/v1/asyncapi.json").body.find("member.signed_out") != std::string::npos);
  auto services = node.get("/v1/services", root).body;
  CHECK(services.find("auth.cookies") != std::string::npos);
  CHECK(services.find("auth.password") != std::string::npos);
}

TEST_CASE("entities: auth.password limits login attempts per account",
          "[system][entities][sign-in]") {
  temp_dir dir;
  write_text(dir / "app.mmd", members_schema);
  weft_node node(node_options({{"schema", {{"file", (dir / "app.mmd").string()}}},
                               {"auth", {{"login_per_account", 3}}}}));
  const std::string api = "/v1/members/auth/api";
  auto email = unique_email("limited");
  register_member(node, api, email, email);
  for (int i = 0; i < 3; ++i)
    check_problem(post_json(node, api + "/login", {{"email", email}, {"password", "wrong-password"}}),
                  401);
  auto limited = post_json(node, api + "/login", {{"email", email}, {"password", member_password}});
  check_problem(limited, 429);
  CHECK_FALSE(limited.header("retry-after").empty());
  // Per account: another one is not held back.
  auto other = unique_email("other");
  register_member(node, api, other, other);
  login_member(node, api, "email", other);
}

TEST_CASE("entities: auth.cookies keeps the session in HttpOnly Secure SameSite cookies and "
          "asks unsafe requests for the session's CSRF token",
          "[system][flow][entities][sign-in]") {
  temp_dir dir;
  write_text(dir / "app.mmd", members_schema);
  weft_node node(node_options({{"schema", {{"file", (dir / "app.mmd").string()}}}}));
  const std::string web = "/v1/members/auth/web";
  auto email = unique_email("cookie");
  register_member(node, web, email, "handle-" + email);

  auto login = post_json(node, web + "/login", {{"email", email}, {"password", member_password}});
  INFO(login.status << " " << login.body);
  REQUIRE(login.status == 200);
  // No token in the body: the page never sees them.
  auto body = login.json();
  CHECK_FALSE(body.contains("access_token"));
  CHECK_FALSE(body.contains("refresh_token"));
  auto csrf = body["csrf_token"].get<std::string>();
  auto [access, access_attrs] = set_cookie(login, "weft_session");
  auto [refresh, refresh_attrs] = set_cookie(login, "weft_session_refresh");
  auto [csrf_cookie, csrf_attrs] = set_cookie(login, "weft_session_csrf");
  REQUIRE_FALSE(access.empty());
  REQUIRE_FALSE(refresh.empty());
  CHECK(csrf_cookie == csrf);
  for (const auto& attrs : {access_attrs, refresh_attrs})
    CHECK(attrs.find("; HttpOnly; Secure; SameSite=Strict") != std::string::npos);
  CHECK(access_attrs.find("Path=/;") != std::string::npos);
  CHECK(refresh_attrs.find("Path=/v1/members/auth/web;") != std::string::npos);
  CHECK(csrf_attrs.find("HttpOnly") == std::string::npos); // the page reads it
  CHECK(csrf_attrs.find("Secure; SameSite=Strict") != std::string::npos);

  http_headers with_cookie{{"Cookie", "weft_session=" + access}};
  auto me = node.get(web + "/me", with_cookie);
  INFO(me.body);
  REQUIRE(me.status == 200);
  CHECK(me.json()["email"] == email);
  // The cookie's token is no bearer token.
  check_problem(node.get(web + "/me", bearer(access)), 401);

  // An unsafe request with the cookie needs X-CSRF-Token: the session's.
  auto mark = [&](http_headers h) {
    return node.send("PUT", "/v1/notifications/read", json{{"all", true}}.dump(),
                     "application/json", std::move(h));
  };
  check_problem(mark(with_cookie), 403);
  auto forged = with_cookie;
  forged.add("X-CSRF-Token", "not-the-token");
  check_problem(mark(forged), 403);
  auto proper = with_cookie;
  proper.add("X-CSRF-Token", csrf);
  CHECK(mark(proper).status == 200);

  // Refresh: the refresh cookie, under the double-submitted CSRF token.
  http_headers refresh_cookies{
    {"Cookie", "weft_session_refresh=" + refresh + "; weft_session_csrf=" + csrf}};
  check_problem(node.send("POST", web + "/refresh", "", "application/json", refresh_cookies), 403);
  auto refreshing = refresh_cookies;
  refreshing.add("X-CSRF-Token", csrf);
  auto rotated = node.send("POST", web + "/refresh", "", "application/json", refreshing);
  INFO(rotated.body);
  REQUIRE(rotated.status == 200);
  auto next_refresh = set_cookie(rotated, "weft_session_refresh").first;
  auto next_csrf = set_cookie(rotated, "weft_session_csrf").first;
  CHECK(next_refresh != refresh);
  CHECK(rotated.json()["csrf_token"] == next_csrf);
  // The old refresh cookie again: reuse, the session is revoked.
  check_problem(node.send("POST", web + "/refresh", "", "application/json", refreshing), 401);

  // Logout (a new session): 204 and every cookie cleared.
  auto again = post_json(node, web + "/login", {{"email", email}, {"password", member_password}});
  REQUIRE(again.status == 200);
  auto r2 = set_cookie(again, "weft_session_refresh").first;
  auto c2 = set_cookie(again, "weft_session_csrf").first;
  http_headers out{{"Cookie", "weft_session_refresh=" + r2 + "; weft_session_csrf=" + c2},
                   {"X-CSRF-Token", c2}};
  auto logout = node.send("POST", web + "/logout", "", "application/json", out);
  CHECK(logout.status == 204);
  for (const char* name : {"weft_session", "weft_session_refresh", "weft_session_csrf"}) {
    auto [value, attrs] = set_cookie(logout, name);
    CHECK(value.empty());
    CHECK(attrs.find("Max-Age=0") != std::string::npos);
  }
  check_problem(node.send("POST", web + "/refresh", "", "application/json", out), 401);
}
