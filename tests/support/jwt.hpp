#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// Just enough JWT for tests: make HS256 tokens with a known secret (forged,
// expired, wrong audience...) and read the parts of a token the node issued.
namespace weft::test {

std::string base64url_encode(std::string_view bytes);
/// Decodes unpadded base64url; throws std::invalid_argument on bad input.
std::string base64url_decode(std::string_view text);

/// `b64(header).b64(claims).b64(HMAC-SHA256(secret, first two parts))`.
std::string sign_hs256(const nlohmann::json& header, const nlohmann::json& claims, std::string_view secret);

/// The decoded header / claims of a compact JWT (signature not checked).
nlohmann::json jwt_header(const std::string& token);
nlohmann::json jwt_claims(const std::string& token);

/// Seconds since the Unix epoch, now.
long long unix_now();

} // namespace weft::test
