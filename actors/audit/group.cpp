#include "actors/audit/group.hpp"

#include <caf/actor_system.hpp>

#include "actors/audit/audit_state.hpp"
#include "actors/audit/routes.hpp"

namespace weft::audit {

audit_group spawn_audit_group(caf::actor_system& sys) {
  std::shared_ptr<audit_repository> repo = make_memory_audit_repository();
  auto front = sys.spawn(audit_behavior, std::move(repo));
  service_decl decl;
  decl.name = "audit";
  decl.routes = audit_routes(front);
  // Every event type; dead letters under weft.dlq. carry an event the trail
  // already holds or should hold, and the store dedupes them.
  decl.subscribes = {"weft.>"};
  return audit_group{front, caf::actor_cast<event_sink_actor>(front), std::move(decl)};
}

} // namespace weft::audit
