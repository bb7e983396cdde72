#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "actors/auth/jwt.hpp"
#include "actors/auth/settings.hpp"
#include "runtime/service.hpp"

namespace weft::auth {

/// Spawns the auth service on the node's store: its password hashers
/// (detached threads), then its front (one actor on the memory store; on
/// PostgreSQL several detached actors, one connection each, behind a pool).
/// Bootstraps the root account of `root` first. `jwt` signs the access
/// tokens the edge verifies with the same codec.
caf::expected<service_instance> spawn_auth_group(service_context& ctx, const auth_settings& s,
                                                 const root_settings& root,
                                                 std::shared_ptr<const jwt_codec> jwt);

/// The JWT settings the auth section describes (a random secret if none).
jwt_settings make_jwt_settings(const auth_settings& s);

} // namespace weft::auth
