#pragma once

#include <functional>
#include <optional>
#include <span>

#include <caf/fwd.hpp>

#include "actors/audit/interface.hpp"
#include "adapters/postgres/connection.hpp"
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

namespace weft::audit {

/// The running audit service: its front actor, the handler its inbox feeds,
/// and its declaration (routes; subscription to every Weft subject).
struct audit_group {
  audit_actor front;
  event_sink_actor sink;  ///< for the embedded inbox
  /// For the durable inbox: applies an event inside its transaction.
  std::function<caf::error(pg::connection&, const events::envelope&)> durable_handler;
  /// The same for a whole batch in one statement (what the inbox prefers).
  std::function<caf::error(pg::connection&, std::span<const events::envelope>)>
    durable_batch_handler;
  service_decl decl;
};

/// Where the trail is kept: in memory, or on PostgreSQL (queries then run on
/// a detached actor with its own connection).
struct audit_storage {
  std::optional<pg::connect_options> postgres;
};

/// Spawns the audit service.
audit_group spawn_audit_group(caf::actor_system& sys, audit_storage storage = {});

} // namespace weft::audit
