#include "actors/auth/password.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <sodium.h>

#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

namespace weft::auth {

namespace {

// sodium_init is itself idempotent; the static just keeps it off the hot path.
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// Every hash we store starts so; anything else (argon2i, bcrypt, garbage) is
// refused before libsodium parses it, which also pins the algorithm.
constexpr std::string_view phc_prefix = "$argon2id$";

} // namespace

caf::expected<std::string> hash_password(std::string_view password, password_params p) {
  if (!sodium_ready())
    return api_error(api_errc::internal, "libsodium unavailable");
  char out[crypto_pwhash_STRBYTES];
  auto memlimit = static_cast<size_t>(p.memlimit_kib) * 1024u;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), p.opslimit, memlimit,
                            crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    return api_error(api_errc::internal, "password hashing failed");
  return std::string{out};
}

bool verify_password(std::string_view password, const std::string& phc_hash) {
  // libsodium reads the hash as a C string of at most STRBYTES - 1 characters.
  if (!sodium_ready() || phc_hash.size() >= crypto_pwhash_STRBYTES
      || !phc_hash.starts_with(phc_prefix)
      || phc_hash.find('\0') != std::string::npos)
    return false;
  return crypto_pwhash_str_verify(phc_hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& dummy_hash(password_params p) {
  static std::mutex mtx;
  // std::map never moves its nodes, so the references we hand out stay valid.
  static std::map<std::pair<uint32_t, uint32_t>, std::string> cache;
  static const std::string none;
  std::lock_guard<std::mutex> guard{mtx};
  auto key = std::make_pair(p.memlimit_kib, p.opslimit);
  if (auto i = cache.find(key); i != cache.end())
    return i->second;
  // Hashing under the lock happens once per distinct parameter set.
  auto h = hash_password(random_token(32), p);
  if (!h)
    return none;
  return cache.emplace(key, std::move(*h)).first->second;
}

} // namespace weft::auth
