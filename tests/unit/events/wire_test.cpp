#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "events/codec.hpp"
#include "events/wire.hpp"
#include "events/wire_schema.hpp"

// One description per message: inspect, JSON both ways and JSON Schema all
// come from `describe()`, and the validator checks bodies against the schema.
namespace wt {

namespace wire = weft::wire;

struct key_view {
  std::string id;
  std::string role;
  std::vector<std::string> tags;
  uint32_t uses = 0;
  std::string next;
  std::string secret;

  static auto describe() {
    return wire::object<key_view>(
      "test.key_view", "A key",
      wire::field("id", &key_view::id).format("uuid"),
      wire::field("role", &key_view::role).one_of({"user", "admin"}),
      wire::field("tags", &key_view::tags).max_length(3),
      wire::field("uses", &key_view::uses).maximum(10).optional(),
      wire::field("next", &key_view::next).nullable(),
      wire::field("secret", &key_view::secret).optional().doc("only once"));
  }
};
WEFT_WIRE(key_view)

struct key_list {
  std::vector<key_view> items;
  uint32_t limit = 50;

  static auto describe() {
    return wire::object<key_list>("test.key_list", "",
                                  wire::field("items", &key_list::items),
                                  wire::field("limit", &key_list::limit).minimum(1).optional());
  }
};
WEFT_WIRE(key_list)

} // namespace wt

namespace wire = weft::wire;
using nlohmann::json;
using wt::key_list;
using wt::key_view;

TEST_CASE("wire: JSON out leaves optional empties out and writes nullable empties as null",
          "[wire]") {
  key_view k{"a", "user", {"x"}, 3, "", ""};
  json j = k;
  CHECK(j == json{{"id", "a"}, {"role", "user"}, {"tags", {"x"}}, {"uses", 3}, {"next", nullptr}});
  k.secret = "s";
  k.next = "n";
  j = k;
  CHECK(j["secret"] == "s");
  CHECK(j["next"] == "n");
}

TEST_CASE("wire: JSON in round-trips and fills defaults", "[wire]") {
  key_list l{{{"a", "admin", {}, 1, "n", "s"}}, 7};
  auto back = json(l).get<key_list>();
  REQUIRE(back.items.size() == 1);
  CHECK(back.items[0].role == "admin");
  CHECK(back.items[0].secret == "s");
  CHECK(back.limit == 7);
  auto d = json{{"items", json::array()}}.get<key_list>();
  CHECK(d.limit == 50);
  auto nul = json{{"id", "a"}, {"role", "user"}, {"tags", json::array()}}.get<key_view>();
  CHECK(nul.next.empty());
}

TEST_CASE("wire: JSON in names the field that does not fit", "[wire]") {
  try {
    (void) json{{"id", 5}, {"role", "user"}, {"tags", json::array()}}.get<key_view>();
    FAIL("no error");
  } catch (const wire::read_error& e) {
    CHECK(e.pointer() == "/id");
  }
  try {
    (void) json{{"items", {{{"id", "a"}, {"tags", json::array()}}}}}.get<key_list>();
    FAIL("no error");
  } catch (const wire::read_error& e) {
    CHECK(e.pointer() == "/items/0/role");
  }
  json negative = {{"items", json::array()}, {"limit", -1}};
  CHECK_THROWS_AS(negative.get<key_list>(), wire::read_error);
}

TEST_CASE("wire: the schema follows the description", "[wire]") {
  auto s = wire::schema_of<key_view>();
  CHECK(s["type"] == "object");
  CHECK(s["description"] == "A key");
  CHECK(s["required"] == json{"id", "role", "tags", "next"});
  CHECK(s["properties"]["id"] == json{{"type", "string"}, {"format", "uuid"}});
  CHECK(s["properties"]["role"]["enum"] == json{"user", "admin"});
  CHECK(s["properties"]["tags"] == json{{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 3}});
  CHECK(s["properties"]["uses"]["maximum"] == 10);
  CHECK(s["properties"]["next"]["type"] == json{"string", "null"});
  CHECK(s["properties"]["secret"]["description"] == "only once");
  auto l = wire::schema_of<key_list>();
  CHECK(l["properties"]["items"]["items"] == s);
  CHECK(l["properties"]["limit"]["default"] == 50);
  CHECK_FALSE(l.contains("description"));
}

