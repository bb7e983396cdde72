#include "runtime/api_error.hpp"

#include <caf/make_message.hpp>

namespace weft {

caf::error api_error(api_errc code, std::string detail, std::string pointer,
                     uint32_t retry_after_s) {
  // The context layout (detail, pointer, retry-after) is what problem_for reads.
  return caf::make_error(code, std::move(detail), std::move(pointer), retry_after_s);
}

caf::error invalid_request(const std::vector<std::pair<std::string, std::string>>& violations) {
  if (violations.empty())
    return api_error(api_errc::bad_request, "invalid request");
  // (detail, pointer, retry-after, [pointer, detail, ...] of the others).
  std::vector<std::string> rest;
  for (size_t i = 1; i < violations.size(); ++i) {
    rest.push_back(violations[i].first);
    rest.push_back(violations[i].second);
  }
  return caf::make_error(api_errc::bad_request, violations[0].second, violations[0].first,
                         uint32_t{0}, std::move(rest));
}

const char* to_string(api_errc code) {
  switch (code) {
    case api_errc::bad_request: return "bad_request";
    case api_errc::unauthenticated: return "unauthenticated";
    case api_errc::forbidden: return "forbidden";
    case api_errc::not_found: return "not_found";
    case api_errc::method_not_allowed: return "method_not_allowed";
    case api_errc::conflict: return "conflict";
    case api_errc::payload_too_large: return "payload_too_large";
    case api_errc::unsupported_media_type: return "unsupported_media_type";
    case api_errc::unprocessable: return "unprocessable";
    case api_errc::rate_limited: return "rate_limited";
    case api_errc::internal: return "internal";
    case api_errc::unavailable: return "unavailable";
    case api_errc::timeout: return "timeout";
    case api_errc::header_too_large: return "header_too_large";
  }
  return "unknown";
}

} // namespace weft
