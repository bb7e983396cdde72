#include "actors/audit/group.hpp"

#include "actors/audit/trail.hpp"
#include "runtime/service_kit.hpp"

namespace weft::audit {

caf::expected<service_instance> spawn_audit_group(service_context& ctx) {
  // Queries are rare next to appends: one session is plenty.
  return kit::spawn_front(ctx, "audit", kit::workers{1}, audit_behavior).instance();
}

} // namespace weft::audit