TEST_CASE("wire: CAF serialises described types", "[wire]") {
  caf::actor_system_config cfg;
  cfg.add_message_type<key_view>(wire::name_of<key_view>());
  caf::actor_system sys{cfg};
  key_list in{{{"a", "admin", {"t1", "t2"}, 9, "n", "s"}}, 3};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(in));
  key_list out;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(out));
  REQUIRE(out.items.size() == 1);
  CHECK(out.items[0].tags == std::vector<std::string>{"t1", "t2"});
  CHECK(out.items[0].uses == 9);
  CHECK(out.limit == 3);
  CHECK(std::string{wire::name_of<key_list>()} == "test.key_list");
}

TEST_CASE("wire: validate reports every violation with its pointer", "[wire]") {
  auto s = wire::schema_of<key_list>();
  CHECK(wire::validate(s, json{{"items", json::array()}}).empty());
  auto v = wire::validate(s, json{{"items", {{{"id", 1}, {"role", "root"}, {"tags", {"a", "b", "c", "d"}}}}},
                                  {"limit", 0}});
  REQUIRE(v.size() == 5);
  CHECK(v[0].pointer == "/items/0/next");
  CHECK(v[0].message == "items/0/next is required");
  CHECK(v[1].pointer == "/items/0/id");
  CHECK(v[1].message == "items/0/id must be a string");
  CHECK(v[2].pointer == "/items/0/role");
  CHECK(v[3].message == "items/0/tags must have at most 3 items");
  CHECK(v[4].message == "limit must be at least 1");
  auto top = wire::validate(s, json::array());
  REQUIRE(top.size() == 1);
  CHECK(top[0].message == "the body must be an object");
  CHECK(wire::validate(s, json{{"items", "x"}, {"limit", 1.5}}).size() == 2);
}

TEST_CASE("wire: validate counts characters and checks nullable and numbers", "[wire]") {
  json s = {{"type", "object"},
            {"required", {"p"}},
            {"properties", {{"p", {{"type", "string"}, {"minLength", 3}}},
                            {"n", {{"type", {"string", "null"}}}},
                            {"x", {{"type", "number"}, {"maximum", 2}}}}}};
  CHECK(wire::validate(s, json{{"p", "\xc3\xa9\xc3\xa9\xc3\xa9"}}).empty()); // 3 characters, 6 bytes
  CHECK(wire::validate(s, json{{"p", "ab"}})[0].message == "p must have at least 3 characters");
  CHECK(wire::validate(s, json{{"p", "abc"}, {"n", nullptr}}).empty());
  CHECK(wire::validate(s, json{{"p", "abc"}, {"n", 1}})[0].message == "n must be a string or null");
  CHECK(wire::validate(s, json{{"p", "abc"}, {"x", 3}})[0].message == "x must be at most 2");
  CHECK(wire::validate(s, json::object(), 0).size() == 1);
}

TEST_CASE("wire: a configured limit shows in the schema and is enforced", "[wire]") {
  auto s = wire::with_property_facet(wire::schema_of<key_view>(), "id", "minLength", 4);
  CHECK(s["properties"]["id"]["minLength"] == 4);
  auto v = wire::validate(s, json{{"id", "abc"}, {"role", "user"}, {"tags", json::array()}, {"next", nullptr}});
  REQUIRE(v.size() == 1);
  CHECK(v[0].pointer == "/id");
}

TEST_CASE("wire: validate refuses members a closed object does not name, and too few members",
          "[wire]") {
  json s{{"type", "object"},
         {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "string"}}}}},
         {"additionalProperties", false},
         {"minProperties", 1}};
  CHECK(wire::validate(s, json{{"a", 1}}).empty());
  auto extra = wire::validate(s, json{{"a", 1}, {"c", true}}, 10);
  REQUIRE(extra.size() == 1);
  CHECK(extra[0].pointer == "/c");
  CHECK(extra[0].message.find("is not allowed") != std::string::npos);
  auto empty = wire::validate(s, json::object(), 10);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].message.find("at least 1 member") != std::string::npos);
  json open{{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}};
  CHECK(wire::validate(open, json{{"z", 1}}).empty()); // open by default, as JSON Schema says
}
