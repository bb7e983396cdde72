#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::events {

/// base64url without padding (RFC 4648 §5, as JWS uses it, RFC 7515 §2).
std::string base64url_encode(const void* data, std::size_t size);

/// Bytes that `chars` base64url characters decode to (when they are valid).
constexpr std::size_t base64url_decoded_size(std::size_t chars) {
  return chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
}

/// Strict decode of `in` into `out`, which has room for
/// base64url_decoded_size(in.size()) bytes. Refuses padding, characters
/// outside the alphabet, a dangling last character and non-zero unused bits,
/// so every byte string has exactly one accepted encoding. Not constant-time:
/// meant for public data such as JWT segments.
bool base64url_decode(std::string_view in, unsigned char* out);

} // namespace weft::events
