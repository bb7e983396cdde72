#pragma once

#include <memory>

#include <caf/fwd.hpp>
#include <caf/expected.hpp>

#include "actors/auth/interface.hpp"
#include "actors/auth/jwt.hpp"
#include "actors/auth/password_hasher.hpp"
#include "config/settings.hpp"
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

namespace weft::auth {

/// The running auth service: its front actor, its declaration for the node,
/// and the token codec the HTTP adapter verifies bearer tokens with.
struct auth_group {
  auth_actor front;
  password_hasher_actor hashers;
  std::shared_ptr<const jwt_codec> jwt;
  service_decl decl;
};

/// Spawns the auth service on the embedded store. Bootstraps the root user
/// from `root` on first start (hashing on the calling thread, before any
/// request is served). `jwt` is shared with the HTTP adapter, which verifies
/// access tokens with it.
caf::expected<auth_group> spawn_auth_group(caf::actor_system& sys,
                                           const config::auth_section& settings,
                                           const config::root_section& root,
                                           std::shared_ptr<const jwt_codec> jwt,
                                           outbox_actor outbox);

/// The JWT settings the auth section describes (a random secret if none).
jwt_settings make_jwt_settings(const config::auth_section& settings);

} // namespace weft::auth
