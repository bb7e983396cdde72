// The auth flow end to end over HTTP: root bootstrap, register, login, me,
// validate, refresh rotation and reuse detection, logout, the unversioned
// alias, API keys, user listing with paging and role changes.
#include "tests/system/common.hpp"

using namespace sys;

TEST_CASE("root bootstrapped from the environment can log in", "[system][flow][auth]") {
  weft_node node(node_options());
  auto t = login_root(node);

  auto me = node.get("/v1/auth/me", bearer(t.access));
  INFO(me.body);
  REQUIRE(me.status == 200);
  auto j = me.json();
  CHECK(j["email"] == root_email);
  CHECK(contains(j["roles"], "root"));
  CHECK(j["id"].is_string());
  CHECK_FALSE(j["id"].get<std::string>().empty());
}

TEST_CASE("register, login, me, validate and the unversioned alias", "[system][flow][auth]") {
  weft_node node(node_options());
  auto email = unique_email();

  auto reg = node.post("/v1/auth/register", {{"email", email}, {"password", user_password}});
  INFO(reg.body);
  REQUIRE(reg.status == 201);
  CHECK(reg.header("Content-Type").rfind("application/json", 0) == 0);
  auto user = reg.json();
  CHECK(user["email"] == email);
  CHECK(user["roles"] == json::array({"user"}));
  REQUIRE(user["id"].is_string());
  auto id = user["id"].get<std::string>();
  CHECK_FALSE(user.contains("password"));
  CHECK_FALSE(user.contains("password_hash"));

  auto lr = node.post("/v1/auth/login", {{"email", email}, {"password", user_password}});
  INFO(lr.body);
  REQUIRE(lr.status == 200);
  auto pair = lr.json();
  CHECK(pair["token_type"] == "Bearer");
  CHECK(pair["expires_in"].is_number_integer());
  CHECK(pair["expires_in"].get<long long>() > 0);
  REQUIRE(pair["access_token"].is_string());
  REQUIRE(pair["refresh_token"].is_string());
  auto access = pair["access_token"].get<std::string>();
  CHECK(pair["refresh_token"].get<std::string>().size() >= 16);

  { // the access token is an HS256 JWT with the documented claims
    auto h = jwt_header(access);
    CHECK(h["alg"] == "HS256");
    CHECK(h["kid"] == "k1");
    auto c = jwt_claims(access);
    CHECK(c["iss"] == "weft");
    CHECK((c["aud"] == "weft-api" || contains(c["aud"], "weft-api")));
    CHECK(c["sub"] == id);
    CHECK(c["email"] == email);
    CHECK(c["roles"] == json::array({"user"}));
    CHECK(c.contains("jti"));
    CHECK(c.contains("nbf"));
    auto now = unix_now();
    CHECK(c["iat"].get<long long>() <= now + 5);
    CHECK(c["exp"].get<long long>() > now);
    CHECK(c["exp"].get<long long>() - c["iat"].get<long long>() == pair["expires_in"].get<long long>());
  }

  { // me, validate and /auth/me answer for the token
    auto me = node.get("/v1/auth/me", bearer(access));
    INFO(me.body);
    REQUIRE(me.status == 200);
    CHECK(me.json()["id"] == id);
    CHECK(me.json()["email"] == email);
    CHECK(me.json()["roles"] == json::array({"user"}));

    auto v = node.get("/v1/auth/validate", bearer(access));
    INFO(v.body);
    REQUIRE(v.status == 200);
    auto vj = v.json();
    CHECK(vj["valid"] == true);
    CHECK(vj["id"] == id);
    CHECK(vj["email"] == email);
    CHECK(vj["roles"] == json::array({"user"}));
    CHECK(vj["via"].is_string());

    auto alias = node.get("/auth/me", bearer(access));
    INFO(alias.body);
    REQUIRE(alias.status == 200);
    CHECK(alias.json() == me.json());
    CHECK(node.get("/auth/me").status == 401);
  }
}

TEST_CASE("refresh rotates the pair, reusing a rotated token revokes the family", "[system][flow][auth]") {
  weft_node node(node_options());
  auto email = unique_email();
  register_user(node, email);
  auto first = login(node, email);

  auto r1 = node.post("/v1/auth/refresh", {{"refresh_token", first.refresh}});
  INFO(r1.body);
  REQUIRE(r1.status == 200);
  auto second = r1.json();
  CHECK(second["token_type"] == "Bearer");
  REQUIRE(second["refresh_token"].is_string());
  auto refresh2 = second["refresh_token"].get<std::string>();
  CHECK(refresh2 != first.refresh);
  auto me = node.get("/v1/auth/me", bearer(second["access_token"].get<std::string>()));
  CHECK(me.status == 200);
  CHECK(me.json_or_null().value("email", "") == email);

  // The old token again: refused, and the whole family with it.
  auto reuse = node.post("/v1/auth/refresh", {{"refresh_token", first.refresh}});
  check_problem(reuse, 401);
  auto after = node.post("/v1/auth/refresh", {{"refresh_token", refresh2}});
  check_problem(after, 401);

  // A new login starts a new family that works.
  auto fresh = login(node, email);
  CHECK(node.post("/v1/auth/refresh", {{"refresh_token", fresh.refresh}}).status == 200);
  // A token never issued is refused too.
  check_problem(node.post("/v1/auth/refresh", {{"refresh_token", "not-a-token"}}), 401);
}

TEST_CASE("logout revokes the refresh token", "[system][flow][auth]") {
  weft_node node(node_options());
  auto email = unique_email();
  register_user(node, email);
  auto t = login(node, email);

  auto out = node.post("/v1/auth/logout", {{"refresh_token", t.refresh}});
  INFO(out.body);
  CHECK(out.status == 204);
  CHECK(out.body.empty());
  check_problem(node.post("/v1/auth/refresh", {{"refresh_token", t.refresh}}), 401);
}

