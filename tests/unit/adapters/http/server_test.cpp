#include <catch2/catch.hpp>

#include <future>
#include <sstream>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "server_fixture.hpp"

using namespace weft;
using namespace weft::http;
using namespace weft::http::test;
using namespace std::chrono_literals;

namespace {

bool is_problem(const reply& r) {
  return r.header("content-type") == "application/problem+json"
         && r.json().is_object() && r.json()["status"] == r.status;
}

std::string metrics_text(weft::metrics& m) {
  return prometheus::TextSerializer{}.Serialize(m.registry()->Collect());
}

} // namespace

TEST_CASE_METHOD(server_fixture, "a route served by a real actor", "[http][server]") {
  auto r = get("/v1/echo/abc%20d?x=1%202&y");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("x-echo") == "yes");
  auto j = r.json();
  CHECK(j["echo"] == "echo:abc d");
  CHECK(j["query"]["x"] == "1 2");
  CHECK(j["query"]["y"] == "");
  CHECK(j["path"] == "/v1/echo/abc%20d");
  // A generated request id, echoed and handed to the service.
  auto rid = r.header("x-request-id");
  CHECK(rid.size() == 36);
  CHECK(j["request_id"] == rid);
  CHECK_FALSE(r.header("date").empty());

  SECTION("the unversioned alias answers with the latest version") {
    CHECK(get("/echo/q").json()["echo"] == "echo:q");
    CHECK(get("/versioned").json()["v"] == 2);
    CHECK(get("/v1/versioned").json()["v"] == 1);
    CHECK(get("/v2/versioned").json()["v"] == 2);
  }
  SECTION("a sane X-Request-Id is kept, an odd one replaced") {
    auto kept = get("/v1/echo/a", {{"X-Request-Id", "client-id.42_x"}});
    CHECK(kept.header("x-request-id") == "client-id.42_x");
    CHECK(kept.json()["request_id"] == "client-id.42_x");
    auto replaced = get("/v1/echo/a", {{"X-Request-Id", "bad id!"}});
    CHECK(replaced.header("x-request-id").size() == 36);
    auto builtin = get("/health/live", {{"X-Request-Id", "live-1"}});
    CHECK(builtin.header("x-request-id") == "live-1");
  }
}

TEST_CASE_METHOD(server_fixture, "built-in endpoints", "[http][server]") {
  auto live = get("/health/live");
  CHECK(live.status == 200);
  CHECK(live.json()["status"] == "live");
  CHECK(get("/health/ready").json()["status"] == "ready");
  ready = false;
  auto not_ready = get("/health/ready");
  CHECK(not_ready.status == 503);
  CHECK(is_problem(not_ready));
  CHECK(not_ready.header("retry-after") == "1");
  // The answer names the parts that are not ready.
  CHECK(not_ready.json()["detail"] == "not ready: test");
  auto version = get("/v1/utils/version");
  CHECK(version.json()["version"] == "9.9.9");
  CHECK(version.json()["node"] == "test-node");
  CHECK(version.json()["services"] == nlohmann::json::array({"echo", "slow", "gone", "keys"}));
  CHECK(get("/utils/version").json() == version.json());
  auto doc = get("/v1/openapi.json");
  CHECK(doc.json()["openapi"] == "3.1.0");
  CHECK(doc.json()["paths"].contains("/v1/echo/{id}"));
  CHECK(get("/openapi.json").body == doc.body);
}

TEST_CASE_METHOD(server_fixture, "routing errors: 404, 405 with Allow", "[http][server]") {
  auto missing = get("/nope");
  CHECK(missing.status == 404);
  CHECK(is_problem(missing));
  CHECK(missing.json()["type"] == "https://weft.dev/problems/not-found");
  auto wrong = roundtrip(port, make_request("DELETE", "/v1/echo/x"));
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET");
  CHECK(is_problem(wrong));
  auto trace = roundtrip(port, make_request("TRACE", "/health/live"));
  CHECK(trace.status == 405);
  CHECK(trace.header("allow") == "GET");
}

