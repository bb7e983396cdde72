#include "actors/webhooks/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace weft::webhooks {

namespace {

constexpr std::string_view secret_prefix = "whsec_";

} // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: take them off.
  size_t pad = 0;
  for (auto i = text.size(); i > 0 && text[i - 1] == '='; --i)
    pad++;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string new_secret() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    throw std::runtime_error("webhooks: no random bytes for a secret");
  return std::string{secret_prefix}
         + base64({reinterpret_cast<const char*>(raw), sizeof raw});
}

std::optional<std::string> secret_key(std::string_view secret) {
  if (!secret.starts_with(secret_prefix))
    return std::nullopt;
  auto key = unbase64(secret.substr(secret_prefix.size()));
  if (!key || key->size() < 24 || key->size() > 64)
    return std::nullopt;
  return key;
}

std::string sign(std::string_view key, std::string_view id, int64_t timestamp,
                 std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content += id;
  content += '.';
  content += std::to_string(timestamp);
  content += '.';
  content += body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return "v1," + base64({reinterpret_cast<const char*>(mac), len});
}

std::string signature_header(const std::vector<std::string>& secrets, std::string_view id,
                             int64_t timestamp, std::string_view body) {
  std::string out;
  for (const auto& s : secrets)
    if (auto key = secret_key(s)) {
      if (!out.empty())
        out += ' ';
      out += sign(*key, id, timestamp, body);
    }
  return out;
}

} // namespace weft::webhooks
