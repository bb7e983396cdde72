// `weft schema check` and `weft schema fmt` on the binary: a servable schema
// passes, a bad one (or one whose collections take the node's routes) exits
// 2 naming file:line:column for every problem, and fmt turns the original
// design's forms into valid Mermaid.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

const std::string examples = std::string{WEFT_SOURCE_DIR} + "/schema/examples/";

} // namespace

TEST_CASE("weft schema check: 0 with a summary for a servable schema, 2 with file:line:column for "
          "every problem of a bad one, a collection on a route the node has included",
          "[system][cli][schema]") {
  for (auto name : {"multi_auth.mmd", "legacy.mmd"}) {
    auto r = run_weft(WEFT_BINARY, {"schema", "check", examples + name});
    INFO(name << ": " << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("weft: schema ok: ") != std::string::npos);
  }
  // The issue's example as written: sound as a schema, but its collections
  // take paths the node has (the auth service's GET /v1/users, the event
  // stream's GET /v1/events), which a node would refuse at start. Reported
  // at the bindings whose plural it is.
  auto file = examples + "events_app.mmd";
  auto events = run_weft(WEFT_BINARY, {"schema", "check", file});
  INFO(events.out << events.err);
  CHECK(events.exit_code == 2);
  CHECK(events.err.find(file + ":7:8: GET /v1/users is a route the node has already: set another plural")
        != std::string::npos);
  CHECK(events.err.find(file + ":13:8: GET /v1/events is a route the node has already") != std::string::npos);
  CHECK(events.err.find("GET /v1/users/{id}") == std::string::npos); // only what clashes

  temp_dir dir;
  auto bad = dir / "bad.mmd";
  write_text(bad, "erDiagram\nUser {\n    Strin email\n    %% @service auth.password.redis {}\n"
                  "    %% @service crud.rest.weft { plural: users }\n}\n");
  auto r = run_weft(WEFT_BINARY, {"schema", "check", bad.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad.string() + ":3:5: unknown type 'Strin'") != std::string::npos);
  CHECK(r.err.find(bad.string() + ":4:8: provider 'redis' is not shipped for auth.password; "
                                  "available: weft, postgres, memory")
        != std::string::npos);
  CHECK(r.err.find(bad.string() + ":5:42: ") != std::string::npos);

  auto missing = run_weft(WEFT_BINARY, {"schema", "check", (dir / "nope.mmd").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot read") != std::string::npos);
  CHECK(run_weft(WEFT_BINARY, {"schema", "lint", bad.string()}).exit_code == 2);
}

TEST_CASE("weft schema fmt --write rewrites the original design's forms into valid Mermaid",
          "[system][cli][schema]") {
  temp_dir dir;
  auto legacy = dir / "legacy.mmd";
  write_text(legacy, read_text(examples + "legacy.mmd"));
  auto before = run_weft(WEFT_BINARY, {"schema", "check", legacy.string()});
  CHECK(before.err.find("note: ") != std::string::npos); // no header, trailing annotations
  auto version = before.out.substr(before.out.find("version "));

  auto printed = run_weft(WEFT_BINARY, {"schema", "fmt", legacy.string()});
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.starts_with("erDiagram\n"));
  CHECK(read_text(legacy) != printed.out); // printing leaves the file alone

  REQUIRE(run_weft(WEFT_BINARY, {"schema", "fmt", legacy.string(), "--write"}).exit_code == 0);
  CHECK(read_text(legacy) == printed.out);
  auto after = run_weft(WEFT_BINARY, {"schema", "check", legacy.string()});
  INFO(after.out << after.err);
  CHECK(after.exit_code == 0);
  CHECK(after.err.find("note: ") == std::string::npos);
  CHECK(after.out.substr(after.out.find("version ")) == version); // the same schema
}

TEST_CASE("weft schema openapi, asyncapi and docs describe the node with that schema",
          "[system][cli][schema]") {
  auto file = examples + "events_app.mmd";
  auto openapi = run_weft(WEFT_BINARY, {"schema", "openapi", file});
  INFO(openapi.err);
  REQUIRE(openapi.exit_code == 0);
  auto api = json::parse(openapi.out);
  CHECK(api["openapi"] == "3.1.0");
  CHECK(api["paths"].contains("/v1/users/{id}"));
  CHECK(api["paths"].contains("/v1/events/{id}")); // the Event entity's collection
  CHECK(api["paths"].contains("/v1/auth/login"));  // the hand-written services too

  auto asyncapi = run_weft(WEFT_BINARY, {"schema", "asyncapi", file});
  REQUIRE(asyncapi.exit_code == 0);
  auto doc = json::parse(asyncapi.out);
  CHECK(doc["asyncapi"] == "3.0.0");
  REQUIRE(doc["channels"].contains("user.created"));
  CHECK(doc["channels"]["user.created"]["address"] == "weft.user.created");
  CHECK(doc["channels"].contains("auth.user.created"));
  auto payload = doc["components"]["messages"]["user.created"]["payload"];
  CHECK(payload["properties"]["type"]["const"] == "user.created");
  CHECK(payload["properties"]["data"]["properties"].contains("email"));
  CHECK_FALSE(payload["properties"]["data"]["properties"].contains("password")); // hidden

  auto docs = run_weft(WEFT_BINARY, {"schema", "docs", file});
  REQUIRE(docs.exit_code == 0);
  CHECK(docs.out.find("## Entities") != std::string::npos);
  CHECK(docs.out.find("| `email` | String | UK |") != std::string::npos);
  CHECK(docs.out.find("## Services") != std::string::npos);
  CHECK(docs.out.find("| `POST` | `/v1/users`") == std::string::npos); // methods are plain
  CHECK(docs.out.find("| POST | `/v1/users` | `entities.users.create` | entities |") != std::string::npos);
  CHECK(docs.out.find("| `user.created` | `weft.user.created` | entities |") != std::string::npos);
}

TEST_CASE("weft schema gen-cpp: the header compiles against CAF and nlohmann_json, round-trips "
          "JSON, and its events are Weft typed events",
          "[system][cli][schema]") {
  temp_dir dir;
  auto gen = run_weft(WEFT_BINARY, {"schema", "gen-cpp", examples + "multi_auth.mmd"});
  INFO(gen.err);
  REQUIRE(gen.exit_code == 0);
  write_text(dir / "entities.hpp", gen.out);
  write_text(dir / "use.cpp", R"CPP(#include "entities.hpp"
#include <caf/all.hpp>
#include "events/typed_event.hpp"
static_assert(weft::events::typed_event<weft_schema::member_created>);
static_assert(weft::events::typed_event<weft_schema::post_updated>);
static_assert(weft::events::typed_event<weft_schema::post_deleted>);
std::string use() {
  weft_schema::member m;
  m.email = "a@example.org";
  m.roles = {"user"};
  m.logins = 3;
  nlohmann::json j = m;
  auto back = j.get<weft_schema::member>();
  weft_schema::post p;
  p.metadata = R"({"a": 1})";
  nlohmann::json pj = p;
  weft_schema::post_updated e{p, {"title"}};
  nlohmann::json ej = e;
  return caf::deep_to_string(back) + pj.dump() + ej.dump();
}
)CPP");
  auto cc = run_weft("/usr/bin/c++", {"-std=c++20", "-fsyntax-only", "-I" + dir.path().string(),
                                       "-I" + std::string{WEFT_SOURCE_DIR}, (dir / "use.cpp").string()},
                     {}, std::chrono::seconds(120));
  INFO(gen.out.substr(0, 2000) << "\n" << cc.out << cc.err);
  CHECK(cc.exit_code == 0);
}