TEST_CASE_METHOD(server_fixture, "request bodies", "[http][server]") {
  SECTION("a JSON object goes through") {
    auto r = post("/v1/echo", R"({"a":[1,{"b":2}]})",
                  {{"Content-Type", "application/json; charset=utf-8"}});
    CHECK(r.status == 201);
    CHECK(r.json()["a"][1]["b"] == 2);
  }
  SECTION("415 without application/json") {
    auto r = post("/v1/echo", R"({"a":1})", {{"Content-Type", "text/plain"}});
    CHECK(r.status == 415);
    CHECK(is_problem(r));
    CHECK(post("/v1/echo", R"({"a":1})", {}).status == 415);
  }
  SECTION("400 for malformed JSON, with a detail") {
    auto r = post("/v1/echo", R"({"a":)");
    CHECK(r.status == 400);
    CHECK(is_problem(r));
    CHECK(r.json()["detail"].get<std::string>().find("malformed JSON") != std::string::npos);
    CHECK(post("/v1/echo", "").status == 400);
  }
  SECTION("400 when the body is not an object") {
    CHECK(post("/v1/echo", "[1,2]").status == 400);
    CHECK(post("/v1/echo", "\"s\"").status == 400);
  }
  SECTION("400 when JSON nests too deep") {
    std::string deep = R"({"a":)" + std::string(9, '[') + std::string(9, ']') + "}";
    auto r = post("/v1/echo", deep);
    CHECK(r.status == 400);
    CHECK(r.json()["detail"].get<std::string>().find("deeper") != std::string::npos);
  }
  SECTION("413 for a 2 MiB body, announced by Content-Length") {
    std::string big(2 * 1024 * 1024, ' ');
    big.front() = '{';
    big.back() = '}';
    connection c{port};
    c.send(make_request("POST", "/v1/echo", {{"Content-Type", "application/json"}}, big));
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->header("connection") == "close");
    CHECK(r->json()["status"] == 413);
  }
  SECTION("413 for a chunked body over the limit") {
    connection c{port};
    std::string head = "POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    std::string chunk(512 * 1024, 'x');
    std::ostringstream raw;
    raw << head;
    for (int i = 0; i < 3; ++i)
      raw << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
    raw << "0\r\n\r\n";
    c.send(raw.str());
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  SECTION("431 when the headers are too large") {
    auto r = get("/health/live", {{"X-Filler", std::string(10000, 'a')}});
    CHECK(r.status == 431);
    CHECK(is_problem(r));
  }
  SECTION("400 for garbage instead of HTTP") {
    auto r = roundtrip(port, "NOT HTTP AT ALL\r\n\r\n");
    CHECK(r.status == 400);
  }
}

TEST_CASE_METHOD(server_fixture, "authentication and roles", "[http][server]") {
  auto none = get("/v1/secure");
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate") == "Bearer realm=\"weft\"");
  CHECK(is_problem(none));
  auto bad = get("/v1/secure", {{"Authorization", "Bearer forged"}});
  CHECK(bad.status == 401);
  CHECK(bad.header("www-authenticate") == "Bearer realm=\"weft\", error=\"invalid_token\"");
  CHECK(get("/v1/secure", {{"Authorization", "Basic eDp5"}}).status == 401);

  auto user = get("/v1/secure", {{"Authorization", "Bearer user-token"}});
  CHECK(user.status == 200);
  CHECK(user.json()["caller"] == "u1");
  auto forbidden = get("/v1/admin", {{"Authorization", "Bearer user-token"}});
  CHECK(forbidden.status == 403);
  CHECK(is_problem(forbidden));
  CHECK(get("/v1/admin", {{"Authorization", "Bearer admin-token"}}).status == 200);
  CHECK(get("/v1/root", {{"Authorization", "Bearer admin-token"}}).status == 403);

  auto by_key = get("/v1/admin", {{"X-API-Key", "key-admin"}});
  CHECK(by_key.status == 200);
  CHECK(by_key.json()["caller"] == "key1");
  CHECK(get("/v1/root", {{"X-API-Key", "key-admin"}}).status == 403);
  auto bad_key = get("/v1/admin", {{"X-API-Key", "nope"}});
  CHECK(bad_key.status == 401);
  CHECK_FALSE(bad_key.header("www-authenticate").empty());
  // Open routes ignore credentials, even bad ones.
  CHECK(get("/v1/echo/x", {{"Authorization", "Bearer forged"}}).status == 200);
}

