#include "main/admin_commands.hpp"

#include <iostream>

#include "actors/modules.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/settings.hpp"
#include "events/ids.hpp"

namespace weft {

namespace {

constexpr int exit_failed = 1;
constexpr int exit_bad_config = 2;

/// A connection to database.url, waited for up to 30 s; null on failure.
std::optional<pg::connection> connect(const config::settings& s, const char* purpose) {
  if (s.database.url.empty()) {
    std::cerr << "weft: config: database.url: " << purpose
              << " needs a database (set database.url or DATABASE_URL)\n";
    return std::nullopt;
  }
  pg::connection c{pg::connect_options_from(s.database, s.node.name + "-admin")};
  if (auto err = c.wait_until_connected(std::chrono::seconds{30})) {
    std::cerr << "weft: database: " << pg::describe(err) << '\n';
    return std::nullopt;
  }
  return c;
}

} // namespace

int run_migrate(const config::settings& settings) {
  if (settings.database.url.empty()) {
    connect(settings, "migrate");
    return exit_bad_config;
  }
  auto c = connect(settings, "migrate");
  if (!c)
    return exit_failed;
  std::vector<migration_set> sets{{pg::core_module, pg::embedded_migrations()}};
  for (const auto& m : service_modules())
    if (!m.migrations.empty())
      sets.push_back({m.name, m.migrations});
  auto applied = pg::apply_migrations(*c, sets);
  if (!applied) {
    std::cerr << "weft: migrate: " << pg::describe(applied.error()) << '\n';
    return exit_failed;
  }
  if (applied->empty())
    std::cout << "weft: migrate: the schema is current\n";
  for (const auto& name : *applied)
    std::cout << "weft: migrate: applied " << name << '\n';
  return 0;
}

int run_republish(const config::settings& settings, const std::string& since) {
  std::chrono::system_clock::time_point t;
  if (!events::parse_rfc3339(since, t)) {
    std::cerr << "weft: outbox republish: --since must be an RFC 3339 time, got \"" << since
              << "\"\n";
    return exit_bad_config;
  }
  if (settings.database.url.empty()) {
    connect(settings, "outbox republish");
    return exit_bad_config;
  }
  auto c = connect(settings, "outbox republish");
  if (!c)
    return exit_failed;
  auto n = pg::republish_since(*c, t);
  if (!n) {
    std::cerr << "weft: outbox republish: " << pg::describe(n.error()) << '\n';
    return exit_failed;
  }
  std::cout << "weft: outbox republish: " << *n << " events will be published again\n";
  return 0;
}

} // namespace weft
