#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "actors/entities/catalog.hpp"
#include "runtime/service.hpp"

namespace weft::entities {

/// Brings the tables to the schema (PostgreSQL), then spawns the front.
caf::expected<service_instance> spawn_entities_group(service_context& ctx,
                                                     std::shared_ptr<const catalog> cat,
                                                     bool allow_destructive);

} // namespace weft::entities
