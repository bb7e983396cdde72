#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

namespace weft {

/// An RFC 9457 problem: what every error response of the API carries.
struct problem {
  struct field_error {
    std::string pointer; ///< JSON pointer into the request body
    std::string detail;
  };
  int status = 500;
  std::string type;  ///< `https://weft.dev/problems/<slug>`
  std::string title;
  std::string detail;
  std::vector<field_error> errors;
  std::vector<std::pair<std::string, std::string>> headers; ///< Retry-After, Allow, ...
};

/// The one table from errors to HTTP: `api_errc` by code, CAF's own
/// `request_timeout` as 504, anything else as 500.
problem problem_for(const caf::error& err);

/// The `application/problem+json` body.
std::string to_json(const problem& p);

} // namespace weft
