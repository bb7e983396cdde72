#include "actors/auth/secrets.hpp"

#include <cstdlib>
#include <vector>

#include <sodium.h>

namespace weft::auth {

namespace {

// randombytes and the hash functions need sodium_init to have run once; it
// only fails when no entropy source exists, where going on would be unsafe.
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    std::abort();
}

} // namespace

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  // Tokens are short: keep the raw bytes on the stack in the common case.
  unsigned char small[64];
  std::vector<unsigned char> large;
  unsigned char* raw = small;
  if (bytes > sizeof(small)) {
    large.resize(bytes);
    raw = large.data();
  }
  randombytes_buf(raw, bytes);
  // libsodium's encoder is constant-time: these bytes are secrets, unlike the
  // JWT segments that base64url.hpp is for.
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw, bytes, variant);
  out.resize(out.size() - 1); // ENCODED_LEN counts the terminating NUL
  sodium_memzero(raw, bytes);
  return out;
}

std::string secret_hash(std::string_view secret) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  std::string hex(crypto_hash_sha256_BYTES * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof(digest));
  hex.pop_back();
  return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  ensure_sodium();
  if (a.size() != b.size())
    return false;
  return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace weft::auth
