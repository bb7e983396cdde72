#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Signing per Standard Webhooks (standardwebhooks.com): the receiver checks
// `webhook-signature` = space separated `v1,<base64 HMAC-SHA256>` over
// `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the decoded bytes of
// a `whsec_<base64>` secret. While a secret is being rotated both sign.
namespace weft::webhooks {

/// A new secret: `whsec_` + base64 of 32 random bytes.
std::string new_secret();

/// The key bytes of a `whsec_...` secret (24 to 64 bytes); nullopt if it is
/// not one.
std::optional<std::string> secret_key(std::string_view secret);

/// `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`.
std::string sign(std::string_view key, std::string_view id, int64_t timestamp,
                 std::string_view body);

/// The `webhook-signature` value: one signature per secret, space separated
/// (secrets that are not `whsec_...` are skipped).
std::string signature_header(const std::vector<std::string>& secrets, std::string_view id,
                             int64_t timestamp, std::string_view body);

/// Standard base64 (with padding), as the specification uses.
std::string base64(std::string_view bytes);
std::optional<std::string> unbase64(std::string_view text);

} // namespace weft::webhooks
