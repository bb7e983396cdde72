#pragma once

#include <memory>
#include <span>

#include "actors/audit/repo.hpp"
#include "adapters/postgres/connection.hpp"

namespace weft::audit {

/// The audit trail on PostgreSQL (table weft_audit_trail). It owns one
/// connection, so it belongs to one detached actor.
std::unique_ptr<audit_repository> make_pg_audit_repository(pg::connect_options opts);

/// Appends `ev` to the trail with `c`, inside the caller's transaction (the
/// durable inbox's); an event already there is left as it is.
caf::error append_to_trail(pg::connection& c, const events::envelope& ev);

/// The same for a batch of events in one statement.
caf::error append_batch_to_trail(pg::connection& c, std::span<const events::envelope> evs);

} // namespace weft::audit
