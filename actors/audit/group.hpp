#pragma once

#include <caf/fwd.hpp>

#include "actors/audit/interface.hpp"
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

namespace weft::audit {

/// The running audit service: its front actor, the handler its inbox feeds,
/// and its declaration (routes; subscription to every Weft subject).
struct audit_group {
  audit_actor front;
  event_sink_actor sink;
  service_decl decl;
};

/// Spawns the audit service on the embedded store.
audit_group spawn_audit_group(caf::actor_system& sys);

} // namespace weft::audit
