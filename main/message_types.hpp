#pragma once

#include <span>

#include <caf/fwd.hpp>

#include "runtime/service_module.hpp"

namespace weft {

/// Registers every message type and error category of Weft with CAF, in one
/// place: the node's own, then each module's, so messages can cross nodes
/// and errors print with their names.
void register_message_types(caf::actor_system_config& cfg,
                            std::span<const service_module> modules);

} // namespace weft
