#pragma once

#include <string>

#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/health.hpp"
#include "adapters/postgres/pool.hpp"
#include "config/settings.hpp"

// From the `database` config section to the adapter's options, so the node
// (and `weft migrate`) never translate keys by hand.
namespace weft::pg {

/// A connection's options; `application_name` shows in pg_stat_activity.
connect_options connect_options_from(const config::database_section& db,
                                     std::string application_name = "weft");

/// The shared pool: database.pool_size connections named `<node>-pool`.
pool_options pool_options_from(const config::database_section& db, const std::string& node);

/// The readiness check, every database.health_interval_ms.
health_options health_options_from(const config::database_section& db, const std::string& node,
                                   weft::metrics* metrics);

} // namespace weft::pg
