#pragma once

#include <caf/expected.hpp>

#include "runtime/service.hpp"

namespace weft::audit {

/// Spawns the audit service's front (queries, on store sessions of the
/// node's store). The trail is written by its inbox (trail.hpp).
caf::expected<service_instance> spawn_audit_group(service_context& ctx);

} // namespace weft::audit
