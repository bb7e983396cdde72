#include "main/schema_commands.hpp"

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "actors/entities/catalog.hpp"
#include "actors/entities/repo.hpp"
#include "actors/modules.hpp"
#include "adapters/http/asyncapi.hpp"
#include "adapters/http/openapi.hpp"
#include "adapters/http/route_table.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/settings.hpp"
#include "config/loader.hpp"
#include "runtime/registry.hpp"
#include "schema/check.hpp"
#include "schema/docs.hpp"
#include "schema/format.hpp"
#include "schema/gen_cpp.hpp"
#include "schema/kinds.hpp"

namespace weft {

namespace {

constexpr int exit_bad_schema = 2;

/// The settings of a node serving `schema_path` (`config_path` read if
/// given, the environment as for `weft run`); nullopt after printing why not.
std::optional<config::settings> settings_with(const std::string& schema_path,
                                              const std::string& config_path) {
  auto env = config::process_environment();
  env["WEFT_SCHEMA_FILE"] = schema_path;
  auto ext = schema_extension_of(service_modules());
  auto loaded = config_path.empty() ? config::load("", env, ext) : config::load_file(config_path, env, ext);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems)
      std::cerr << "weft: config: " << config::to_string(p) << '\n';
    return std::nullopt;
  }
  return std::move(loaded.value);
}

/// Every module's declaration with those settings (what the node would serve).
std::vector<service_decl> declarations(const config::settings& s) {
  std::vector<service_decl> out;
  for (const auto& m : service_modules())
    out.push_back(m.declare(s));
  return out;
}

/// The node's endpoints and events, after the schema's own Markdown.
std::string endpoints_and_events(const std::vector<service_decl>& decls) {
  std::string out = "\n## Endpoints\n\n| method | path | operation | service |\n|---|---|---|---|\n";
  for (const auto& d : decls)
    for (const auto& r : d.routes)
      out += std::string{"| "} + to_string(r.method) + " | `/v" + std::to_string(r.version) + r.path
             + "` | `" + r.operation_id + "` | " + d.name + " |\n";
  out += "\n## Events\n\n| type | subject | published by |\n|---|---|---|\n";
  for (const auto& d : decls)
    for (const auto& e : d.publishes)
      out += "| `" + e.type + "` | `weft." + e.type + "` | " + d.name + " |\n";
  return out;
}

/// What the node would refuse to start on that the schema alone cannot
/// tell: a collection whose routes another service (or the node) already
/// has, such as an entity `Event` taking /v1/events. At the binding whose
/// plural it is, as schema problems are.
std::vector<schema::problem> route_clashes(const schema::entity_schema& s,
                                           std::vector<service_decl> decls) {
  service_registry registry;
  for (auto& d : decls)
    registry.declare(std::move(d));
  http::route_table table;
  table.add_builtins();
  std::vector<schema::problem> out;
  std::set<std::string> seen; ///< a route clashes at /v1/x and at its alias /x: once
  for (const auto& dup : table.add_services(registry)) {
    auto space = dup.find(' ');
    auto path = dup.substr(space + 1);
    if (path.starts_with("/v1/"))
      path = path.substr(3);
    if (!seen.insert(dup.substr(0, space) + " " + path).second)
      continue;
    schema::position at{1, 1};
    for (const auto& e : s.entities)
      for (const auto& b : e.services)
        if (b.kind() == "crud.rest") {
          auto base = "/" + schema::effective_config(e, b)["plural"].get<std::string>();
          if (path == base || path.starts_with(base + "/"))
            at = b.at;
        }
    out.push_back({at, dup.substr(0, space) + " /v1" + path
                         + " is a route the node has already: set another plural"});
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.at.line < b.at.line;
  });
  return out;
}

