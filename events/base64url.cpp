#include "events/base64url.hpp"

#include <array>
#include <cstdint>

namespace weft::events {

namespace {

// A lookup table rather than libsodium's constant-time codec: what is decoded
// here is public, and the JWT path runs on every request.
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr auto values = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

} // namespace

std::string base64url_encode(const void* data, std::size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (n - i == 1) {
    out += alphabet[p[i] >> 2];
    out += alphabet[(p[i] & 3) << 4];
  } else if (n - i == 2) {
    uint32_t v = (p[i] << 8) | p[i + 1];
    out += alphabet[v >> 10];
    out += alphabet[(v >> 4) & 63];
    out += alphabet[(v & 15) << 2];
  }
  return out;
}

bool base64url_decode(std::string_view in, unsigned char* out) {
  if (in.size() % 4 == 1)
    return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    auto v = values[static_cast<unsigned char>(ch)];
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<unsigned char>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return acc == 0; // the unused low bits of the last character must be zero
}

} // namespace weft::events
