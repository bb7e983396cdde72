#pragma once

#include <caf/expected.hpp>

#include "runtime/service.hpp"

namespace weft::notifications {

/// Spawns the notifications front on the node's store; its inbox writes.
caf::expected<service_instance> spawn_notifications_group(service_context& ctx);

} // namespace weft::notifications
