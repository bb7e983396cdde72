#pragma once

#include <string>

#include "config/settings.hpp"

namespace weft {

/// `weft migrate`: applies the missing migrations to database.url and exits
/// (0 done, 1 the database failed, 2 no database configured).
int run_migrate(const config::settings& settings);

/// `weft outbox republish --since TIME`: makes the retained outbox rows
/// published at or after TIME pending again; running relays publish them
/// once more (JetStream's duplicate window and the inboxes dedupe).
int run_republish(const config::settings& settings, const std::string& since);

} // namespace weft
