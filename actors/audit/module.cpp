#include "actors/audit/module.hpp"

#include <chrono>

#include "actors/audit/group.hpp"
#include "actors/audit/repo.hpp"
#include "actors/audit/settings.hpp"
#include "actors/audit/trail.hpp"
#include "runtime/service_kit.hpp"

namespace weft::audit {

service_module module() {
  service_module m;
  m.name = "audit";
  m.config = config_sections;
  m.register_types = kit::register_types<audit_query, audit_page>;
  m.declare = [](const config::settings& s) {
    service_decl d;
    d.name = "audit";
    d.routes = audit_routes();
    // Every event type. Dead letters under weft.dlq. carry an event the
    // trail already holds or should hold, and the trail dedupes them.
    d.subscribes = {"weft.>"};
    d.on_event = on_event;
    d.on_events = on_events;
    d.start = spawn_audit_group;
    if (auto keep = settings_of(s).retention_s; keep > 0)
      d.retention.push_back({"audit.trail", [keep](unit_of_work& w, int64_t limit) {
                               auto now = std::chrono::system_clock::now();
                               auto before = std::chrono::duration_cast<std::chrono::seconds>(
                                               now.time_since_epoch())
                                               .count()
                                             - keep;
                               return open_repository(w)->prune_before(before, limit);
                             }});
    return d;
  };
  return m;
}

} // namespace weft::audit
