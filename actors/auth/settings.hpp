#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/section.hpp"

// The auth service's config sections: `auth` (tokens, passwords, limits)
// and `root` (the account bootstrapped on first start). Read from the file
// and from WEFT_AUTH_<KEY> / WEFT_ROOT_<KEY>, validated with the rest.
namespace weft::auth {

struct auth_settings {
  std::string issuer = "weft";             ///< JWT `iss`
  std::string audience = "weft-api";       ///< JWT `aud`
  std::string jwt_secret;                  ///< HS256 key (>= 32 bytes); empty = random per start
  std::string key_id = "k1";               ///< JWT `kid`
  uint32_t access_ttl_s = 900;             ///< access token lifetime
  uint32_t refresh_ttl_s = 2592000;        ///< refresh token lifetime (30 days)
  uint32_t clock_skew_s = 30;              ///< leeway on exp/nbf
  uint32_t password_memlimit_kib = 19456;  ///< Argon2id memory (>= 19 MiB)
  uint32_t password_opslimit = 2;          ///< Argon2id passes (>= 2)
  uint32_t password_min_length = 8;        ///< shown in OpenAPI as register's minLength
  uint32_t login_per_account = 10;         ///< login attempts per account per window
  uint32_t login_per_ip = 50;              ///< login attempts per client IP per window
  uint32_t login_window_s = 60;
  uint32_t hash_threads = 0;               ///< password hashing workers; 0 = cores
  uint32_t idempotency_ttl_s = 86400;      ///< Idempotency-Key records expire after
};

struct root_settings {
  std::string email;                       ///< bootstrap root user on first start (WEFT_ROOT_EMAIL)
  std::string password;                    ///< (WEFT_ROOT_PASSWORD)
};

/// The `auth` and `root` sections, with their checks.
std::vector<config::section> config_sections();

/// The two sections of `s`.
const auth_settings& auth_settings_of(const config::settings& s);
const root_settings& root_settings_of(const config::settings& s);

} // namespace weft::auth
