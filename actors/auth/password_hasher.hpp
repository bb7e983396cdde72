#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/auth/password.hpp"

namespace weft::auth {

using hash_atom = caf::atom_constant<caf::atom("hash")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;

/// Argon2id costs tens of milliseconds of CPU and 19 MiB per call, so it runs
/// on its own threads (detached actors), never on the CAF workers that serve
/// every other request. `verify` answers false for a wrong password.
using password_hasher_actor = caf::typed_actor<
  caf::replies_to<hash_atom, std::string>::with<std::string>,
  caf::replies_to<verify_atom, std::string, std::string>::with<bool>>;

/// A round-robin pool of `threads` detached hashers (0 = hardware threads).
password_hasher_actor spawn_password_hashers(caf::actor_system& sys, unsigned threads,
                                             password_params params);

} // namespace weft::auth
