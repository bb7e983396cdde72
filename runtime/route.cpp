#include "runtime/route.hpp"

#include <openssl/crypto.h>

namespace weft {

const char* to_string(http_method m) {
  switch (m) {
    case http_method::get: return "GET";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::patch: return "PATCH";
    case http_method::del: return "DELETE";
  }
  return "GET";
}

bool csrf_token_matches(std::string_view given, std::string_view expected) {
  return !expected.empty() && given.size() == expected.size()
         && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

} // namespace weft
