#pragma once

#include <span>

#include "runtime/service_module.hpp"

namespace weft {

/// Every service module of this build, one line each in modules.cpp: the
/// only list of services there is. The node, the config loader, `weft
/// migrate` and CAF's type registration all read it.
std::span<const service_module> service_modules();

} // namespace weft