TEST_CASE_METHOD(server_fixture, "schema accounts never reach management routes",
                 "[http][server]") {
  // Its token says admin and root: the schema's roles, not the node's.
  auto bearer = std::map<std::string, std::string>{{"Authorization", "Bearer realm-admin-token"}};
  CHECK(get("/v1/secure", bearer).status == 200);
  auto admin = get("/v1/admin", bearer);
  CHECK(admin.status == 403);
  CHECK(is_problem(admin));
  CHECK(get("/v1/root", bearer).status == 403);
}

TEST_CASE_METHOD(server_fixture, "session cookies, and CSRF on unsafe methods", "[http][server]") {
  auto cookie = std::map<std::string, std::string>{{"Cookie", "other=1; weft_session=cookie-token"}};
  auto r = get("/v1/secure", cookie);
  CHECK(r.status == 200);
  CHECK(r.json()["caller"] == "m2");
  SECTION("an unsafe method needs the session's CSRF token in X-CSRF-Token") {
    auto none = post("/v1/secure", "", cookie);
    CHECK(none.status == 403);
    CHECK(is_problem(none));
    auto wrong = cookie;
    wrong["X-CSRF-Token"] = "csrf-2";
    CHECK(post("/v1/secure", "", wrong).status == 403);
    auto right = cookie;
    right["X-CSRF-Token"] = "csrf-1";
    CHECK(post("/v1/secure", "", right).status == 200);
  }
  SECTION("a bearer token in the cookie, or a cookie's token as bearer, is refused") {
    CHECK(get("/v1/secure", {{"Cookie", "weft_session=user-token"}}).status == 401);
    CHECK(get("/v1/secure", {{"Authorization", "Bearer cookie-token"}}).status == 401);
  }
  SECTION("other cookies are no credentials; a forged session cookie is 401") {
    CHECK(get("/v1/secure", {{"Cookie", "session=user-token"}}).status == 401);
    CHECK(get("/v1/secure", {{"Cookie", "weft_session=forged"}}).status == 401);
  }
  SECTION("the cookie's roles are a schema's: no management") {
    CHECK(get("/v1/admin", cookie).status == 403);
  }
}

TEST_CASE_METHOD(server_fixture, "services that fail or never answer", "[http][server]") {
  SECTION("the handler's own request timeout is 504") {
    auto r = get("/v1/slow");
    CHECK(r.status == 504);
    CHECK(is_problem(r));
  }
  SECTION("the adapter's guard answers 504 when nobody does") {
    auto t0 = std::chrono::steady_clock::now();
    auto r = get("/v1/void");
    CHECK(r.status == 504);
    CHECK(std::chrono::steady_clock::now() - t0 >= 1300ms);
  }
  SECTION("a throwing handler is 500 without details") {
    auto r = get("/v1/throws");
    CHECK(r.status == 500);
    CHECK(r.body.find("boom") == std::string::npos);
  }
  SECTION("a gateway killed by a continuation is replaced") {
    // The crashed request is answered by the guard; later ones work again.
    CHECK(get("/v1/crash").status == 504);
    CHECK(wait_until([&] { return get("/v1/echo/after").status == 200; }, 10s));
  }
}

TEST_CASE_METHOD(server_fixture, "routes resolve their service per request", "[http][server]") {
  SECTION("a declared service that is not bound answers 503 with Retry-After") {
    auto r = get("/v1/gone");
    CHECK(r.status == 503);
    CHECK(is_problem(r));
    CHECK(r.header("retry-after") == "1");
    CHECK(r.json()["detail"] == "service gone is not available");
  }
  SECTION("unbinding a service turns its routes to 503, binding it back restores them") {
    REQUIRE(get("/v1/echo/a").status == 200);
    registry.unbind("echo");
    CHECK(get("/v1/echo/a").status == 503);
    registry.bind("echo", echo);
    CHECK(get("/v1/echo/a").status == 200);
  }
  SECTION("API keys need their service: unbound is 503, not 401") {
    registry.unbind("keys");
    auto r = get("/v1/admin", {{"X-API-Key", "key-admin"}});
    CHECK(r.status == 503);
    CHECK(r.header("retry-after") == "1");
  }
}

