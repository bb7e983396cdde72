#include <catch2/catch.hpp>

#include <set>

#include "adapters/http/parsing.hpp"

using namespace weft::http;

TEST_CASE("query strings are percent- and plus-decoded", "[http][parsing]") {
  auto q = parse_query("a=1&b=x%20y&c&d=a+b&e=%zz&b=second&%41=%3d&=empty&&");
  CHECK(q.at("a") == "1");
  CHECK(q.at("b") == "x y"); // the first of repeated keys wins
  CHECK(q.at("c").empty());
  CHECK(q.at("d") == "a b");
  CHECK(q.at("e") == "%zz"); // malformed escape kept literally
  CHECK(q.at("A") == "=");
  CHECK(q.at("") == "empty");
  CHECK(parse_query("").empty());
  CHECK(percent_decode("a+b%2B", false) == "a+b+");
  CHECK(percent_decode("%", true) == "%");
  CHECK(percent_decode("%4", true) == "%4");
}

TEST_CASE("targets split into path and query", "[http][parsing]") {
  std::string_view path, query;
  split_target("/v1/x?y=1&z", path, query);
  CHECK(path == "/v1/x");
  CHECK(query == "y=1&z");
  split_target("/plain", path, query);
  CHECK(path == "/plain");
  CHECK(query.empty());
}

TEST_CASE("JSON depth is checked before parsing", "[http][parsing]") {
  CHECK(json_depth_ok(R"({"a":1})", 1));
  CHECK_FALSE(json_depth_ok(R"({"a":{"b":1}})", 1));
  CHECK(json_depth_ok(R"({"a":{"b":[1]}})", 3));
  CHECK_FALSE(json_depth_ok(R"({"a":{"b":[1]}})", 2));
  // Brackets inside strings, escaped quotes included, do not count.
  CHECK(json_depth_ok(R"({"a":"[[[{{{\"[[["})", 1));
  std::string deep(33, '[');
  deep += std::string(33, ']');
  CHECK_FALSE(json_depth_ok(deep, 32));
  CHECK(json_depth_ok(deep.substr(1, 64), 32));
}

TEST_CASE("content types, request ids and bearer tokens", "[http][parsing]") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  CHECK(is_json_content_type(" application/json ;charset=UTF-8"));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
  CHECK_FALSE(is_json_content_type(""));

  CHECK(is_sane_request_id("abc-123_X.y"));
  CHECK_FALSE(is_sane_request_id(""));
  CHECK_FALSE(is_sane_request_id("has space"));
  CHECK_FALSE(is_sane_request_id("semi;colon"));
  CHECK(is_sane_request_id(std::string(128, 'a')));
  CHECK_FALSE(is_sane_request_id(std::string(129, 'a')));

  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    auto id = make_request_id();
    CHECK(id.size() == 36);
    CHECK(is_sane_request_id(id));
    CHECK(id[14] == '4');
    ids.insert(id);
  }
  CHECK(ids.size() == 1000);

  CHECK(bearer_token("Bearer abc.def") == "abc.def");
  CHECK(bearer_token("bearer   tok ") == "tok");
  CHECK(bearer_token("Basic dXNlcg==").empty());
  CHECK(bearer_token("Bearer").empty());
  CHECK(bearer_token("Bearerabc").empty());
}

TEST_CASE("cookies", "[http][parsing]") {
  auto c = parse_cookies(R"(a=1; weft_session=tok.en.x ;  b="quoted"; =nameless; flag; a=2)");
  CHECK(c.size() == 3);
  CHECK(c["a"] == "1"); // the first of a name given twice
  CHECK(c["weft_session"] == "tok.en.x");
  CHECK(c["b"] == "quoted");
  CHECK(parse_cookies("").empty());
}
