#include <catch2/catch.hpp>

#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "runtime/api_error.hpp"
#include "runtime/backoff.hpp"
#include "runtime/cursor.hpp"
#include "runtime/error_text.hpp"
#include "runtime/problem.hpp"
#include "runtime/registry.hpp"
#include "runtime/route.hpp"
#include "runtime/route_kit.hpp"
#include "runtime/service_kit.hpp"

// The kit's shared mechanisms, each in one place: cursors, backoff,
// reasons, the registry and readiness, request errors, routes as data and
// typed event dispatch.
using namespace weft;
using nlohmann::json;

namespace {

struct page {
  std::vector<std::string> items;
  std::string next;
};

/// A unit of work that records emitted events; nothing else (the stores
/// have their own tests).
struct recording_unit final : unit_of_work {
  std::vector<events::envelope> emitted;
  store_kind kind() const override { return store_kind::memory; }
  void emit(events::envelope ev) override { emitted.push_back(std::move(ev)); }
  caf::expected<std::optional<idempotency_record>> find_answer(std::string_view,
                                                               std::string_view) override {
    return std::optional<idempotency_record>{};
  }
  caf::error record_answer(const idempotency_record&) override { return {}; }
  caf::expected<bool> record_delivery(std::string_view, std::string_view) override { return true; }
  caf::expected<int64_t> prune_deliveries(int64_t, int64_t) override { return 0; }
  caf::expected<int64_t> prune_answers(int64_t) override { return 0; }
};

struct thing_done {
  static constexpr std::string_view type_name = "test.thing.done";
  static constexpr int version = 3;
  std::string what;
  static auto describe() {
    return wire::object<thing_done>("test.thing_done", "", wire::field("what", &thing_done::what));
  }
};
WEFT_WIRE(thing_done)

using test_events = events::event_list<thing_done>;

} // namespace

TEST_CASE("cursors are opaque and only ours decode", "[kit][cursor]") {
  auto c = cursor::encode("42");
  CHECK(c != "42");
  CHECK(*cursor::decode(c) == "42");
  CHECK(*cursor::decode_number(c) == 42);
  CHECK(*cursor::decode_number("") == 0);
  CHECK(cursor::decode_uuid("")->empty());
  auto id = std::string{"0190f0a0-0000-7000-8000-000000000001"};
  CHECK(*cursor::decode_uuid(cursor::encode(id)) == id);
  // (Strings, not pointers: a temporary's c_str() dangled here; ASan found it.)
  for (const auto& bad : {std::string{"!!"}, std::string{"a="}, std::string(300, 'a')})
    CHECK(is_api_error(cursor::decode(bad).error(), api_errc::bad_request));
  CHECK(is_api_error(cursor::decode_number(cursor::encode("x1")).error(), api_errc::bad_request));
  CHECK(is_api_error(cursor::decode_uuid(cursor::encode("42")).error(), api_errc::bad_request));
}

TEST_CASE("page_of cuts at the limit and names where the next page starts", "[kit][cursor]") {
  auto view = [](const std::string& s) { return s; };
  auto key = [](const std::string& s) { return s; };
  auto p = cursor::page_of<page>(std::vector<std::string>{"a", "b", "c"}, 2, view, key);
  CHECK(p.items == std::vector<std::string>{"a", "b"});
  CHECK(*cursor::decode(p.next) == "b");
  auto last = cursor::page_of<page>(std::vector<std::string>{"a", "b"}, 2, view, key);
  CHECK(last.next.empty());
}

TEST_CASE("backoff follows the steps, the last repeating, within +-20%", "[kit][backoff]") {
  std::minstd_rand rng{7};
  std::vector<uint32_t> steps{100, 1000};
  for (int i = 0; i < 200; ++i) {
    auto first = backoff_delay(steps, 1, rng).count();
    CHECK((first >= 80 && first <= 120));
    auto later = backoff_delay(steps, 9, rng).count();
    CHECK((later >= 800 && later <= 1200));
  }
  CHECK(backoff_delay(std::span<const uint32_t>{}, 3, rng).count() == 0);
  CHECK(backoff_delay(steps, 0, rng).count() <= 120);
}

TEST_CASE("reason_of gives one line for a failure", "[kit]") {
  CHECK(reason_of(caf::make_error(caf::sec::request_timeout)) == "ack timeout");
  CHECK(reason_of(api_error(api_errc::conflict, "taken", "/email")) == "taken: /email");
  CHECK_FALSE(reason_of(caf::make_error(caf::sec::runtime_error)).empty());
}

