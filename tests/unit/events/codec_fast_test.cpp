#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/codec_fast.hpp"

// The fast path of the codec must give exactly what the general path
// (nlohmann::json) gives, or decline: checked here against the general path.
using namespace weft::events;
using json = nlohmann::json;

namespace {

std::string general_encode(const envelope& ev) {
  return encode_json(ev).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string general_decode(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error&) {
    return "malformed";
  }
  auto ev = decode_json(j);
  return ev ? encode_json(*ev).dump() + "|" + ev->data : caf::to_string(ev.error());
}

envelope base() {
  envelope ev;
  ev.id = "0190b6f2-7c3a-7d2e-9a4b-1c2d3e4f5a6b";
  ev.source = "/weft/auth";
  ev.type = "auth.user.created";
  ev.time = "2026-11-21T23:51:44.123Z";
  ev.subject = "user-42";
  ev.data = R"({"email":"a@b.c","roles":["user"]})";
  ev.correlationid = "req-1";
  return ev;
}

/// A random JSON value of the kinds events carry (some the fast path declines).
json random_json(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind{0, depth > 3 ? 5 : 8};
  std::vector<std::string> words{"a", "b", "Z", "_x", "key", "k\"q", "a b", "\t", "\x01",
                                 "\\", "/", "é", "line\nbreak", "\x7f"};
  auto word = [&] { return words[std::uniform_int_distribution<size_t>{0, words.size() - 1}(rng)]; };
  switch (kind(rng)) {
    case 0: return nullptr;
    case 1: return std::uniform_int_distribution<int>{0, 1}(rng) == 1;
    case 2: return std::uniform_int_distribution<int64_t>{-1000000000000, 1000000000000}(rng);
    case 3: return std::uniform_real_distribution<double>{-10, 10}(rng);
    case 4:
    case 5: return word();
    case 6:
    case 7: {
      json o = json::object();
      int n = std::uniform_int_distribution<int>{0, 4}(rng);
      for (int i = 0; i < n; ++i)
        o[word()] = random_json(rng, depth + 1);
      return o;
    }
    default: {
      json a = json::array();
      int n = std::uniform_int_distribution<int>{0, 4}(rng);
      for (int i = 0; i < n; ++i)
        a.push_back(random_json(rng, depth + 1));
      return a;
    }
  }
}

} // namespace

TEST_CASE("canonical JSON is what dump() writes back unchanged", "[codec]") {
  for (std::string s : {"{}", "[]", "0", "-7", "123456789012345678", "true", "false", "null",
                        R"("")", R"("a\"b\\c\n\t\u001f")", R"({"a":1,"b":[1,{"c":null}]})",
                        R"(["x",-1,{}])"}) {
    INFO(s);
    CHECK(fast::is_canonical_json(s));
    CHECK(json::parse(s).dump() == s);
  }
  for (std::string s : {R"({"b":1,"a":2})", R"({"a":1,"a":2})", R"({ "a":1})", "1.5", "1e3",
                        "-0", "01", "1234567890123456789", R"("\/")", R"("\u0041")",
                        R"("\u000a")", "\"caf\xc3\xa9\"", R"({"k\"":1})", "[1,]", "{", "",
                        "nul", R"("a)", "[1 ]"}) {
    INFO(s);
    CHECK_FALSE(fast::is_canonical_json(s));
  }
}

TEST_CASE("random JSON: canonical text always parses and dumps to itself", "[codec]") {
  std::mt19937 rng{42};
  int canonical = 0;
  for (int i = 0; i < 3000; ++i) {
    auto text = random_json(rng, 0).dump(-1, ' ', false, json::error_handler_t::replace);
    INFO(text);
    if (fast::is_canonical_json(text)) {
      ++canonical;
      CHECK(json::parse(text).dump() == text);
    }
  }
  CHECK(canonical > 500); // the check covers something
}

TEST_CASE("fast encode writes the general path's bytes or declines", "[codec]") {
  std::mt19937 rng{7};
  std::vector<envelope> cases;
  cases.push_back(base());
  auto e = base();
  e.causationid = "c";
  e.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  e.dataversion = "2";
  e.datacontenttype.clear();
  cases.push_back(e);
  for (std::string data : {"", "null", "{}", "not json {", R"({"b":1,"a":2})", "3.5", "42",
                           R"("text")", R"([1,2,{"b":null}])"}) {
    e = base();
    e.data = data;
    cases.push_back(e);
  }
  for (std::string odd : {"", "with \"quotes\" and \\", "tab\tline\nctl\x01", "café", "\x7f"}) {
    e = base();
    e.subject = odd;
    e.id = odd;
    cases.push_back(e);
  }
  for (int i = 0; i < 500; ++i) {
    e = base();
    e.data = random_json(rng, 0).dump();
    cases.push_back(e);
  }
  int fast_ones = 0;
  for (const auto& ev : cases) {
    INFO(ev.data << " / " << ev.subject);
    if (auto text = fast::encode(ev)) {
      ++fast_ones;
      CHECK(*text == general_encode(ev));
    }
    CHECK(encode(ev) == general_encode(ev));
  }
  CHECK(fast_ones > 100);
}

TEST_CASE("fast decode gives the general path's envelope or declines", "[codec]") {
  std::mt19937 rng{11};
  std::vector<std::string> texts;
  auto ev = base();
  texts.push_back(general_encode(ev));
  texts.push_back(encode_json(ev).dump(2)); // whitespace everywhere
  texts.push_back(" " + general_encode(ev) + "\n");
  auto j = encode_json(ev);
  j["data"] = json::parse(R"({"b":1,"a":2.5})");
  texts.push_back(j.dump());
  for (const char* drop : {"id", "source", "type", "specversion", "time", "data", "subject"}) {
    auto k = encode_json(ev);
    k.erase(drop);
    texts.push_back(k.dump());
  }
  for (auto [key, value] : std::vector<std::pair<std::string, json>>{
         {"id", ""}, {"id", 5}, {"specversion", "0.3"}, {"time", "yesterday"},
         {"subject", nullptr}, {"subject", 3}, {"data_base64", "AA=="}, {"ext", "x"},
         {"subject", "caf\xc3\xa9"}, {"subject", "a\"b"}, {"data", "text"}, {"data", nullptr}}) {
    auto k = encode_json(ev);
    k[key] = value;
    texts.push_back(k.dump());
  }
  for (std::string raw : {"", "[]", "{}", "{", "nope", R"({"id":"a","id":"b"})",
                          R"({"id":"e","source":"/s","type":"t","specversion":"1.0"} x)",
                          R"({"id":"e","source":"/s","type":"t","specversion":"1.0","data":[1,}]})",
                          R"({"id":"e","source":"/s","type":"t","specversion":"1.0","data":tru})"})
    texts.push_back(raw);
  for (int i = 0; i < 500; ++i) {
    auto k = encode_json(ev);
    k["data"] = random_json(rng, 0);
    texts.push_back(k.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  int fast_ones = 0;
  for (const auto& text : texts) {
    INFO(text);
    auto expected = general_decode(text);
    if (auto got = fast::decode(text)) {
      ++fast_ones;
      CHECK(encode_json(*got).dump() + "|" + got->data == expected);
    }
    auto res = decode(text);
    if (expected == "malformed")
      CHECK_FALSE(res);
    else
      CHECK((res ? encode_json(*res).dump() + "|" + res->data : caf::to_string(res.error()))
            == expected);
  }
  CHECK(fast_ones > 100);
}
