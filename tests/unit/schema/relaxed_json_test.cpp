#include <catch2/catch.hpp>

#include "schema/relaxed_json.hpp"

using weft::schema::read_relaxed_json;

TEST_CASE("relaxed json: unquoted keys, single quotes, trailing commas, and what strict JSON reads",
          "[schema]") {
  auto r = read_relaxed_json(R"({ name: "standard", 'loginField': 'email', roles: ["a", 'b',], n: -3, f: 1.5e2, ok: true, nothing: null, })");
  REQUIRE(r.ok());
  CHECK(r.value == nlohmann::json::parse(R"({"name":"standard","loginField":"email","roles":["a","b"],"n":-3,"f":150.0,"ok":true,"nothing":null})"));
  CHECK(read_relaxed_json(R"({"a": {"b": [1, 2, {"c": "d\"e"}]}})").value["a"]["b"][2]["c"] == "d\"e");
  CHECK(read_relaxed_json("{}").value == nlohmann::json::object());
  auto rest = read_relaxed_json("  42 ) tail");
  REQUIRE(rest.ok());
  CHECK(rest.value == 42);
  CHECK(rest.end == 4);
}

TEST_CASE("relaxed json: each problem says what and where", "[schema]") {
  struct bad {
    const char* text;
    size_t at;
    const char* says;
  };
  for (auto c : std::vector<bad>{
         {"{ a: users }", 5, "unexpected word 'users'"},
         {"{ a: 1 b: 2 }", 7, "',' or '}' was expected"},
         {"{ a 1 }", 4, "':' was expected after key 'a'"},
         {"{ a: 'x }", 9, "a string was not closed"},
         {"{ a: 1, a: 2 }", 8, "key 'a' appears twice"},
         {"[1, 2", 5, "']' was expected, the text ended"},
         {"{ a: 1e999 }", 5, "'1e999' is not a number"},
         {"{ a: 'x\\q' }", 8, "unknown escape"},
         {"", 0, "a value was expected"},
         {"{ 3: 1 }", 2, "a key was expected"},
       }) {
    auto r = read_relaxed_json(c.text);
    INFO(c.text << " -> " << r.error << " at " << r.error_at);
    CHECK_FALSE(r.ok());
    CHECK(r.error.find(c.says) != std::string::npos);
    CHECK(r.error_at == c.at);
  }
  std::string deep(100, '[');
  CHECK(read_relaxed_json(deep).error == "nested too deeply");
}
