#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "adapters/postgres/connection.hpp"
#include "runtime/migration.hpp"

// Versioned schema migrations. The node's own files config/migrations/
// NNNN_<name>.sql (module `weft`) and each service module's
// `migrations/NNNN_<name>.sql` are compiled into the binary
// (cmake/EmbedMigrations.cmake generates a .cpp of raw string literals), so a
// node never reads SQL files at run time. apply_migrations takes a
// session-level advisory lock (several nodes may start at once), creates
// weft_schema_migrations (module, version) if needed, and applies each
// missing migration in its own transaction together with its record row,
// the node's own first, then each module's in the order given. An applied
// migration whose file changed since is an error naming the file: never edit
// an applied migration, add a new one. Statements that cannot run inside a
// transaction (CREATE INDEX CONCURRENTLY) are not supported.
namespace weft::pg {

using migration = weft::migration;

/// The name the node's own migrations are recorded under.
inline constexpr std::string_view core_module = "weft";

/// The node's own migrations built into this binary, in version order.
std::span<const migration> embedded_migrations();

/// The advisory lock key taken while migrating ("weft\0\0mg" in ASCII).
inline constexpr int64_t migration_lock_key = 0x7765667400006d67;

/// SHA-256 of a migration's SQL, hex; recorded and compared on every start.
std::string migration_checksum(std::string_view sql);

/// Applies the node's own embedded migrations that are missing; the file
/// names applied (empty when the schema was current).
caf::expected<std::vector<std::string>> apply_migrations(connection& c);

/// Applies `ms` (sorted by version) as the node's own. Waits up to
/// `lock_wait` for another node that is migrating; then unavailable.
caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration> ms,
                 milliseconds lock_wait = std::chrono::seconds(60));

/// Applies every set in order, under one lock: the file names applied, the
/// node's own as `0001_x.sql`, a module's as `<module>/0001_x.sql`.
caf::expected<std::vector<std::string>>
apply_migrations(connection& c, std::span<const migration_set> sets,
                 milliseconds lock_wait = std::chrono::seconds(60));

} // namespace weft::pg
