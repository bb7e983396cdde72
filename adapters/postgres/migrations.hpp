#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "adapters/postgres/connection.hpp"

// Versioned schema migrations. The files config/migrations/NNNN_<name>.sql
// are compiled into the binary (cmake/EmbedMigrations.cmake generates a .cpp
// of raw string literals), so a node never reads SQL files at run time.
// apply_migrations takes a session-level advisory lock (several nodes may
// start at once), creates weft_schema_migrations if needed, and applies each
// missing migration in its own transaction together with its record row.
// An applied migration whose file changed since is an error naming the file:
// never edit an applied migration, add a new one. Statements that cannot run
// inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.
namespace weft::pg {

/// One migration: `0001_initial.sql` is {1, "initial", <its SQL>}.
struct migration {
  int version;           ///< NNNN, > 0, strictly increasing
  std::string_view name; ///< <name> of the file
  std::string_view sql;  ///< its contents, ;-separated statements

  /// `0001_initial.sql`.
  std::string file_name() const;
};

/// The migrations built into this binary, in version order.
std::span<const migration> embedded_migrations();

/// The advisory lock key taken while migrating ("weft\0\0mg" in ASCII).
inline constexpr int64_t migration_lock_key = 0x7765667400006d67;

/// SHA-256 of a migration's SQL, hex; recorded and compared on every start.
std::string migration_checksum(std::string_view sql);

/// Applies the embedded migrations that are missing; the file names applied
/// (empty when the schema was current).
caf::expected<std::vector<std::string>> apply_migrations(connection& c);

/// Applies `ms` (sorted by version). Waits up to `lock_wait` for another
/// node that is migrating; then unavailable.
caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration> ms,
                 milliseconds lock_wait = std::chrono::seconds(60));

} // namespace weft::pg
