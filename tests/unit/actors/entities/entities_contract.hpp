#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "actors/entities/catalog.hpp"
#include "actors/entities/entities.hpp"
#include "actors/entities/repo.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "schema/check.hpp"

// What a schema-driven collection must do on either store, through the
// service's own entry point (answer): the edge's checks are the HTTP tests'.
namespace weft::entities::test {

/// Every type, a unique and an indexed attribute, a hidden one and an auth
/// service's password (never served).
inline const char* every_type_schema = R"(erDiagram
Person {
    String email UK
    String password
    Text bio
    Integer age
    %% @default(0)
    Float score
    Boolean active
    %% @index
    UUID ref
    Date born
    DateTime seen
    JSON prefs
    Binary avatar
    Array[String] tags
    Array[Integer] lucky
    String secret
    %% @service crud.rest.weft { plural: "people", hidden: ["secret"], writeRoles: ["admin"] }
    %% @service auth.password.weft { loginField: "email", passwordField: "password" }
}
)";

inline std::shared_ptr<const catalog> every_type_catalog() {
  auto r = schema::parse_and_check(every_type_schema);
  INFO((r.problems.empty() ? "" : r.problems.front().message));
  REQUIRE(r.ok());
  return build_catalog(r.schema);
}

inline principal admin_caller() {
  return {"00000000-0000-7000-8000-000000000001", "admin@example.org", {"admin"}, "token"};
}

inline crud_call call(std::string op, std::string id = {}, nlohmann::json body = nullptr,
                      nlohmann::json query = nullptr) {
  crud_call c;
  c.collection = "people";
  c.op = std::move(op);
  c.id = std::move(id);
  if (!body.is_null())
    c.body = body.dump();
  if (!query.is_null())
    c.query = query.dump();
  c.caller = admin_caller();
  c.meta.request_id = "req-1";
  return c;
}

inline nlohmann::json ok(caf::expected<crud_answer> a) {
  if (!a)
    FAIL("error: " << caf::to_string(a.error()));
  return a->body.empty() ? nlohmann::json{} : nlohmann::json::parse(a->body);
}

inline nlohmann::json person(const std::string& email) {
  return {{"email", email},
          {"bio", "long text"},
          {"score", 2.5},
          {"active", true},
          {"ref", "0190a5a0-0000-7000-8000-000000000000"},
          {"born", "1990-04-01"},
          {"seen", "2026-12-06T10:00:00.123Z"},
          {"prefs", {{"theme", "dark"}, {"n", {1, 2}}}},
          {"avatar", "aGVsbG8="},
          {"tags", {"a", "b"}},
          {"lucky", {7, 13}},
          {"secret", "s3cret"}};
}

