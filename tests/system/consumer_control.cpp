// The consumers' control plane on the real binary (both modes: [flow]):
// pause and resume a service's inbox, list and redrive its dead letters, over
// REST and through the `weft` commands that call a running node, and `weft
// events tail`.
#include "tests/system/notifications_common.hpp"

#include <csignal>

using namespace sys;

namespace {

/// `weft <args> --url <node> --token <token>`.
run_result weft_cli(const weft_node& node, const std::string& token, std::vector<std::string> args) {
  args.insert(args.end(), {"--url", node.base_url(), "--token", token});
  return run_weft(WEFT_BINARY, std::move(args), {}, 30s);
}

json consumer(const weft_node& node, const http_headers& root, const std::string& name) {
  auto r = node.get("/v1/consumers", root);
  for (auto& c : r.json_or_null().value("items", json::array()))
    if (c.value("name", "") == name)
      return c;
  return nullptr;
}

bool in_trail(const weft_node& node, const http_headers& root, const std::string& request_id) {
  auto r = node.get("/v1/audit?limit=500", root);
  for (auto& e : r.json_or_null().value("items", json::array()))
    if (e.value("correlationid", "") == request_id)
      return true;
  return false;
}

} // namespace

TEST_CASE("consumers: a paused inbox takes nothing until resumed while the others go on, root only",
          "[system][flow][consumers]") {
  weft_node node(node_options());
  auto token = login_root(node).access;
  auto root = bearer(token);
  auto audit = consumer(node, root, "audit");
  REQUIRE(audit.is_object());
  CHECK(audit.at("paused") == false);
  CHECK(consumer(node, root, "notifications").is_object());

  // Paused through the command line.
  auto r = weft_cli(node, token, {"consumers", "pause", "audit"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out).at("paused") == true);
  CHECK(consumer(node, root, "audit").at("paused") == true);

  auto email = unique_email("paused");
  auto reg = node.post("/v1/auth/register", {{"email", email}, {"password", user_password}},
                       {{"X-Request-Id", "while-paused"}});
  REQUIRE(reg.status == 201);
  // The notifications inbox takes the event; the audit inbox holds it.
  auto user = login(node, email);
  REQUIRE(wait_until([&] {
    auto n = node.get("/v1/notifications", bearer(user.access)).json_or_null();
    return n.is_object() && !n.value("items", json::array()).empty();
  }, 15s));
  CHECK(wait_until([&] { return consumer(node, root, "audit").value("pending", 0) >= 1; }, 10s));
  // The lag shows in the metrics too.
  CHECK(wait_until([&] {
    return metric(node, "weft_consumer_paused", {{"consumer", "audit"}}) == 1
           && metric(node, "weft_consumer_pending", {{"consumer", "audit"}}) >= 1;
  }, 10s));
  CHECK_FALSE(in_trail(node, root, "while-paused"));

  r = weft_cli(node, token, {"consumers", "resume", "audit"});
  REQUIRE(r.exit_code == 0);
  CHECK(wait_until([&] { return in_trail(node, root, "while-paused"); }, 15s));
  CHECK(consumer(node, root, "audit").at("paused") == false);
  CHECK(wait_until([&] { return metric(node, "weft_consumer_paused", {{"consumer", "audit"}}) == 0; }, 10s));

  // Bad input and who may.
  check_problem(node.post("/v1/consumers/nobody/pause", json::object(), root), 404);
  check_problem(node.get("/v1/consumers", bearer(user.access)), 403);
  check_problem(node.get("/v1/consumers"), 401);
  r = weft_cli(node, token, {"consumers", "pause", "nobody"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no consumer nobody") != std::string::npos);
  r = weft_cli(node, "not-a-token", {"consumers", "list"});
  CHECK(r.exit_code == 1);
  r = run_weft(WEFT_BINARY, {"consumers", "frobnicate"}, {}, 10s);
  CHECK(r.exit_code == 2);
}

TEST_CASE("consumers: a dead letter of an inbox is listed and redriven, and applied once",
          "[system][flow][consumers]") {
  // The notifications handler fails the first three `created` events it
  // sees: with max_deliver 3 that event is dead-lettered (the user gets no
  // welcome note) until it is redriven.
  weft_node node(node_options({
    {"faults", {{"rules", {{{"handler", "notifications"}, {"mode", "fail"}, {"first", 3}, {"type", "auth.user.created"}}}}}},
    {"bus", {{"backoff_ms", {10}}, {"max_deliver", 3}}},
  }));
  auto token = login_root(node).access;
  auto root = bearer(token);
  auto before = rfc3339(std::chrono::system_clock::now() - std::chrono::seconds{1});
  register_user(node, unique_email("letter"));

  // Listed over REST and by `weft dlq list`.
  json letters;
  REQUIRE(wait_until([&] {
    letters = node.get("/v1/consumers/notifications/dead-letters", root).json_or_null().value("items", json::array());
    return !letters.empty();
  }, 20s));
  REQUIRE(letters.size() == 1);
  auto letter = letters[0];
  CHECK(letter.at("event").at("type") == "auth.user.created");
  CHECK(letter.at("deliveries") == 3);
  CHECK(letter.at("reason").get<std::string>().find("injected") != std::string::npos);
  CHECK(letter.at("subject") == "weft.auth.user.created");
  CHECK(letter.at("endpoint").is_null());
  auto user_token = token_for(letter.at("event").at("data").at("user_id").get<std::string>());
  auto r = weft_cli(node, token, {"dlq", "list", "notifications"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto line = json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(line.at("event").at("id") == letter.at("event").at("id"));
  CHECK(notes_of(node, user_token).welcome == 0);

  // A redrive with another id takes nothing; bad input is refused.
  r = weft_cli(node, token, {"dlq", "redrive", "notifications", "--id", "no-such-event"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(": 0 dead letters") != std::string::npos);
  check_problem(node.post("/v1/consumers/notifications/dead-letters/redrive", {{"since", "soon"}}, root), 400);
  check_problem(node.get("/v1/consumers/notifications/dead-letters?cursor=zzz", root), 400);
  // (A consumer not subscribed here may still have letters: its name lists them.)
  CHECK(node.get("/v1/consumers/nobody/dead-letters", root).json().at("items").empty());

  // Redriven (the fault's three failures are used up): applied, once.
  r = weft_cli(node, token, {"dlq", "redrive", "notifications", "--since", before});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(": 1 dead letters") != std::string::npos);
  REQUIRE(wait_until([&] { return notes_of(node, user_token).welcome == 1; }, 15s));
  CHECK(node.get("/v1/consumers/notifications/dead-letters", root).json().at("items").empty());
  r = weft_cli(node, token, {"dlq", "redrive", "notifications"});
  CHECK(r.out.find(": 0 dead letters") != std::string::npos);
  CHECK(notes_of(node, user_token).welcome == 1);
}

TEST_CASE("weft events tail prints the stream's events as JSON lines, filtered, from a position",
          "[system][flow][consumers]") {
  weft_node node(node_options());
  auto token = login_root(node).access;
  auto email = unique_email("tailed");
  register_user(node, email);
  login(node, email);
  temp_dir dir("weft-tail");
  child_options o;
  o.args = {"events", "tail", "--types", "auth.user.created", "--from", "earliest",
            "--url", node.base_url(), "--token", token};
  o.unset_env = weft_env_to_unset(); // the test's own WEFT_TEST_* are no config keys
  o.stdout_path = dir / "out";
  o.stderr_path = dir / "err";
  child_process tail(WEFT_BINARY, o);
  REQUIRE(wait_until([&] { return tail.stdout_text().find(email) != std::string::npos; }, 15s));
  // One more, after it started: it keeps printing.
  auto later = unique_email("tailed-later");
  register_user(node, later);
  REQUIRE(wait_until([&] { return tail.stdout_text().find(later) != std::string::npos; }, 15s));
  tail.send_signal(SIGTERM);
  auto code = tail.wait_for(10s);
  CHECK(code == std::optional<int>{0});
  auto text = tail.stdout_text();
  size_t lines = 0;
  for (size_t at = 0, next; (next = text.find('\n', at)) != std::string::npos; at = next + 1) {
    auto ev = json::parse(text.substr(at, next - at));
    CHECK(ev.at("type") == "auth.user.created"); // the filter: no logins
    CHECK(ev.at("specversion") == "1.0");
    ++lines;
  }
  CHECK(lines >= 2);

  // Straight from NATS (durable mode: there is a NATS), without the node.
  if (durable_mode()) {
    child_options n;
    n.args = {"events", "tail", "--nats", node.config()["nats"]["url"].get<std::string>(),
              "--from", "earliest", "--types", "auth.user.*"};
    n.unset_env = weft_env_to_unset();
    n.stdout_path = dir / "nats-out";
    n.stderr_path = dir / "nats-err";
    child_process from_nats(WEFT_BINARY, n);
    REQUIRE(wait_until([&] {
      auto t = from_nats.stdout_text();
      return t.find(email) != std::string::npos && t.find(later) != std::string::npos;
    }, 15s));
    from_nats.send_signal(SIGTERM);
    CHECK(from_nats.wait_for(10s) == std::optional<int>{0});
    auto t = from_nats.stdout_text();
    CHECK(t.find("auth.user.login") != std::string::npos); // auth.user.*: logins too
    CHECK(t.find("auth.apikey") == std::string::npos);
  }
}
