#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "actors/modules.hpp"
#include "config/loader.hpp"
#include "config/section.hpp"
#include "events/wire_schema.hpp"

// The module list is the only place that names the services: it must agree
// with the folders, and every module must declare itself completely.
using namespace weft;

namespace fs = std::filesystem;

TEST_CASE("the module list and the service folders agree", "[modules]") {
  // A service folder is one with a module.cpp (inbox and outbox are the
  // node's delivery machinery, not services).
  std::set<std::string> folders;
  for (const auto& entry : fs::directory_iterator(fs::path{WEFT_SOURCE_DIR} / "actors"))
    if (entry.is_directory() && fs::exists(entry.path() / "module.cpp"))
      folders.insert(entry.path().filename().string());
  std::set<std::string> listed;
  for (const auto& m : service_modules()) {
    INFO(m.name);
    CHECK(listed.insert(m.name).second); // listed once
  }
  CHECK(listed == folders);
  // ...and each folder is built: actors/CMakeLists.txt adds it.
  std::ifstream cmake{fs::path{WEFT_SOURCE_DIR} / "actors" / "CMakeLists.txt"};
  std::string text{std::istreambuf_iterator<char>{cmake}, {}};
  for (const auto& f : folders) {
    INFO(f);
    CHECK(text.find("add_subdirectory(" + f + ")") != std::string::npos);
  }
}

TEST_CASE("every module declares itself from the default settings", "[modules]") {
  auto ext = schema_extension_of(service_modules());
  auto settings = config::defaults(ext);
  std::set<std::string> operations, events;
  int verifiers = 0, key_resolvers = 0;
  for (const auto& m : service_modules()) {
    INFO(m.name);
    REQUIRE(m.declare);
    CHECK(m.register_types != nullptr);
    auto d = m.declare(settings);
    CHECK(d.name == m.name);
    CHECK(static_cast<bool>(d.start));
    verifiers += d.verify_token ? 1 : 0;
    key_resolvers += d.resolves_api_keys ? 1 : 0;
    for (const auto& r : d.routes) {
      INFO(r.operation_id);
      CHECK(operations.insert(r.operation_id).second);
      CHECK(static_cast<bool>(r.handler));
      CHECK(r.path.front() == '/');
      // What the edge enforces is a schema it can read.
      if (r.takes_body)
        CHECK(r.request_schema["type"] == "object");
      if (!r.query_schema.is_null())
        CHECK(r.query_schema.contains("properties"));
    }
    for (const auto& e : d.publishes) {
      INFO(e.type);
      // A service publishes under its own name; Weft's platform events
      // (`weft.webhook.*`, `weft.gap`) under `weft.`.
      CHECK((e.type.rfind(m.name + ".", 0) == 0 || e.type.rfind("weft.", 0) == 0));
      CHECK(events.insert(e.type).second);
      CHECK(e.schema["type"] == "object");
    }
    // A subscriber has a handler for its inbox.
    if (!d.subscribes.empty())
      CHECK((d.on_event || d.on_events));
    for (const auto& mig : m.migrations) {
      CHECK(mig.version > 0);
      CHECK_FALSE(mig.sql.empty());
    }
  }
  // One issuer of bearer tokens, one resolver of API keys.
  CHECK(verifiers == 1);
  CHECK(key_resolvers == 1);
}

TEST_CASE("a limit from configuration shows in the route's schema", "[modules]") {
  auto ext = schema_extension_of(service_modules());
  auto r = config::load(R"({"auth": {"password_min_length": 12}})", {}, ext);
  REQUIRE(r.ok());
  for (const auto& m : service_modules()) {
    if (m.name != "auth")
      continue;
    auto d = m.declare(r.value);
    for (const auto& route : d.routes)
      if (route.operation_id == "auth.register") {
        CHECK(route.request_schema["properties"]["password"]["minLength"] == 12);
        auto v = wire::validate(route.request_schema,
                                {{"email", "a@b.c"}, {"password", "eleven-char"}});
        REQUIRE(v.size() == 1);
        CHECK(v[0].pointer == "/password");
      }
  }
}
