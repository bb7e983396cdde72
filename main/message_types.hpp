#pragma once

#include <caf/fwd.hpp>

namespace weft {

/// Registers every message type and error category of Weft with CAF, in one
/// place, so messages can cross nodes and errors print with their names.
void register_message_types(caf::actor_system_config& cfg);

} // namespace weft
