#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace weft::auth {

/// Argon2id cost. The defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane),
/// the floor DESIGN §5 sets; raise them, never lower them, in production.
struct password_params {
  uint32_t memlimit_kib = 19456; ///< memory per hash, KiB
  uint32_t opslimit = 2;         ///< passes over that memory
};

/// PHC-format Argon2id hash ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") with
/// a fresh random salt. Error only if libsodium fails (out of memory, or
/// parameters below libsodium's minimum): api_errc::internal.
caf::expected<std::string> hash_password(std::string_view password, password_params p);

/// Constant-time verify; false for a wrong password and for a malformed hash
/// (including any algorithm other than Argon2id). Thread-safe.
bool verify_password(std::string_view password, const std::string& phc_hash);

/// A valid hash of a random password with parameters `p`, computed once per
/// distinct `p` and cached for the life of the process (thread-safe). Verify
/// against it when the account does not exist so that an unknown user costs
/// the same time as a wrong password. The first call per `p` costs one hash:
/// call it at start-up to warm it. Returns an empty string only if libsodium
/// could not hash (out of memory); the next call tries again.
const std::string& dummy_hash(password_params p);

} // namespace weft::auth
