#include "adapters/postgres/migrations.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "adapters/postgres/transaction.hpp"

namespace weft::pg {

namespace {

caf::error migration_error(std::string message) {
  return make_pg_error(api_errc::internal, "database error", {}, std::move(message));
}

struct applied_row {
  std::string name;
  std::string checksum;
};

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

caf::expected<std::map<int, applied_row>> applied(connection& c) {
  auto made = c.exec_script("CREATE TABLE IF NOT EXISTS weft_schema_migrations ("
                            " version int PRIMARY KEY,"
                            " name text NOT NULL,"
                            " checksum text NOT NULL,"
                            " applied_at timestamptz NOT NULL DEFAULT now())");
  if (made)
    return made;
  auto r = c.exec("SELECT version, name, checksum FROM weft_schema_migrations ORDER BY version");
  if (!r)
    return std::move(r.error());
  std::map<int, applied_row> out;
  for (int i = 0; i < r->rows(); ++i)
    out[r->get<int>(i, 0)] = {r->get<std::string>(i, 1), r->get<std::string>(i, 2)};
  return out;
}

caf::error apply_one(connection& c, const migration& m, const std::string& sum) {
  return in_transaction(c, [&](connection& tx) -> caf::error {
    // A migration may take longer than any request: no timeouts inside.
    if (auto err = tx.exec_script("SET LOCAL statement_timeout = 0"))
      return err;
    if (auto err = tx.exec_script(std::string{m.sql}, milliseconds{0}))
      return err;
    auto r = tx.exec("INSERT INTO weft_schema_migrations (version, name, checksum)"
                     " VALUES ($1, $2, $3)",
                     m.version, m.name, sum);
    return r ? caf::error{} : std::move(r.error());
  });
}

caf::expected<std::vector<std::string>> apply_locked(connection& c,
                                                     std::span<const migration> ms) {
  auto done = applied(c);
  if (!done)
    return std::move(done.error());
  std::vector<std::string> out;
  for (const auto& m : ms) {
    auto sum = migration_checksum(m.sql);
    if (auto i = done->find(m.version); i != done->end()) {
      if (i->second.checksum != sum)
        return migration_error("migration " + m.file_name()
                               + " was changed after it was applied (checksum "
                               + i->second.checksum.substr(0, 12) + " in the database, "
                               + sum.substr(0, 12) + " in this binary)");
      continue;
    }
    if (auto err = apply_one(c, m, sum))
      return make_pg_error(static_cast<api_errc>(err.code()), "database error", sqlstate(err),
                           "migration " + m.file_name() + " failed: " + server_message(err));
    spdlog::info("postgres: applied migration {}", m.file_name());
    out.push_back(m.file_name());
  }
  // A newer binary migrated further: fine for a rolling upgrade, worth a line.
  int newest = ms.empty() ? 0 : ms.back().version;
  for (const auto& [version, row] : *done)
    if (version > newest)
      spdlog::warn("postgres: the database has migration {} ({}) that this binary does not know",
                   version, row.name);
  return out;
}

} // namespace

std::string migration::file_name() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d_", version);
  return buf + std::string{name} + ".sql";
}

std::string migration_checksum(std::string_view sql) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(sql.data(), sql.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

caf::expected<std::vector<std::string>> apply_migrations(connection& c) {
  return apply_migrations(c, embedded_migrations());
}

caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration> ms, milliseconds lock_wait) {
  for (size_t i = 0; i < ms.size(); ++i)
    if (ms[i].version <= 0 || (i > 0 && ms[i].version <= ms[i - 1].version))
      return migration_error("migrations must have increasing versions > 0 (at "
                             + ms[i].file_name() + ")");
  if (c.in_transaction())
    return migration_error("apply_migrations inside a transaction");
  if (auto err = lock(c, lock_wait))
    return err;
  auto out = apply_locked(c, ms);
  // Session-level lock: released here, or by the server if the session died.
  if (c.connected())
    (void) c.exec("SELECT pg_advisory_unlock($1)", migration_lock_key);
  return out;
}

} // namespace weft::pg
