#pragma once

#include "runtime/service_module.hpp"

namespace weft::auth {

/// The auth service as the node's module list names it.
service_module module();

} // namespace weft::auth