inline void crud_works(store& data) {
  auto cat = every_type_catalog();
  auto s = data.open_session("test");

  // Create: every type round-trips; defaults fill in; hidden and password never shown.
  auto created = ok(answer(*s, *cat, call("create", {}, person("ann@example.org"))));
  INFO(created.dump());
  REQUIRE(created.contains("id"));
  auto id = created["id"].get<std::string>();
  CHECK(events::is_uuid(id));
  CHECK(created["age"] == 0);
  CHECK(created["score"] == 2.5);
  CHECK(created["active"] == true);
  CHECK(created["born"] == "1990-04-01");
  CHECK(created["seen"] == "2026-12-06T10:00:00.123Z");
  CHECK(created["prefs"] == nlohmann::json{{"theme", "dark"}, {"n", {1, 2}}});
  CHECK(created["avatar"] == "aGVsbG8=");
  CHECK(created["tags"] == nlohmann::json{"a", "b"});
  CHECK(created["lucky"] == nlohmann::json{7, 13});
  CHECK(created["ref"] == "0190a5a0-0000-7000-8000-000000000000");
  CHECK_FALSE(created.contains("secret"));
  CHECK_FALSE(created.contains("password"));
  CHECK(created["created_at"] == created["updated_at"]);

  // Read: the same view; an unknown id is 404.
  CHECK(ok(answer(*s, *cat, call("read", id))) == created);
  auto missing = answer(*s, *cat, call("read", "0190a5a0-0000-7000-8000-0000000000ff"));
  REQUIRE_FALSE(missing);
  CHECK(is_api_error(missing.error(), api_errc::not_found));
  CHECK_FALSE(answer(*s, *cat, call("read", "not-a-uuid")));

  // A unique attribute taken: 409, nothing stored.
  auto twice = answer(*s, *cat, call("create", {}, person("ann@example.org")));
  REQUIRE_FALSE(twice);
  CHECK(is_api_error(twice.error(), api_errc::conflict));
  // A format the JSON Schema cannot say: 400.
  auto bad = person("bob@example.org");
  bad["born"] = "1990-13-45";
  auto refused = answer(*s, *cat, call("create", {}, bad));
  REQUIRE_FALSE(refused);
  CHECK(is_api_error(refused.error(), api_errc::bad_request));

  // Attributes a client may not write: 400 naming them.
  for (const char* key : {"password", "id", "created_at", "color"}) {
    auto extra = person("x@example.org");
    extra[key] = "0190a5a0-0000-7000-8000-000000000000";
    auto no = answer(*s, *cat, call("create", {}, extra));
    REQUIRE_FALSE(no);
    CHECK(is_api_error(no.error(), api_errc::bad_request));
  }
  CHECK_FALSE(answer(*s, *cat, call("update", id, nlohmann::json::object())));

  // Update: changed attributes only; a taken unique value is 409.
  auto bob = ok(answer(*s, *cat, call("create", {}, person("bob@example.org"))));
  auto changed = ok(answer(*s, *cat, call("update", id, {{"bio", "short"}, {"age", 41}})));
  CHECK(changed["bio"] == "short");
  CHECK(changed["age"] == 41);
  CHECK(changed["email"] == "ann@example.org");
  CHECK(changed["created_at"] == created["created_at"]);
  auto clash = answer(*s, *cat, call("update", id, {{"email", "bob@example.org"}}));
  REQUIRE_FALSE(clash);
  CHECK(is_api_error(clash.error(), api_errc::conflict));
  CHECK(ok(answer(*s, *cat, call("read", id)))["email"] == "ann@example.org");
  CHECK_FALSE(answer(*s, *cat, call("update", "0190a5a0-0000-7000-8000-0000000000ff", {{"bio", "x"}})));

  // List: creation order, pages, filters on unique and indexed attributes.
  for (int i = 0; i < 4; ++i) {
    auto p = person("p" + std::to_string(i) + "@example.org");
    p["active"] = i % 2 == 0;
    ok(answer(*s, *cat, call("create", {}, p)));
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    nlohmann::json q{{"limit", 2}};
    if (!cursor.empty())
      q["cursor"] = cursor;
    auto page = ok(answer(*s, *cat, call("list", {}, nullptr, q)));
    CHECK(page["items"].size() <= 2);
    for (auto& item : page["items"]) {
      seen.push_back(item["email"]);
      CHECK_FALSE(item.contains("secret"));
    }
    if (page["next"].is_null())
      break;
    cursor = page["next"];
  }
  CHECK(seen == std::vector<std::string>{"ann@example.org", "bob@example.org", "p0@example.org",
                                         "p1@example.org", "p2@example.org", "p3@example.org"});
  auto by_email = ok(answer(*s, *cat, call("list", {}, nullptr, {{"email", "p2@example.org"}})));
  REQUIRE(by_email["items"].size() == 1);
  CHECK(by_email["items"][0]["email"] == "p2@example.org");
  auto inactive = ok(answer(*s, *cat, call("list", {}, nullptr, {{"active", false}})));
  CHECK(inactive["items"].size() == 2);
  CHECK_FALSE(answer(*s, *cat, call("list", {}, nullptr, {{"cursor", "forged"}})));

  // Idempotency-Key: the same create twice is one row and one answer.
  auto keyed = call("create", {}, person("kim@example.org"));
  keyed.meta.idempotency_key = "k-1";
  keyed.meta.request_hash = "h-1";
  auto first = ok(answer(*s, *cat, keyed));
  auto again = ok(answer(*s, *cat, keyed));
  CHECK(first == again);
  auto kims = ok(answer(*s, *cat, call("list", {}, nullptr, {{"email", "kim@example.org"}})));
  CHECK(kims["items"].size() == 1);

  // Remove: gone, and gone again is 404.
  CHECK(ok(answer(*s, *cat, call("remove", bob["id"]))).is_null());
  CHECK_FALSE(answer(*s, *cat, call("read", bob["id"])));
  auto again_gone = answer(*s, *cat, call("remove", bob["id"]));
  REQUIRE_FALSE(again_gone);
  CHECK(is_api_error(again_gone.error(), api_errc::not_found));
  // Its unique value is free again.
  ok(answer(*s, *cat, call("create", {}, person("bob@example.org"))));
}

/// An entity that declares its own `UUID id PK` (not first) and times.
inline void declared_id_works(store& data, const std::function<void(const catalog&)>& prepare) {
  auto r = schema::parse_and_check("erDiagram\nThing {\n    String name\n    UUID id PK\n"
                                   "    Integer n\n    DateTime created_at\n"
                                   "    %% @service crud.rest.weft { plural: 'things' }\n}\n");
  REQUIRE(r.ok());
  auto cat = build_catalog(r.schema);
  prepare(*cat);
  auto s = data.open_session("test");
  auto make = [](std::string op, std::string id, nlohmann::json body) {
    auto c = call(std::move(op), std::move(id), std::move(body));
    c.collection = "things";
    return c;
  };
  auto created = ok(answer(*s, *cat, make("create", {}, {{"name", "a"}, {"n", 1}})));
  auto id = created["id"].get<std::string>();
  auto changed = ok(answer(*s, *cat, make("update", id, {{"n", 2}})));
  CHECK(changed["n"] == 2);
  CHECK(changed["name"] == "a");
  CHECK(ok(answer(*s, *cat, make("read", id, nullptr)))["n"] == 2);
}

} // namespace weft::entities::test
