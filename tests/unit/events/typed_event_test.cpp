#include <catch2/catch.hpp>

#include "events/catalog.hpp"
#include "events/codec.hpp"
#include "events/typed_event.hpp"

using namespace weft::events;

namespace test {

struct user_created {
  static constexpr std::string_view type_name = "test.user.created";
  static constexpr int version = 2;
  std::string user_id;
  std::string email;
};

void to_json(nlohmann::json& j, const user_created& x) {
  j = nlohmann::json{{"user_id", x.user_id}, {"email", x.email}};
}

void from_json(const nlohmann::json& j, user_created& x) {
  j.at("user_id").get_to(x.user_id);
  j.at("email").get_to(x.email);
}

struct user_deleted {
  static constexpr std::string_view type_name = "test.user.deleted";
  static constexpr int version = 1;
  std::string user_id;
};

void to_json(nlohmann::json& j, const user_deleted& x) {
  j = nlohmann::json{{"user_id", x.user_id}};
}

void from_json(const nlohmann::json& j, user_deleted& x) {
  j.at("user_id").get_to(x.user_id);
}

} // namespace test

static_assert(typed_event<test::user_created>);

namespace {

origin auth_origin() {
  origin o;
  o.service = "auth";
  return o;
}

} // namespace

static_assert(!typed_event<int>);

TEST_CASE("make_envelope fills every attribute", "[typed_event]") {
  origin o{"auth", "req-7", "cause-1", "00-trace-span-01"};
  auto ev = make_envelope(test::user_created{"u1", "a@b.c"}, "u1", o);
  CHECK(is_uuid(ev.id));
  CHECK(ev.source == "/weft/auth");
  CHECK(ev.type == "test.user.created");
  CHECK(ev.specversion == "1.0");
  std::chrono::system_clock::time_point t;
  CHECK(parse_rfc3339(ev.time, t));
  CHECK(ev.subject == "u1");
  CHECK(ev.correlationid == "req-7");
  CHECK(ev.causationid == "cause-1");
  CHECK(ev.traceparent == "00-trace-span-01");
  CHECK(ev.dataversion == "2");
  CHECK(nlohmann::json::parse(ev.data)["email"] == "a@b.c");
}

TEST_CASE("data_as reads the payload back, also after the wire", "[typed_event]") {
  auto ev = make_envelope(test::user_created{"u1", "a@b.c"}, "u1", auth_origin());
  auto back = decode(encode(ev));
  REQUIRE(back);
  auto x = data_as<test::user_created>(*back);
  REQUIRE(x);
  CHECK(x->user_id == "u1");
  CHECK(x->email == "a@b.c");
}

TEST_CASE("data_as rejects another type and bad data", "[typed_event]") {
  auto ev = make_envelope(test::user_created{"u1", "a@b.c"}, "u1", auth_origin());
  auto wrong = data_as<test::user_deleted>(ev);
  REQUIRE_FALSE(wrong);
  CHECK(is(wrong.error(), errc::unknown_type));

  ev.data = R"({"user_id":5})";
  auto bad = data_as<test::user_created>(ev);
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid_data));
  CHECK_FALSE(error_message(bad.error()).empty());

  ev.data = "not json";
  CHECK(is(data_as<test::user_created>(ev).error(), errc::invalid_data));
}

TEST_CASE("the catalog knows registered types", "[catalog]") {
  catalog c;
  CHECK(c.size() == 0);
  c.add<test::user_deleted>("auth");
  c.add<test::user_created>("auth");
  CHECK(c.contains("test.user.created"));
  CHECK_FALSE(c.contains("test.user.renamed"));
  CHECK(c.find("test.user.renamed") == nullptr);
  const auto* e = c.find("test.user.created");
  REQUIRE(e != nullptr);
  CHECK(e->version == 2);
  CHECK(e->service == "auth");
  auto all = c.all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].type == "test.user.created"); // ordered by type name
  CHECK(all[1].type == "test.user.deleted");
  c.add<test::user_created>("other");
  CHECK(c.size() == 2);
  CHECK(c.find("test.user.created")->service == "other");
}
