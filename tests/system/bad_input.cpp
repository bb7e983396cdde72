// A table of bad requests, each with the status it must get and an
// `application/problem+json` body (type, title, status, detail, and errors[]
// pointing at the bad field where there is one).
#include "tests/system/common.hpp"

using namespace sys;

namespace {

struct bad_request {
  const char* name;
  std::string method;
  std::string target;
  std::string content_type; ///< empty: no Content-Type
  std::string body;
  int status;
  std::string pointer = {};           ///< expected in errors[], if not empty
  std::string header = {};            ///< a header the answer must have, if not empty
  std::string header_contains = {};   ///< and a value it must contain
  bool with_token = false;            ///< send a valid user token (authorisation is not the issue)
  std::string token = {};             ///< or this token
};

std::string nested_array(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

} // namespace

TEST_CASE("bad requests get their status and a problem+json body", "[system][http][bad_input]") {
  weft_node node(node_options());
  auto taken = unique_email("taken");
  register_user(node, taken);
  auto user_token = login(node, taken).access;
  auto now = unix_now();
  auto expired = make_token({{"iat", now - 7200}, {"nbf", now - 7200}, {"exp", now - 3600}});
  auto forged = make_token({}, "another-secret-0123456789-abcdefghijklmn");
  const std::string json_ct = "application/json";
  auto fresh = [] { return json({{"email", unique_email("fresh")}, {"password", user_password}}).dump(); };

  std::vector<bad_request> table = {
    {"malformed JSON", "POST", "/v1/auth/register", json_ct, "{\"email\": \"a@b.c\", \"password\": ", 400},
    {"not an object", "POST", "/v1/auth/register", json_ct, "[1, 2, 3]", 400},
    // A number no double holds: found by fuzzing, it used to go unanswered.
    {"number overflow", "POST", "/v1/auth/register", json_ct, R"({"email": 1e999, "password": "x"})", 400},
    {"wrong types", "POST", "/v1/auth/register", json_ct, R"({"email": 5, "password": "x"})", 400, "/email"},
    {"wrong type for password", "POST", "/v1/auth/login", json_ct, R"({"email": "a@b.c", "password": 12345678})",
     400, "/password"},
    {"missing password", "POST", "/v1/auth/register", json_ct, R"({"email": "missing@weft.test"})", 400,
     "/password"},
    {"missing everything", "POST", "/v1/auth/login", json_ct, "{}", 400},
    {"empty body", "POST", "/v1/auth/register", json_ct, "", 400},
    {"invalid email", "POST", "/v1/auth/register", json_ct, R"({"email": "no-at-sign", "password": "long-enough-1"})",
     400, "/email"},
    {"password too short", "POST", "/v1/auth/register", json_ct,
     json({{"email", unique_email("short")}, {"password", "short"}}).dump(), 400, "/password"},
    {"JSON nested too deep", "POST", "/v1/auth/register", json_ct,
     "{\"email\": " + nested_array(200) + ", \"password\": \"x\"}", 400},
    {"2 MiB body", "POST", "/v1/auth/register", json_ct,
     "{\"email\": \"big@weft.test\", \"password\": \"" + std::string(2u << 20, 'a') + "\"}", 413},
    {"unknown route", "GET", "/v1/no-such-thing", "", "", 404},
    {"unknown route, unversioned", "GET", "/no-such-thing", "", "", 404},
    {"unknown version", "GET", "/v9/auth/me", "", "", 404},
    {"wrong method on login", "DELETE", "/v1/auth/login", "", "", 405, "", "Allow", "POST"},
    {"wrong method on me", "POST", "/v1/auth/me", json_ct, "{}", 405, "", "Allow", "GET", true},
    {"wrong content type", "POST", "/v1/auth/login", "text/plain", fresh(), 415},
    {"form content type", "POST", "/v1/auth/register", "application/x-www-form-urlencoded", "email=a&password=b",
     415},
    {"forged token", "GET", "/v1/auth/me", "", "", 401, "", "WWW-Authenticate", "", false, forged},
    {"expired token", "GET", "/v1/auth/me", "", "", 401, "", "WWW-Authenticate", "", false, expired},
    {"duplicate registration", "POST", "/v1/auth/register", json_ct,
     json({{"email", taken}, {"password", user_password}}).dump(), 409},
    {"roles not an array", "PUT", "/v1/users/00000000-0000-7000-8000-000000000000/roles", json_ct,
     R"({"roles": "admin"})", 400, "/roles"},
  };

  // Plain loop rather than SECTIONs, so the node starts once.
  for (auto& t : table) {
    INFO("case: " << t.name << " (" << t.method << " " << t.target << ")");
    http_headers h;
    if (!t.token.empty())
      h = bearer(t.token);
    else if (t.with_token)
      h = bearer(user_token);
    if (t.pointer == "/roles") // needs root to get past authorisation
      h = bearer(login_root(node).access);
    auto r = node.send(t.method, t.target, t.body, t.content_type, h);
    check_problem(r, t.status);
    if (!t.pointer.empty())
      CHECK(has_error_pointer(r, t.pointer));
    if (!t.header.empty()) {
      CHECK(r.headers.has(t.header));
      if (!t.header_contains.empty())
        CHECK(r.header(t.header).find(t.header_contains) != std::string::npos);
    }
  }

  // The node still serves after all of that.
  CHECK(node.get("/health/live").status == 200);
  CHECK(node.get("/v1/auth/me", bearer(user_token)).status == 200);
}

TEST_CASE("duplicate registration is 409 whatever the case of the address", "[system][http][bad_input]") {
  weft_node node(node_options());
  auto email = unique_email("case");
  register_user(node, email);
  auto upper = email;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto r = node.post("/v1/auth/register", {{"email", upper}, {"password", user_password}});
  check_problem(r, 409);
}

TEST_CASE("body limit and JSON depth follow the config", "[system][http][bad_input]") {
  weft_node node(node_options({{"http", {{"body_limit", 4096}, {"json_max_depth", 4}}}}));
  std::string body5k = "{\"email\": \"a@b.c\", \"password\": \"" + std::string(5000, 'x') + "\"}";
  check_problem(node.send("POST", "/v1/auth/login", body5k, "application/json"), 413);
  std::string deep = "{\"email\": [[[[[[\"a\"]]]]]], \"password\": \"x\"}";
  check_problem(node.send("POST", "/v1/auth/login", deep, "application/json"), 400);
  // Within limits, the same route answers normally (401: no such user).
  auto ok = node.post("/v1/auth/login", {{"email", "nobody@weft.test"}, {"password", "whatever-1"}});
  CHECK(ok.status == 401);
}
