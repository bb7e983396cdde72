#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/errc.hpp"

using namespace weft::events;
using json = nlohmann::json;

namespace {

envelope full_envelope() {
  envelope ev;
  ev.id = "0190b6f2-7c3a-7d2e-9a4b-1c2d3e4f5a6b";
  ev.source = "/weft/auth";
  ev.type = "auth.user.created";
  ev.time = "2026-11-21T23:51:44.123Z";
  ev.subject = "user-42";
  ev.datacontenttype = "application/json";
  ev.data = R"({"email":"a@b.c","roles":["user"]})";
  ev.correlationid = "req-1";
  ev.causationid = "0190b6f2-0000-7000-8000-000000000000";
  ev.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ev.dataversion = "1";
  return ev;
}

json minimal() {
  return json{{"id", "e1"}, {"source", "/weft/test"}, {"type", "t.x"}, {"specversion", "1.0"}};
}

// Decodes `j` and checks the error's code and that its context names `attr`.
void expect_error(const json& j, errc code, const std::string& attr) {
  auto res = decode(j.dump());
  REQUIRE_FALSE(res);
  CHECK(is(res.error(), code));
  CHECK(error_attribute(res.error()) == attr);
  CHECK_FALSE(error_message(res.error()).empty());
  CHECK(caf::to_string(res.error()).find('"' + attr + '"') != std::string::npos);
}

} // namespace

TEST_CASE("a full envelope round-trips through encode and decode", "[codec]") {
  auto ev = full_envelope();
  auto res = decode(encode(ev));
  REQUIRE(res);
  CHECK(*res == ev);
  auto j = encode_json(ev);
  CHECK(j["data"]["roles"][0] == "user");
  CHECK(j["specversion"] == "1.0");
}

TEST_CASE("data of every JSON kind round-trips", "[codec]") {
  for (std::string data : {R"({"a":1})", R"([1,2,{"b":null}])", R"("text")", "42", "true",
                           "3.5", "{}", "[]"}) {
    auto ev = full_envelope();
    ev.data = data;
    auto res = decode(encode(ev));
    REQUIRE(res);
    CHECK(res->data == data);
  }
}

TEST_CASE("absent data decodes to null and is omitted when encoding", "[codec]") {
  auto res = decode(minimal().dump());
  REQUIRE(res);
  CHECK(res->data == "null");
  CHECK_FALSE(encode_json(*res).contains("data"));
  CHECK(decode(encode(*res))->data == "null");
}

TEST_CASE("data that is not JSON is encoded as a JSON string", "[codec]") {
  auto ev = full_envelope();
  ev.data = "not json {";
  auto j = encode_json(ev);
  CHECK(j["data"] == "not json {");
}

TEST_CASE("empty optional attributes are omitted", "[codec]") {
  envelope ev;
  ev.id = "e1";
  ev.source = "/weft/x";
  ev.type = "x.y";
  ev.datacontenttype.clear();
  auto j = encode_json(ev);
  for (auto key : {"time", "subject", "datacontenttype", "correlationid", "causationid",
                   "traceparent", "dataversion"})
    CHECK_FALSE(j.contains(key));
  CHECK(j.size() == 5); // four required attributes and data "{}"
}

TEST_CASE("decoding applies the defaults of absent optional attributes", "[codec]") {
  auto j = minimal();
  j["subject"] = nullptr; // null counts as absent
  j["someextension"] = 5; // unknown extensions are ignored
  auto res = decode(j.dump());
  REQUIRE(res);
  CHECK(res->subject.empty());
  CHECK(res->datacontenttype == "application/json");
  CHECK(res->time.empty());
}

TEST_CASE("a missing required attribute is named in the error", "[codec]") {
  for (auto attr : {"id", "source", "type", "specversion"}) {
    auto j = minimal();
    j.erase(attr);
    expect_error(j, errc::missing_attribute, attr);
  }
}

TEST_CASE("a required attribute of the wrong type is named in the error", "[codec]") {
  for (auto attr : {"id", "source", "type", "specversion"}) {
    for (json bad : {json(1), json(true), json::array(), json::object(), json(nullptr)}) {
      auto j = minimal();
      j[attr] = bad;
      expect_error(j, errc::wrong_type, attr);
    }
  }
}

TEST_CASE("an empty required attribute is invalid", "[codec]") {
  for (auto attr : {"id", "source", "type"}) {
    auto j = minimal();
    j[attr] = "";
    expect_error(j, errc::invalid_value, attr);
  }
}

TEST_CASE("an optional attribute of the wrong type is named in the error", "[codec]") {
  for (auto attr : {"time", "subject", "datacontenttype", "correlationid", "causationid",
                    "traceparent", "dataversion"}) {
    for (json bad : {json(1), json(false), json::array({"x"}), json::object()}) {
      auto j = minimal();
      j[attr] = bad;
      expect_error(j, errc::wrong_type, attr);
    }
  }
}

TEST_CASE("specversion other than 1.0 is invalid", "[codec]") {
  for (auto v : {"0.3", "1", "1.0.0", "2.0"}) {
    auto j = minimal();
    j["specversion"] = v;
    expect_error(j, errc::invalid_value, "specversion");
  }
}

TEST_CASE("a time that is not RFC 3339 is invalid", "[codec]") {
  for (auto t : {"yesterday", "2026-11-21", "2026-11-21T23:51:44", "2026-13-01T00:00:00Z",
                 "2026-11-21 23:51:44Z", "2026-11-21T23:51:44.Z"}) {
    auto j = minimal();
    j["time"] = t;
    expect_error(j, errc::invalid_value, "time");
  }
  auto j = minimal();
  j["time"] = "2026-11-21T23:51:44+01:00";
  CHECK(decode(j.dump()));
}

TEST_CASE("data_base64 is rejected", "[codec]") {
  auto j = minimal();
  j["data_base64"] = "AAEC";
  expect_error(j, errc::invalid_value, "data_base64");
}

TEST_CASE("text that is not a JSON object is malformed", "[codec]") {
  for (auto text : {"", "not json", "{\"id\":", "[1,2,3]", "\"a string\"", "42", "null"}) {
    auto res = decode(text);
    REQUIRE_FALSE(res);
    CHECK(is(res.error(), errc::malformed_json));
    CHECK_FALSE(error_message(res.error()).empty());
  }
  auto res = decode("[]");
  CHECK(error_message(res.error()).find("array") != std::string::npos);
}

TEST_CASE("describe renders an events error", "[codec]") {
  auto j = minimal();
  j.erase("id");
  auto res = decode(j.dump());
  REQUIRE_FALSE(res);
  CHECK(describe(res.error()) == "events: missing_attribute (id): required attribute is missing");
  CHECK(std::string{to_string(errc::invalid_data)} == "invalid_data");
}
