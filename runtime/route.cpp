#include "runtime/route.hpp"

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

} // namespace weft