TEST_CASE_METHOD(server_fixture, "bodies and query strings are checked against the route's schemas",
                 "[http][server]") {
  SECTION("a body that fits goes through, query values typed") {
    auto r = post("/v1/typed?limit=3&tag=x&other=y", R"({"name":"ab","count":9})");
    REQUIRE(r.status == 200);
    CHECK(r.json()["query"] == nlohmann::json{{"limit", 3}, {"tag", "x"}});
  }
  SECTION("every violation of the body is listed with its pointer") {
    auto r = post("/v1/typed", R"({"name":"a","count":10})");
    CHECK(r.status == 400);
    CHECK(is_problem(r));
    auto errors = r.json()["errors"];
    REQUIRE(errors.size() == 2); // in property-name order
    CHECK(errors[0]["pointer"] == "/count");
    CHECK(errors[0]["detail"] == "count must be at most 9");
    CHECK(errors[1]["pointer"] == "/name");
    CHECK(errors[1]["detail"] == "name must have at least 2 characters");
    CHECK(r.json()["detail"] == errors[0]["detail"]);
  }
  SECTION("missing and wrongly typed fields") {
    auto r = post("/v1/typed", R"({"count":"x"})");
    CHECK(r.status == 400);
    auto errors = r.json()["errors"];
    REQUIRE(errors.size() == 2); // required first, then property by property
    CHECK(errors[0]["detail"] == "name is required");
    CHECK(errors[1]["detail"] == "count must be an integer");
  }
  SECTION("a query value that does not parse or breaks its schema") {
    auto r = post("/v1/typed?limit=abc", R"({"name":"ab","count":1})");
    CHECK(r.status == 400);
    CHECK(r.json()["detail"] == "limit must be an integer");
    CHECK(post("/v1/typed?limit=0", R"({"name":"ab","count":1})").status == 400);
  }
}

TEST_CASE_METHOD(server_fixture, "keep-alive and Connection: close", "[http][server]") {
  connection c{port};
  for (int i = 0; i < 3; ++i) {
    c.send(make_request("GET", "/v1/echo/k" + std::to_string(i)));
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->json()["echo"] == "echo:k" + std::to_string(i));
    CHECK(r->header("connection").empty());
  }
  c.send(make_request("GET", "/health/live", {{"Connection", "close"}}));
  auto last = c.read();
  REQUIRE(last);
  CHECK(last->header("connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE_METHOD(server_fixture, "Expect: 100-continue", "[http][server]") {
  connection c{port};
  c.send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
         "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  c.send(R"({"a":1})");
  auto r = c.read();
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->json()["a"] == 1);
}

TEST_CASE("idle keep-alive connections are closed", "[http][server]") {
  server_fixture f{1, [](config::http_section& s) { s.keep_alive_timeout_ms = 100; }};
  connection c{f.port};
  c.send(make_request("GET", "/health/live"));
  REQUIRE(c.read());
  auto t0 = std::chrono::steady_clock::now();
  CHECK(c.closed_by_peer()); // blocks until the server closes
  CHECK(std::chrono::steady_clock::now() - t0 >= 100ms);
}

TEST_CASE_METHOD(server_fixture, "metrics count every request", "[http][server]") {
  get("/v1/echo/m");
  get("/nope");
  get("/health/live");
  auto text = metrics_text(metrics);
  CHECK(text.find(R"(weft_http_requests_total{method="GET",route="/v1/echo/{id}",status="200"} 1)")
        != std::string::npos);
  CHECK(text.find(R"(route="unmatched",status="404")") != std::string::npos);
  CHECK(text.find(R"(weft_http_request_duration_seconds_bucket{method="GET",route="/health/live")")
        != std::string::npos);
}

TEST_CASE("stop_accepting, drain and stop", "[http][server]") {
  server_fixture f{1};
  auto slow = std::async(std::launch::async, [&] { return f.get("/v1/void"); });
  REQUIRE(wait_until([&] { return f.srv->in_flight() == 1; }));
  f.srv->stop_accepting();
  CHECK_FALSE(f.srv->drain(10ms));
  CHECK(slow.get().status == 504);
  CHECK(f.srv->drain(2s));
  CHECK(f.srv->in_flight() == 0);
  // The acceptor is closed: a new connection is refused.
  CHECK(wait_until([&] {
    try {
      connection c{f.port};
      return false;
    } catch (const std::exception&) {
      return true;
    }
  }));
  f.srv->stop();
  f.srv->stop(); // idempotent
}

TEST_CASE("binding a port in use throws", "[http][server]") {
  server_fixture f{1};
  config::http_section settings;
  settings.host = "127.0.0.1";
  settings.port = f.port;
  server_deps deps;
  deps.system = f.sys.get();
  server second{settings, deps};
  CHECK_THROWS_AS(second.start(), std::runtime_error);
}
