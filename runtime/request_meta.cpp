#include "runtime/request_meta.hpp"

#include <openssl/evp.h>

#include "runtime/route.hpp"

namespace weft {

std::string sha256_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0x0f];
  }
  return out;
}

request_meta meta_of(const api_request& req) {
  request_meta meta{req.request_id, req.client_ip, req.idempotency_key, {}};
  // A retry must be the same request: method, path and body.
  if (!meta.idempotency_key.empty())
    meta.request_hash = sha256_hex(std::string{to_string(req.method)} + ' ' + req.path + '\n'
                                   + (req.body.is_null() ? std::string{} : req.body.dump()));
  return meta;
}

} // namespace weft
