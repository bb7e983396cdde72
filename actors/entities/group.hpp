#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "actors/auth/jwt.hpp"
#include "actors/auth/settings.hpp"
#include "actors/entities/catalog.hpp"
#include "runtime/service.hpp"

namespace weft::entities {

/// Brings the tables to the schema (PostgreSQL), then spawns the front and,
/// when the schema has sign-in services, their password hashers. `jwt`
/// (null without sign-in services) signs their tokens; `auth` gives their
/// lifetimes, password rules and login limits.
caf::expected<service_instance> spawn_entities_group(service_context& ctx,
                                                     std::shared_ptr<const catalog> cat,
                                                     bool allow_destructive,
                                                     std::shared_ptr<const auth::jwt_codec> jwt,
                                                     const auth::auth_settings& auth);

} // namespace weft::entities
