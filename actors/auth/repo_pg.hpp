#pragma once

#include <memory>

#include "actors/auth/repo.hpp"
#include "adapters/postgres/connection.hpp"

namespace weft::auth {

/// The auth repository on PostgreSQL. It owns one connection, so it belongs
/// to one detached actor (its thread): libpq blocks, CAF workers must not.
/// `relay` is woken after each commit that wrote outbox rows.
std::unique_ptr<auth_repository> make_pg_auth_repository(pg::connect_options opts,
                                                         outbox_actor relay);

} // namespace weft::auth
