#pragma once

#include <span>

#include "runtime/service_module.hpp"

namespace weft::webhooks {

/// The webhooks service as the node's module list names it.
service_module module();

/// Its SQL (migrations/*.sql, compiled in).
std::span<const weft::migration> migrations();

} // namespace weft::webhooks
