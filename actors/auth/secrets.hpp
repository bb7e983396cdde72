#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::auth {

/// `bytes` random bytes (libsodium randombytes_buf, a CSPRNG) as base64url
/// without padding: 32 bytes give 43 characters. Thread-safe.
std::string random_token(std::size_t bytes = 32);

/// SHA-256 of `secret` as 64 lowercase hex digits. Refresh tokens and API keys
/// are stored only as this; they carry 256 random bits, so a fast unsalted
/// hash is enough (no dictionary to attack, unlike passwords).
std::string secret_hash(std::string_view secret);

/// Constant-time equality (sodium_memcmp). Strings of different lengths are
/// unequal at once: lengths are not secret, contents are.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace weft::auth
