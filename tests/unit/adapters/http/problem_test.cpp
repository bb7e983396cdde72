#include <catch2/catch.hpp>

#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/api_error.hpp"
#include "runtime/problem.hpp"

using namespace weft;

namespace {

std::string header(const problem& p, const std::string& name) {
  for (auto& [k, v] : p.headers)
    if (k == name)
      return v;
  return {};
}

} // namespace

TEST_CASE("every api_errc maps to its status", "[http][problem]") {
  std::pair<api_errc, int> table[] = {
    {api_errc::bad_request, 400},       {api_errc::unauthenticated, 401},
    {api_errc::forbidden, 403},         {api_errc::not_found, 404},
    {api_errc::method_not_allowed, 405}, {api_errc::conflict, 409},
    {api_errc::payload_too_large, 413}, {api_errc::unsupported_media_type, 415},
    {api_errc::unprocessable, 422},     {api_errc::rate_limited, 429},
    {api_errc::internal, 500},          {api_errc::unavailable, 503},
    {api_errc::timeout, 504},           {api_errc::header_too_large, 431},
  };
  for (auto [code, status] : table) {
    INFO(to_string(code));
    auto p = problem_for(api_error(code, "why"));
    CHECK(p.status == status);
    CHECK(p.detail == "why");
    CHECK(p.type.rfind("https://weft.dev/problems/", 0) == 0);
    CHECK(p.type.size() > std::string{"https://weft.dev/problems/"}.size());
    CHECK_FALSE(p.title.empty());
    CHECK(p.errors.empty());
  }
}

TEST_CASE("problem headers: Retry-After and WWW-Authenticate", "[http][problem]") {
  CHECK(header(problem_for(api_error(api_errc::rate_limited, "slow down", {}, 7)),
               "Retry-After")
        == "7");
  CHECK(header(problem_for(api_error(api_errc::unavailable, "db down")), "Retry-After")
        == "1");
  CHECK(header(problem_for(api_error(api_errc::unavailable, "db down", {}, 30)),
               "Retry-After")
        == "30");
  CHECK(header(problem_for(api_error(api_errc::conflict, "x")), "Retry-After").empty());
  CHECK(header(problem_for(api_error(api_errc::unauthenticated, "who?")),
               "WWW-Authenticate")
        == "Bearer realm=\"weft\"");
}

TEST_CASE("a pointer becomes errors[]", "[http][problem]") {
  auto p = problem_for(api_error(api_errc::bad_request, "must be an email", "/email"));
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].pointer == "/email");
  CHECK(p.errors[0].detail == "must be an email");
  auto j = nlohmann::json::parse(to_json(p));
  CHECK(j["status"] == 400);
  CHECK(j["type"] == "https://weft.dev/problems/bad-request");
  CHECK(j["title"] == "Bad Request");
  CHECK(j["detail"] == "must be an email");
  CHECK(j["errors"][0]["pointer"] == "/email");
  CHECK(j["errors"][0]["detail"] == "must be an email");
}

TEST_CASE("CAF timeouts are 504, anything else 500 without details", "[http][problem]") {
  auto t = problem_for(caf::make_error(caf::sec::request_timeout));
  CHECK(t.status == 504);
  auto other = problem_for(caf::make_error(caf::sec::runtime_error, "secret path /etc"));
  CHECK(other.status == 500);
  CHECK(other.detail == "internal error");
  CHECK(to_json(other).find("secret") == std::string::npos);
  CHECK(problem_for(caf::error{}).status == 500);
  auto j = nlohmann::json::parse(to_json(problem_for(api_error(api_errc::not_found, ""))));
  CHECK_FALSE(j.contains("detail"));
  CHECK_FALSE(j.contains("errors"));
}