TEST_CASE("the registry resolves a service per request, readiness part by part", "[kit][registry]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  service_registry reg;
  service_decl d;
  d.name = "svc";
  route_decl r;
  r.path = "/x";
  route_decl edge;
  edge.path = "/y";
  edge.edge_only = true;
  d.routes = {r, edge};
  reg.declare(d);
  // Routes name their service; edge-only ones none.
  CHECK(reg.services()[0].routes[0].service == "svc");
  CHECK(reg.services()[0].routes[1].service.empty());
  CHECK_FALSE(reg.resolve("svc"));
  CHECK(reg.slot("svc") != nullptr);
  CHECK(reg.slot("nope") == nullptr);
  auto a = sys.spawn([] { return caf::behavior{[](int) {}}; });
  reg.bind("svc", a);
  CHECK(reg.resolve("svc") == a);
  reg.unbind("svc");
  CHECK_FALSE(reg.resolve("svc"));

  readiness ready;
  bool db = false;
  ready.add("database", [&] { return db; });
  ready.add("service svc", [&] { return static_cast<bool>(reg.resolve("svc")); });
  CHECK(ready.not_ready() == std::vector<std::string>{"database", "service svc"});
  db = true;
  reg.bind("svc", a);
  CHECK(ready.ready());
  reg.unbind_all();
  CHECK(ready.not_ready() == std::vector<std::string>{"service svc"});
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a request breaking its schema is a 400 listing every violation", "[kit][problem]") {
  auto p = problem_for(invalid_request({{"/a", "a is required"}, {"/b", "b must be a string"}}));
  CHECK(p.status == 400);
  CHECK(p.detail == "a is required");
  REQUIRE(p.errors.size() == 2);
  CHECK(p.errors[1].pointer == "/b");
  CHECK(p.errors[1].detail == "b must be a string");
}

TEST_CASE("routes are data: schemas from the wire types, no handle captured", "[kit][routes]") {
  using namespace route_kit;
  auto r = post("/things", "things.add", "Add a thing")
             .who(access::management)
             .body<thing_done>()
             .query<page_request>()
             .answers<thing_done>(201, [](const api_request&, thing_done t, page_request p) {
               return caf::make_message(std::move(t), p.limit);
             });
  CHECK(r.method == http_method::post);
  CHECK(r.who == access::management);
  CHECK(r.takes_body);
  CHECK(r.success_status == 201);
  CHECK(r.request_schema == wire::schema_of<thing_done>());
  CHECK(r.response_schema == wire::schema_of<thing_done>());
  CHECK(r.query_schema["properties"].contains("limit"));
  CHECK(r.service.empty()); // the registry names it
  CHECK_FALSE(r.edge_only);
  // A body that does not fit the wire type is a 400 naming the field.
  api_request bad;
  bad.body = {{"what", 5}};
  auto e = route_kit::body_as<thing_done>(bad);
  REQUIRE_FALSE(e);
  CHECK(problem_for(e.error()).errors[0].pointer == "/what");
}

TEST_CASE("typed dispatch decodes each event it handles and acks the rest", "[kit][dispatch]") {
  int calls = 0;
  kit::event_dispatch d;
  d.on<thing_done>([&](unit_of_work& w, const thing_done& t, const events::envelope& ev) {
    ++calls;
    CHECK(t.what == "x");
    w.emit(ev);
    return caf::error{};
  });
  CHECK(d.types() == std::vector<std::string>{"test.thing.done"});
  recording_unit w;
  auto ev = events::make_envelope(thing_done{"x"}, "s", events::origin{"test", "r", {}, {}});
  CHECK(ev.dataversion == "3");
  CHECK_FALSE(d(w, ev));
  CHECK(calls == 1);
  CHECK(w.emitted.size() == 1);
  events::envelope other = ev;
  other.type = "test.other";
  CHECK_FALSE(d(w, other));
  CHECK(calls == 1);
  events::envelope broken = ev;
  broken.data = R"({"what": 1})";
  auto err = d(w, broken);
  CHECK(events::is(err, events::errc::invalid_data)); // the bus dead-letters it
  auto decls = kit::publishes<test_events>();
  REQUIRE(decls.size() == 1);
  CHECK(decls[0].type == "test.thing.done");
  CHECK(decls[0].version == 3);
  CHECK(decls[0].schema == wire::schema_of<thing_done>());
}

TEST_CASE("a CSRF token matches only the session's own, never an empty one", "[kit]") {
  CHECK(weft::csrf_token_matches("abc", "abc"));
  CHECK_FALSE(weft::csrf_token_matches("abd", "abc"));
  CHECK_FALSE(weft::csrf_token_matches("ab", "abc"));
  CHECK_FALSE(weft::csrf_token_matches("x", ""));
  CHECK_FALSE(weft::csrf_token_matches("", "")); // no session token: nothing matches
}
