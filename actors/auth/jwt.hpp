#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace weft::auth {

/// Access-token settings. `secret` is the raw HMAC key (its bytes as given);
/// RFC 7518 §3.2 wants at least 32 bytes for HS256, which the settings
/// validation should enforce. `key_id` names this key in the `kid` header so a
/// new key can be introduced beside the old one.
struct jwt_settings {
  std::string issuer;   ///< `iss`, checked exactly
  std::string audience; ///< `aud`, must be (or be in) the token's audience
  std::string secret;   ///< HS256 key
  std::string key_id;   ///< `kid` header, checked exactly
  std::chrono::seconds access_ttl{900}; ///< exp - iat of issued tokens
  std::chrono::seconds clock_skew{30};  ///< leeway on exp and nbf
};

/// The claims of an access token. `iss` and `aud` are not here: they are
/// always the codec's own.
struct access_claims {
  std::string sub;                ///< account id
  std::string email;              ///< account email at issue time
  std::string jti;                ///< unique token id (random, 128 bits)
  std::vector<std::string> roles; ///< user, admin, root
  int64_t iat = 0;                ///< issued at, seconds since the epoch
  int64_t nbf = 0;                ///< not before, seconds since the epoch
  int64_t exp = 0;                ///< expires, seconds since the epoch
  /// Optional claims, signed only when set. `realm`: a schema sign-in
  /// service's account (`<plural>/<name>`), empty for the node's accounts.
  /// `csrf`: the CSRF token of a session cookie's token.
  std::string realm;
  std::string csrf;
};

/// Signs and verifies HS256 JWT access tokens for one key. Immutable after
/// construction; every member is const and safe to call from any thread
/// (copies share the keyed HMAC template, which is only ever read).
class jwt_codec {
public:
  /// Keys the HMAC once, here, and precomputes the header segment.
  explicit jwt_codec(jwt_settings s);

  /// Claims for a new access token at `now` (iat=nbf=now, exp=now+ttl, random jti).
  access_claims make_claims(std::string sub, std::string email, std::vector<std::string> roles,
                            std::chrono::system_clock::time_point now) const;

  /// The compact JWS of `c` with header {"alg":"HS256","kid":key_id,"typ":"JWT"}
  /// and our `iss` and `aud`. Empty only if OpenSSL failed to compute the HMAC.
  std::string sign(const access_claims& c) const;

  /// Verifies `token` at `now`: three segments, `alg` pinned to HS256, `kid`
  /// equal to our key id, signature (constant-time), then `iss`, `aud`
  /// (string or array), exp > now - skew, nbf <= now + skew, and every claim
  /// of access_claims present and typed (integer times; a claim given twice
  /// makes the token malformed; unknown claims are ignored). Errors are
  /// api_error(api_errc::unauthenticated, reason), the reason one of
  /// "malformed token", "unsupported algorithm", "unknown key id",
  /// "bad signature", "wrong issuer", "wrong audience", "token expired",
  /// "token not yet valid", "invalid claim: <name>".
  caf::expected<access_claims> verify(std::string_view token,
                                      std::chrono::system_clock::time_point now) const;

  /// Lifetime of issued access tokens.
  std::chrono::seconds access_ttl() const;

  /// Longest token verify() accepts, in characters; longer is malformed.
  static constexpr std::size_t max_token_size = 8192;

private:
  struct hmac_key; // OpenSSL's keyed EVP_MAC_CTX, kept out of this header

  /// HMAC-SHA256 of `data` into `out`; false if OpenSSL failed.
  bool mac(std::string_view data, unsigned char (&out)[32]) const;

  jwt_settings settings_;
  std::string header_segment_; ///< base64url of our header, for a fast path
  std::shared_ptr<const hmac_key> key_;
};

} // namespace weft::auth
