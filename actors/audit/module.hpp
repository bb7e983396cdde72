#pragma once

#include "runtime/service_module.hpp"

namespace weft::audit {

/// The audit service as the node's module list names it.
service_module module();

} // namespace weft::audit
