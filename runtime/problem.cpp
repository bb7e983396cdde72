#include "runtime/problem.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/api_error.hpp"

namespace weft {

namespace {

struct problem_kind {
  api_errc code;
  int status;
  const char* title;
  const char* slug; ///< `https://weft.dev/problems/<slug>`
};

// The one table from API errors to HTTP (DESIGN §4). Everything else is 500.
constexpr problem_kind problem_table[] = {
  {api_errc::bad_request, 400, "Bad Request", "bad-request"},
  {api_errc::unauthenticated, 401, "Unauthorized", "unauthenticated"},
  {api_errc::forbidden, 403, "Forbidden", "forbidden"},
  {api_errc::not_found, 404, "Not Found", "not-found"},
  {api_errc::method_not_allowed, 405, "Method Not Allowed", "method-not-allowed"},
  {api_errc::conflict, 409, "Conflict", "conflict"},
  {api_errc::payload_too_large, 413, "Content Too Large", "payload-too-large"},
  {api_errc::unsupported_media_type, 415, "Unsupported Media Type",
   "unsupported-media-type"},
  {api_errc::unprocessable, 422, "Unprocessable Content", "unprocessable"},
  {api_errc::rate_limited, 429, "Too Many Requests", "rate-limited"},
  {api_errc::internal, 500, "Internal Server Error", "internal"},
  {api_errc::unavailable, 503, "Service Unavailable", "unavailable"},
  {api_errc::timeout, 504, "Gateway Timeout", "timeout"},
  {api_errc::header_too_large, 431, "Request Header Fields Too Large",
   "header-too-large"},
};

constexpr const char* type_prefix = "https://weft.dev/problems/";

const problem_kind* find_kind(api_errc code) {
  for (auto& k : problem_table)
    if (k.code == code)
      return &k;
  return nullptr;
}

problem make_problem(const problem_kind& k, std::string detail) {
  problem p;
  p.status = k.status;
  p.type = std::string{type_prefix} + k.slug;
  p.title = k.title;
  p.detail = std::move(detail);
  return p;
}

bool has_header(const problem& p, const char* name) {
  for (auto& [k, v] : p.headers)
    if (k == name)
      return true;
  return false;
}

} // namespace

problem problem_for(const caf::error& err) {
  if (err && err.category() == caf::atom("api")) {
    if (auto kind = find_kind(static_cast<api_errc>(err.code()))) {
      // Context written by api_error(): (detail, pointer, retry_after_s);
      // tolerate shorter contexts from hand-made errors.
      auto& ctx = err.context();
      std::string detail, pointer;
      uint32_t retry_after = 0;
      if (ctx.size() > 0 && ctx.match_element<std::string>(0))
        detail = ctx.get_as<std::string>(0);
      if (ctx.size() > 1 && ctx.match_element<std::string>(1))
        pointer = ctx.get_as<std::string>(1);
      if (ctx.size() > 2 && ctx.match_element<uint32_t>(2))
        retry_after = ctx.get_as<uint32_t>(2);
      auto p = make_problem(*kind, detail);
      if (!pointer.empty())
        p.errors.push_back({std::move(pointer), std::move(detail)});
      // invalid_request(): further violations as (pointer, detail) pairs.
      if (ctx.size() > 3 && ctx.match_element<std::vector<std::string>>(3)) {
        const auto& rest = ctx.get_as<std::vector<std::string>>(3);
        for (size_t i = 0; i + 1 < rest.size(); i += 2)
          p.errors.push_back({rest[i], rest[i + 1]});
      }
      if (retry_after > 0)
        p.headers.emplace_back("Retry-After", std::to_string(retry_after));
      if (p.status == 401)
        p.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"weft\"");
      if ((p.status == 503 || p.status == 429) && !has_header(p, "Retry-After"))
        p.headers.emplace_back("Retry-After", "1");
      return p;
    }
  }
  if (err == caf::sec::request_timeout)
    return make_problem(*find_kind(api_errc::timeout),
                        "the service did not answer in time");
  // Never leak what went wrong inside: the log has it, the client does not.
  return make_problem(*find_kind(api_errc::internal), "internal error");
}

std::string to_json(const problem& p) {
  nlohmann::json j{{"type", p.type}, {"title", p.title}, {"status", p.status}};
  if (!p.detail.empty())
    j["detail"] = p.detail;
  if (!p.errors.empty()) {
    auto& arr = j["errors"] = nlohmann::json::array();
    for (auto& e : p.errors)
      arr.push_back({{"pointer", e.pointer}, {"detail", e.detail}});
  }
  // Replace, don't throw, on invalid UTF-8 coming from a detail string.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace weft
