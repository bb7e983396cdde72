#pragma once

#include <span>

#include "runtime/service_module.hpp"

namespace weft::entities {

/// The entities service's module: the `schema` section, and the routes and
/// events of the schema's CRUD and sign-in bindings (none without a schema).
service_module module();

/// Its SQL (migrations/*.sql, compiled in): the sign-in sessions' table.
std::span<const weft::migration> migrations();

} // namespace weft::entities
