#include <catch2/catch.hpp>

#include <set>

#include "adapters/http/openapi.hpp"

using namespace weft;
using nlohmann::json;

TEST_CASE("OpenAPI document from route declarations", "[http][openapi]") {
  service_decl auth;
  auth.name = "auth";
  route_decl login;
  login.method = http_method::post;
  login.path = "/auth/login";
  login.operation_id = "auth.login";
  login.summary = "Log in";
  login.takes_body = true;
  login.request_schema = {{"type", "object"}, {"required", json::array({"email"})}};
  login.response_schema = {{"type", "object"}};
  route_decl roles;
  roles.method = http_method::put;
  roles.path = "/auth/users/{id}/roles";
  roles.operation_id = "auth.set_roles";
  roles.who = access::management;
  roles.takes_body = true;
  roles.success_status = 204;
  route_decl list;
  list.path = "/auth/users";
  list.operation_id = "auth.list_users";
  list.who = access::root;
  list.query_schema = {{"type", "object"},
                       {"properties", {{"limit", {{"type", "integer"}, {"minimum", 1}}}}}};
  route_decl list2 = list;
  list2.version = 2;
  auth.routes = {login, roles, list, list2};
  auth.publishes = {event_decl{"auth.user.created", 1, {{"type", "object"}}}};

  auto doc = http::make_openapi({auth}, "1.2.3");
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["info"]["version"] == "1.2.3");
  auto& paths = doc["paths"];

  auto& l = paths["/v1/auth/login"]["post"];
  CHECK(l["operationId"] == "auth.login");
  CHECK(l["summary"] == "Log in");
  CHECK(l["requestBody"]["content"]["application/json"]["schema"]["required"][0] == "email");
  CHECK(l["responses"].contains("200"));
  CHECK(l["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"]
        == "#/components/schemas/Problem");
  CHECK_FALSE(l.contains("security"));
  CHECK_FALSE(l["responses"].contains("401"));

  auto& r = paths["/v1/auth/users/{id}/roles"]["put"];
  CHECK(r["operationId"] == "auth.set_roles");
  REQUIRE(r["parameters"].size() == 1);
  CHECK(r["parameters"][0]["name"] == "id");
  CHECK(r["parameters"][0]["in"] == "path");
  CHECK(r["parameters"][0]["required"] == true);
  CHECK(r["responses"].contains("204"));
  CHECK_FALSE(r["responses"]["204"].contains("content"));
  CHECK(r["responses"].contains("401"));
  CHECK(r["responses"].contains("403"));
  CHECK(r["responses"].contains("404"));
  CHECK(r["responses"].contains("415"));
  CHECK(r["security"].size() == 2);
  CHECK(r["x-weft-access"] == "management");

  CHECK(paths["/v1/auth/users"]["get"]["parameters"][0]["in"] == "query");
  CHECK(paths["/v1/auth/users"]["get"]["parameters"][0]["schema"]["type"] == "integer");
  CHECK(paths["/v1/auth/users"]["get"]["operationId"] == "auth.list_users");
  CHECK(paths["/v2/auth/users"]["get"]["operationId"] == "auth.list_users_v2");

  for (auto* builtin : {"/health/live", "/health/ready", "/v1/utils/version",
                        "/v1/openapi.json"})
    CHECK(paths.contains(builtin));

  auto& comps = doc["components"];
  CHECK(comps["schemas"].contains("Problem"));
  CHECK(comps["securitySchemes"]["bearerAuth"]["scheme"] == "bearer");
  CHECK(comps["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT");
  CHECK(comps["securitySchemes"]["apiKey"]["in"] == "header");
  CHECK(comps["securitySchemes"]["apiKey"]["name"] == "X-API-Key");

  // The events each service publishes, with their data schema.
  auto& ev = doc["x-weft-events"]["auth.user.created"];
  CHECK(ev["service"] == "auth");
  CHECK(ev["subject"] == "weft.auth.user.created");
  CHECK(ev["dataversion"] == "1");
  CHECK(ev["data"]["type"] == "object");

  // Every operationId is unique.
  std::set<std::string> ids;
  size_t ops = 0;
  for (auto& item : paths)
    for (auto& op : item.items()) {
      ++ops;
      ids.insert(op.value()["operationId"].get<std::string>());
    }
  CHECK(ids.size() == ops);
}
