#include "adapters/postgres/migrations.hpp"

#include <cstdio>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "adapters/postgres/transaction.hpp"
#include "runtime/request_meta.hpp"

namespace weft::pg {

namespace {

caf::error migration_error(std::string message) {
  return make_pg_error(api_errc::internal, "database error", {}, std::move(message));
}

struct applied_row {
  std::string name;
  std::string checksum;
};

using applied_map = std::map<std::pair<std::string, int>, applied_row>;

/// `0001_x.sql` for the node's own, `<module>/0001_x.sql` for a module's.
std::string display_name(std::string_view module, const migration& m) {
  if (module == core_module)
    return m.file_name();
  return std::string{module} + "/" + m.file_name();
}

// Polls pg_try_advisory_lock: a blocking pg_advisory_lock would outlive any
// io_timeout while another node runs a long migration.
caf::error lock(connection& c, milliseconds lock_wait) {
  auto until = std::chrono::steady_clock::now() + lock_wait;
  auto pause = milliseconds{20};
  for (;;) {
    auto r = c.exec("SELECT pg_try_advisory_lock($1)", migration_lock_key);
    if (!r)
      return std::move(r.error());
    if (r->get<bool>(0, 0))
      return {};
    if (std::chrono::steady_clock::now() >= until)
      return unavailable("another node holds the migration lock");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds{500});
  }
}

// The record table, keyed by (module, version). A database migrated before
// modules had their own migrations has a key of version alone: it becomes
// (module 'weft', version), which is what those rows were.
constexpr const char* record_table_sql
  = "CREATE TABLE IF NOT EXISTS weft_schema_migrations ("
    " module text NOT NULL DEFAULT 'weft',"
    " version int NOT NULL,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (module, version));"
    "ALTER TABLE weft_schema_migrations ADD COLUMN IF NOT EXISTS module text NOT NULL"
    " DEFAULT 'weft';"
    "DO $$ BEGIN"
    "  IF (SELECT array_length(conkey, 1) FROM pg_constraint"
    "      WHERE conrelid = 'weft_schema_migrations'::regclass AND contype = 'p') = 1 THEN"
    "    ALTER TABLE weft_schema_migrations DROP CONSTRAINT weft_schema_migrations_pkey;"
    "    ALTER TABLE weft_schema_migrations ADD PRIMARY KEY (module, version);"
    "  END IF;"
    " END $$";

caf::expected<applied_map> applied(connection& c) {
  if (auto made = c.exec_script(record_table_sql))
    return made;
  auto r = c.exec("SELECT module, version, name, checksum FROM weft_schema_migrations"
                  " ORDER BY module, version");
  if (!r)
    return std::move(r.error());
  applied_map out;
  for (int i = 0; i < r->rows(); ++i)
    out[{r->get<std::string>(i, 0), r->get<int>(i, 1)}] = {r->get<std::string>(i, 2),
                                                           r->get<std::string>(i, 3)};
  return out;
}

caf::error apply_one(connection& c, std::string_view module, const migration& m,
                     const std::string& sum) {
  return in_transaction(c, [&](connection& tx) -> caf::error {
    // A migration may take longer than any request: no timeouts inside.
    if (auto err = tx.exec_script(
          "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0"))
      return err;
    if (auto err = tx.exec_script(std::string{m.sql}, milliseconds{0}))
      return err;
    auto r = tx.exec("INSERT INTO weft_schema_migrations (module, version, name, checksum)"
                     " VALUES ($1, $2, $3, $4)",
                     module, m.version, m.name, sum);
    return r ? caf::error{} : std::move(r.error());
  });
}

caf::error check_order(const migration_set& set) {
  auto ms = set.migrations;
  for (size_t i = 0; i < ms.size(); ++i)
    if (ms[i].version <= 0 || (i > 0 && ms[i].version <= ms[i - 1].version))
      return migration_error("migrations must have increasing versions > 0 (at "
                             + display_name(set.module, ms[i]) + ")");
  return {};
}

caf::expected<std::vector<std::string>> apply_locked(connection& c,
                                                     std::span<const migration_set> sets) {
  auto done = applied(c);
  if (!done)
    return std::move(done.error());
  std::vector<std::string> out;
  for (const auto& set : sets) {
    std::string module{set.module};
    for (const auto& m : set.migrations) {
      auto sum = migration_checksum(m.sql);
      auto file = display_name(set.module, m);
      if (auto i = done->find({module, m.version}); i != done->end()) {
        if (i->second.checksum != sum)
          return migration_error("migration " + file
                                 + " was changed after it was applied (checksum "
                                 + i->second.checksum.substr(0, 12) + " in the database, "
                                 + sum.substr(0, 12) + " in this binary)");
        continue;
      }
      if (auto err = apply_one(c, set.module, m, sum))
        return make_pg_error(static_cast<api_errc>(err.code()), "database error",
                             sqlstate(err), "migration " + file + " failed: " + server_message(err));
      spdlog::info("postgres: applied migration {}", file);
      out.push_back(file);
    }
    // A newer binary migrated further: fine for a rolling upgrade, worth a line.
    int newest = set.migrations.empty() ? 0 : set.migrations.back().version;
    for (const auto& [key, row] : *done)
      if (key.first == module && key.second > newest)
        spdlog::warn("postgres: the database has migration {} {} ({}) that this binary does not know",
                     module, key.second, row.name);
  }
  return out;
}

} // namespace

std::string migration_checksum(std::string_view sql) {
  return sha256_hex(sql);
}

caf::expected<std::vector<std::string>> apply_migrations(connection& c) {
  return apply_migrations(c, embedded_migrations());
}

caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration> ms, milliseconds lock_wait) {
  migration_set own{core_module, ms};
  return apply_migrations(c, std::span<const migration_set>{&own, 1}, lock_wait);
}

caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration_set> sets, milliseconds lock_wait) {
  for (const auto& set : sets)
    if (auto err = check_order(set))
      return err;
  if (c.in_transaction())
    return migration_error("apply_migrations inside a transaction");
  if (auto err = lock(c, lock_wait))
    return err;
  auto out = apply_locked(c, sets);
  // Session-level lock: released here, or by the server if the session died.
  if (c.connected())
    (void) c.exec("SELECT pg_advisory_unlock($1)", migration_lock_key);
  return out;
}

} // namespace weft::pg
