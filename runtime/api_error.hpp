#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace weft {

/// The failures a public API answers with. Every service returns these as
/// `caf::error` (context: detail, JSON pointer of the bad field, Retry-After
/// seconds); `problem_for` is the one table from them to HTTP.
enum class api_errc : uint8_t {
  bad_request = 1,        ///< 400 malformed or invalid input
  unauthenticated,        ///< 401 no or bad credentials
  forbidden,              ///< 403 authenticated, wrong role
  not_found,              ///< 404
  method_not_allowed,     ///< 405
  conflict,               ///< 409
  payload_too_large,      ///< 413
  unsupported_media_type, ///< 415
  unprocessable,          ///< 422 well-formed but semantically refused
  rate_limited,           ///< 429
  internal,               ///< 500
  unavailable,            ///< 503 a dependency is down
  timeout,                ///< 504 a service actor did not answer in time
  header_too_large,       ///< 431 request line + headers over the limit
};

/// The enum value's name, e.g. `not_found`.
const char* to_string(api_errc code);

/// Builds an API error. `pointer` is an RFC 6901 JSON pointer into the
/// request body (`/email`) or empty; `retry_after_s` > 0 adds `Retry-After`.
caf::error api_error(api_errc code, std::string detail, std::string pointer = {},
                     uint32_t retry_after_s = 0);

/// A 400 for a body or query string that breaks its schema: the first
/// violation is the detail, every one an entry of the problem's `errors[]`.
caf::error invalid_request(const std::vector<std::pair<std::string, std::string>>& violations);

/// True if `err` is the API error `code` (CAF 0.17 has no operator== for
/// CAF_ERROR_CODE_ENUM types).
inline bool is_api_error(const caf::error& err, api_errc code) {
  return err.category() == caf::atom("api") && err.code() == static_cast<uint8_t>(code);
}

} // namespace weft

CAF_ERROR_CODE_ENUM(weft::api_errc, "api")
