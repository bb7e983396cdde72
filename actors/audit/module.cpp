#include "actors/audit/module.hpp"

#include "actors/audit/group.hpp"
#include "actors/audit/trail.hpp"
#include "runtime/service_kit.hpp"

namespace weft::audit {

service_module module() {
  service_module m;
  m.name = "audit";
  m.register_types = kit::register_types<audit_query, audit_page>;
  m.declare = [](const config::settings&) {
    service_decl d;
    d.name = "audit";
    d.routes = audit_routes();
    // Every event type. Dead letters under weft.dlq. carry an event the
    // trail already holds or should hold, and the trail dedupes them.
    d.subscribes = {"weft.>"};
    d.on_event = on_event;
    d.on_events = on_events;
    d.start = spawn_audit_group;
    return d;
  };
  return m;
}

} // namespace weft::audit
