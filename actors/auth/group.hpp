#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/expected.hpp>

#include "actors/auth/interface.hpp"
#include "actors/auth/jwt.hpp"
#include "actors/auth/password_hasher.hpp"
#include "adapters/postgres/connection.hpp"
#include "config/settings.hpp"
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

namespace weft::auth {

/// The running auth service: its front actor, its declaration for the node,
/// and the token codec the HTTP adapter verifies bearer tokens with.
struct auth_group {
  auth_actor front;                 ///< one actor, or a pool of them on PostgreSQL
  std::vector<caf::actor> workers;  ///< what to stop: the front's actors
  password_hasher_actor hashers;
  std::shared_ptr<const jwt_codec> jwt;
  service_decl decl;
};

/// Where the auth service keeps its data.
struct auth_storage {
  std::optional<pg::connect_options> postgres; ///< none: in memory
  uint32_t workers = 4;  ///< on PostgreSQL: detached actors, one connection each
};

/// Spawns the auth service: in memory one event-based actor; on PostgreSQL
/// `storage.workers` detached actors (libpq blocks their own threads, never
/// CAF's) behind a round-robin pool. Bootstraps the root user from `root` on
/// first start (hashing on the calling thread, before any request is
/// served). `jwt` is shared with the HTTP adapter, which verifies access
/// tokens with it. `outbox` gets committed events (memory) or wake-ups (PostgreSQL).
caf::expected<auth_group> spawn_auth_group(caf::actor_system& sys,
                                           const config::auth_section& settings,
                                           const config::root_section& root,
                                           std::shared_ptr<const jwt_codec> jwt,
                                           outbox_actor outbox, auth_storage storage = {});

/// The JWT settings the auth section describes (a random secret if none).
jwt_settings make_jwt_settings(const config::auth_section& settings);

} // namespace weft::auth
