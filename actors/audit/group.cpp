#include "actors/audit/group.hpp"

#include <caf/actor_system.hpp>

#include "actors/audit/audit_state.hpp"
#include "actors/audit/repo_pg.hpp"
#include "actors/audit/routes.hpp"

namespace weft::audit {

audit_group spawn_audit_group(caf::actor_system& sys, audit_storage storage) {
  audit_actor front;
  if (storage.postgres)
    front = sys.spawn<caf::detached>(audit_behavior, std::shared_ptr<audit_repository>{
                                                       make_pg_audit_repository(*storage.postgres)});
  else
    front = sys.spawn(audit_behavior,
                      std::shared_ptr<audit_repository>{make_memory_audit_repository()});
  service_decl decl;
  decl.name = "audit";
  decl.routes = audit_routes(front);
  // Every event type; dead letters under weft.dlq. carry an event the trail
  // already holds or should hold, and the store dedupes them.
  decl.subscribes = {"weft.>"};
  return audit_group{front, caf::actor_cast<event_sink_actor>(front), append_to_trail,
                     append_batch_to_trail, std::move(decl)};
}

} // namespace weft::audit