TEST_CASE("API keys: create, authenticate with X-API-Key, list, revoke", "[system][flow][auth][apikeys]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);

  auto created = node.post("/v1/auth/api-keys", {{"name", "ci-admin"}, {"role", "admin"}}, root);
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto k = created.json();
  CHECK(k["name"] == "ci-admin");
  CHECK(k["role"] == "admin");
  CHECK(k.contains("created_at"));
  REQUIRE(k["id"].is_string());
  REQUIRE(k["key"].is_string());
  auto key_id = k["id"].get<std::string>();
  http_headers with_key{{"X-API-Key", k["key"].get<std::string>()}};

  // The key authenticates, and carries its role.
  auto v = node.get("/v1/auth/validate", with_key);
  INFO(v.body);
  CHECK(v.status == 200);
  CHECK(v.json_or_null().value("valid", false));
  CHECK(node.get("/v1/users", with_key).status == 200);
  CHECK(node.get("/v1/auth/me", with_key).status == 200);

  // A user-role key authenticates but may not manage.
  auto user_key = node.post("/v1/auth/api-keys", {{"name", "ci-user"}, {"role", "user"}}, root);
  REQUIRE(user_key.status == 201);
  http_headers with_user_key{{"X-API-Key", user_key.json()["key"].get<std::string>()}};
  CHECK(node.get("/v1/auth/validate", with_user_key).status == 200);
  check_problem(node.get("/v1/users", with_user_key), 403);

  // Listed, without the secret.
  auto items = get_all_pages(node, "/v1/auth/api-keys", root, 50);
  bool listed = false;
  for (auto& it : items) {
    CHECK_FALSE(it.contains("key"));
    if (it.value("id", "") == key_id) {
      listed = true;
      CHECK(it["name"] == "ci-admin");
      CHECK(it["role"] == "admin");
    }
  }
  CHECK(listed);

  // Revoked: the key no longer works; a second delete is 404.
  auto del = node.del("/v1/auth/api-keys/" + key_id, root);
  CHECK(del.status == 204);
  check_problem(node.get("/v1/auth/validate", with_key), 401);
  CHECK_FALSE(node.get("/v1/auth/validate", with_key).header("WWW-Authenticate").empty());
  check_problem(node.del("/v1/auth/api-keys/" + key_id, root), 404);
  // An unknown key never worked.
  check_problem(node.get("/v1/auth/me", {{"X-API-Key", "wk_not-a-real-key"}}), 401);
}

TEST_CASE("API keys are managed by admin and root only", "[system][flow][auth][apikeys]") {
  weft_node node(node_options());
  auto email = unique_email();
  register_user(node, email);
  auto user = bearer(login(node, email).access);
  check_problem(node.post("/v1/auth/api-keys", {{"name", "x"}, {"role", "user"}}, user), 403);
  check_problem(node.get("/v1/auth/api-keys", user), 403);
  check_problem(node.post("/v1/auth/api-keys", {{"name", "x"}, {"role", "user"}}), 401);
  auto root = bearer(login_root(node).access);
  auto bad_role = node.post("/v1/auth/api-keys", {{"name", "x"}, {"role", "emperor"}}, root);
  check_problem(bad_role, 400);
  CHECK(has_error_pointer(bad_role, "/role"));
}

TEST_CASE("users: paging with limit and cursor, role changes by root", "[system][flow][auth][users]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);
  auto a = unique_email("alice");
  auto b = unique_email("bob");
  auto alice = register_user(node, a);
  auto bob = register_user(node, b);
  auto alice_id = alice["id"].get<std::string>();

  // A plain user may not list users.
  auto alice_tok = login(node, a);
  check_problem(node.get("/v1/users", bearer(alice_tok.access)), 403);

  int pages = 0;
  auto all = get_all_pages(node, "/v1/users", root, 1, &pages);
  std::set<std::string> ids;
  std::set<std::string> emails;
  for (auto& u : all) {
    CHECK(u.contains("created_at"));
    CHECK(u["roles"].is_array());
    ids.insert(u.value("id", ""));
    emails.insert(u.value("email", ""));
  }
  CHECK(all.size() >= 3); // root, alice, bob
  CHECK(ids.size() == all.size()); // no user twice across pages
  CHECK(pages >= static_cast<int>(all.size())); // one per page (the last may be empty)
  CHECK(emails.count(root_email) == 1);
  CHECK(emails.count(a) == 1);
  CHECK(emails.count(b) == 1);

  // Root promotes alice; after a new login she may list users.
  auto put = node.put("/v1/users/" + alice_id + "/roles", {{"roles", {"user", "admin"}}}, root);
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(put.json()["id"] == alice_id);
  CHECK(put.json()["email"] == a);
  CHECK(contains(put.json()["roles"], "admin"));
  auto alice_admin = bearer(login(node, a).access);
  auto listed = node.get("/v1/users?limit=10", alice_admin);
  INFO(listed.body);
  CHECK(listed.status == 200);
  auto me = node.get("/v1/auth/me", alice_admin);
  CHECK(contains(me.json_or_null()["roles"], "admin"));

  // An admin is not root: may not change roles.
  auto bob_id = bob["id"].get<std::string>();
  check_problem(node.put("/v1/users/" + bob_id + "/roles", {{"roles", {"user", "admin"}}}, alice_admin), 403);
  // Unknown user.
  check_problem(node.put("/v1/users/00000000-0000-7000-8000-000000000000/roles", {{"roles", {"user"}}}, root), 404);
}