int migrate(const command_line& cl) {
  auto settings = settings_with(cl.schema_path, cl.config_path);
  if (!settings)
    return exit_bad_schema;
  if (settings->database.url.empty()) {
    std::cerr << "weft: schema migrate: no database (database.url or DATABASE_URL)\n";
    return exit_bad_schema;
  }
  std::ifstream in{cl.schema_path, std::ios::binary};
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = schema::parse_and_check(text.str(), {true});
  auto cat = entities::build_catalog(parsed.schema);
  pg::pg_store data{pg::connect_options_from(settings->database, settings->node.name + "-schema"), 1};
  auto session = data.open_session("schema-migrate");
  auto done = transact<std::vector<std::string>>(*session, [&](unit_of_work& w) {
    return entities::sync_tables(w, *cat, cl.allow_destructive);
  });
  if (!done) {
    std::cerr << "weft: schema migrate: " << pg::describe(done.error()) << '\n';
    return 1;
  }
  for (const auto& line : *done)
    std::cout << "weft: schema: " << line << '\n';
  if (done->empty())
    std::cout << "weft: schema: the database matches the schema\n";
  return 0;
}

} // namespace

int run_schema_command(const command_line& cl) {
  if (cl.what == command_line::verb::schema_migrate)
    return migrate(cl);
  std::ifstream in{cl.schema_path, std::ios::binary};
  if (!in) {
    std::cerr << "weft: schema: cannot read " << cl.schema_path << '\n';
    return exit_bad_schema;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto r = schema::parse_and_check(text.str());
  for (const auto& p : r.problems)
    std::cerr << "weft: schema: " << schema::to_string(cl.schema_path, p) << '\n';
  if (!r.ok())
    return exit_bad_schema;
  if (cl.what == command_line::verb::schema_fmt) {
    auto formatted = schema::format_schema(r.schema);
    if (!cl.write) {
      std::cout << formatted;
      return 0;
    }
    std::ofstream out{cl.schema_path, std::ios::binary | std::ios::trunc};
    out << formatted;
    if (!out) {
      std::cerr << "weft: schema: cannot write " << cl.schema_path << '\n';
      return 1;
    }
    return 0;
  }
  if (cl.what == command_line::verb::schema_doc) {
    if (cl.document == "gen-cpp") {
      std::cout << schema::cpp_of(r.schema, cl.schema_path);
      return 0;
    }
    auto settings = settings_with(cl.schema_path, {});
    if (!settings)
      return exit_bad_schema;
    // The document alone goes to stdout: declaring the services logs (a
    // random JWT key without auth.jwt_secret), which does not matter here.
    spdlog::set_level(spdlog::level::off);
    auto decls = declarations(*settings);
    if (cl.document == "openapi")
      std::cout << http::make_openapi(decls, WEFT_VERSION).dump(2) << '\n';
    else if (cl.document == "asyncapi")
      std::cout << http::make_asyncapi(decls, WEFT_VERSION).dump(2) << '\n';
    else
      std::cout << schema::markdown_of(r.schema, cl.schema_path) << endpoints_and_events(decls);
    return 0;
  }
  for (const auto& p : r.legacy)
    std::cerr << "weft: schema: note: " << schema::to_string(cl.schema_path, p) << '\n';
  if (auto settings = settings_with(cl.schema_path, cl.config_path)) {
    spdlog::set_level(spdlog::level::off); // declaring logs (a random JWT key): not the check's
    auto clashes = route_clashes(r.schema, declarations(*settings));
    for (const auto& p : clashes)
      std::cerr << "weft: schema: " << schema::to_string(cl.schema_path, p) << '\n';
    if (!clashes.empty())
      return exit_bad_schema;
  } else {
    return exit_bad_schema;
  }
  size_t services = 0;
  for (const auto& e : r.schema.entities)
    services += e.services.size();
  std::cout << "weft: schema ok: " << cl.schema_path << ": " << r.schema.entities.size()
            << " entities, " << services << " services, version " << r.schema.hash << '\n';
  return 0;
}

} // namespace weft
