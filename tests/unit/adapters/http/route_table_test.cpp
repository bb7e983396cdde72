#include <catch2/catch.hpp>

#include "adapters/http/route_table.hpp"

using namespace weft;
using namespace weft::http;

namespace {

route_decl decl(http_method m, std::string path, int version = 1) {
  route_decl r;
  r.method = m;
  r.path = std::move(path);
  r.version = version;
  r.operation_id = "op" + r.path + std::to_string(version);
  return r;
}

std::vector<service_decl> sample_services() {
  service_decl users;
  users.name = "users";
  users.routes = {
    decl(http_method::get, "/users/{id}"),
    decl(http_method::del, "/users/{id}"),
    decl(http_method::get, "/users/me"),
    decl(http_method::post, "/users"),
    decl(http_method::get, "/users/{id}/roles/{role}"),
    decl(http_method::get, "/items", 1),
    decl(http_method::get, "/items", 2),
  };
  return {users};
}

} // namespace

TEST_CASE("route table matches templates, params and versions", "[http][routes]") {
  service_registry registry;
  for (auto& svc : sample_services())
    registry.declare(svc);
  route_table t;
  t.add_builtins();
  REQUIRE(t.add_services(registry).empty());

  SECTION("versioned path with a parameter") {
    auto m = t.match(http_method::get, "/v1/users/42");
    REQUIRE(m.status == route_match::found);
    CHECK(m.route->path_template == "/v1/users/{id}");
    CHECK(m.route->service == "users");
    CHECK(m.params.at("id") == "42");
  }
  SECTION("parameters are percent-decoded") {
    auto m = t.match(http_method::get, "/v1/users/a%20b%2Fc");
    REQUIRE(m.status == route_match::found);
    CHECK(m.params.at("id") == "a b/c");
  }
  SECTION("two parameters") {
    auto m = t.match(http_method::get, "/users/7/roles/admin");
    REQUIRE(m.status == route_match::found);
    CHECK(m.params.at("id") == "7");
    CHECK(m.params.at("role") == "admin");
  }
  SECTION("literal segments beat parameters") {
    auto m = t.match(http_method::get, "/v1/users/me");
    REQUIRE(m.status == route_match::found);
    CHECK(m.route->path_template == "/v1/users/me");
    CHECK(m.params.empty());
  }
  SECTION("the unversioned alias serves the latest version") {
    auto m = t.match(http_method::get, "/items");
    REQUIRE(m.status == route_match::found);
    CHECK(m.route->decl->version == 2);
    CHECK(m.route->path_template == "/items");
    auto v1 = t.match(http_method::get, "/v1/items");
    REQUIRE(v1.status == route_match::found);
    CHECK(v1.route->decl->version == 1);
    auto v2 = t.match(http_method::get, "/v2/items");
    REQUIRE(v2.status == route_match::found);
    CHECK(v2.route->decl->version == 2);
    CHECK(t.match(http_method::get, "/v3/items").status == route_match::no_path);
  }
  SECTION("unknown path is 404") {
    CHECK(t.match(http_method::get, "/nope").status == route_match::no_path);
    CHECK(t.match(http_method::get, "/v1/users").status == route_match::no_method);
    CHECK(t.match(http_method::get, "/v1/users/1/2").status == route_match::no_path);
    CHECK(t.match(http_method::get, "/").status == route_match::no_path);
  }
  SECTION("known path, wrong method is 405 with Allow") {
    auto m = t.match(http_method::put, "/v1/users/42");
    REQUIRE(m.status == route_match::no_method);
    CHECK(m.allow == "GET, DELETE");
    auto p = t.match(http_method::get, "/users");
    REQUIRE(p.status == route_match::no_method);
    CHECK(p.allow == "POST");
  }
  SECTION("a method we never serve (TRACE) on a known path is 405") {
    auto m = t.match(std::nullopt, "/health/live");
    REQUIRE(m.status == route_match::no_method);
    CHECK(m.allow == "GET");
  }
  SECTION("built-ins and their aliases") {
    CHECK(t.match(http_method::get, "/health/live").route->kind == builtin::live);
    CHECK(t.match(http_method::get, "/health/ready").route->kind == builtin::ready);
    CHECK(t.match(http_method::get, "/v1/utils/version").route->kind == builtin::version);
    CHECK(t.match(http_method::get, "/utils/version").route->kind == builtin::version);
    CHECK(t.match(http_method::get, "/v1/openapi.json").route->kind == builtin::openapi);
    CHECK(t.match(http_method::get, "/openapi.json").route->kind == builtin::openapi);
  }
  SECTION("a trailing slash is ignored") {
    CHECK(t.match(http_method::get, "/health/live/").status == route_match::found);
  }
}

TEST_CASE("route table reports duplicate declarations", "[http][routes]") {
  service_decl a;
  a.name = "a";
  a.routes = {decl(http_method::get, "/x")};
  service_decl b = a;
  b.name = "b";
  service_registry registry;
  registry.declare(a);
  registry.declare(b);
  route_table t;
  auto dups = t.add_services(registry);
  CHECK(dups.size() == 1); // the versioned path; the alias is decided once
  CHECK(t.match(http_method::get, "/v1/x").route->service == "a");
  CHECK(t.match(http_method::get, "/x").route->service == "a");
  // Each entry points at the slot of the service that answers it.
  CHECK(t.match(http_method::get, "/v1/x").route->slot == registry.slot("a"));
}
