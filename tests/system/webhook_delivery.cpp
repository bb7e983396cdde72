// Webhook deliveries on the real binary, to receivers the tests start
// (both modes: [flow]): retries until the receiver succeeds, with the same
// webhook-id and a valid signature each time (checked by an implementation
// of the specification written in the test support, not Weft's); 410 Gone
// disables the subscription; exhaustion emits its event; Retry-After is
// honoured; during a rotation both secrets sign.
#include "tests/system/common.hpp"

#include <atomic>

#include "tests/support/http_receiver.hpp"
#include "tests/system/webhooks_common.hpp"

using namespace sys;
using steady = std::chrono::steady_clock;

TEST_CASE("webhooks: a receiver failing its first attempts gets the event, signed, with the same "
          "webhook-id every time",
          "[system][flow][webhooks]") {
  auto email = unique_email("hooked");
  std::atomic<int> ours{0};
  http_receiver receiver([&](size_t, const received_request& q) {
    bool fail = q.body.find(email) != std::string::npos && ours++ < 2;
    return receiver_answer{fail ? 500 : 204, {}};
  });
  weft_node node(node_options(hooks_config()));
  auto root = login_root(node);
  auto sub = subscribe(node, root.access, receiver.url());
  register_user(node, email);
  REQUIRE(wait_until([&] { return about(receiver, email).size() >= 3; }, 15s));
  auto reqs = about(receiver, email);
  auto id = reqs[0].headers.at("webhook-id");
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  for (auto& r : reqs) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/hook");
    CHECK(r.headers.at("content-type") == "application/cloudevents+json");
    CHECK(r.headers.at("webhook-id") == id);
    auto ts = r.headers.at("webhook-timestamp");
    CHECK(std::abs(std::stoll(ts) - now_s) < 120);
    CHECK(verify_standard_webhook(sub.secret, id, ts, r.body, r.headers.at("webhook-signature")));
    auto ev = json::parse(r.body);
    CHECK(ev.at("id") == id);
    CHECK(ev.at("type") == "auth.user.created");
    CHECK(ev.at("data").at("email") == email);
  }
  // Not a valid signature under another secret, nor of another body.
  CHECK_FALSE(verify_standard_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id,
                                      reqs[0].headers.at("webhook-timestamp"), reqs[0].body,
                                      reqs[0].headers.at("webhook-signature")));
  CHECK_FALSE(verify_standard_webhook(sub.secret, id, reqs[0].headers.at("webhook-timestamp"),
                                      reqs[0].body + " ", reqs[0].headers.at("webhook-signature")));
  // The deliveries say so; no attempt after the success.
  REQUIRE(wait_until([&] {
    auto d = deliveries(node, root.access, sub.id);
    return d.size() == 1 && d[0].at("status") == "delivered";
  }, 10s));
  auto d = deliveries(node, root.access, sub.id)[0];
  CHECK(d.at("attempts") == 3);
  CHECK(d.at("last_code") == 204);
  CHECK(d.at("event_id") == id);
  CHECK_FALSE(wait_until([&] { return about(receiver, email).size() > 3; }, 500ms));
}

TEST_CASE("webhooks: 410 Gone disables the subscription at once", "[system][flow][webhooks]") {
  http_receiver receiver([](size_t, const received_request&) { return receiver_answer{410, {}}; });
  weft_node node(node_options(hooks_config()));
  auto root = login_root(node);
  auto sub = subscribe(node, root.access, receiver.url());
  register_user(node, unique_email("gone"));
  REQUIRE(receiver.wait_count(1, 15s));
  REQUIRE(wait_until([&] {
    return node.get("/v1/subscriptions/" + sub.id, bearer(root.access)).json().at("enabled") == false;
  }, 10s));
  CHECK(deliveries(node, root.access, sub.id)[0].at("status") == "gone");
  register_user(node, unique_email("gone"));
  CHECK_FALSE(receiver.wait_count(2, 1s)); // disabled: nothing more is sent
}

TEST_CASE("webhooks: after the last attempt the delivery is exhausted and an event says so",
          "[system][flow][webhooks]") {
  http_receiver receiver([](size_t, const received_request&) { return receiver_answer{500, {}}; });
  weft_node node(node_options(hooks_config(json::array({0, 50, 100}))));
  auto root = login_root(node);
  auto sub = subscribe(node, root.access, receiver.url());
  register_user(node, unique_email("tired"));
  REQUIRE(receiver.wait_count(3, 15s));
  REQUIRE(wait_until([&] {
    auto d = deliveries(node, root.access, sub.id);
    return !d.empty() && d[0].at("status") == "exhausted";
  }, 10s));
  auto d = deliveries(node, root.access, sub.id)[0];
  CHECK(d.at("attempts") == 3);
  CHECK(d.at("last_code") == 500);
  CHECK_FALSE(receiver.wait_count(4, 500ms));
  // The event reaches the audit trail.
  REQUIRE(wait_until([&] {
    auto r = node.get("/v1/audit?type=weft.webhook.attempt.exhausted", bearer(root.access));
    auto j = r.json_or_null();
    return j.is_object() && !j["items"].empty();
  }, 10s));
}

TEST_CASE("webhooks: Retry-After on a 503 is honoured, during a rotation both secrets sign",
          "[system][flow][webhooks]") {
  auto email = unique_email("later");
  std::atomic<bool> refused{false};
  http_receiver receiver([&](size_t, const received_request& q) {
    if (q.body.find(email) != std::string::npos && !refused.exchange(true))
      return receiver_answer{503, {{"Retry-After", "1"}}};
    return receiver_answer{204, {}};
  });
  weft_node node(node_options(hooks_config(json::array({0, 10, 20}))));
  auto root = login_root(node);
  auto sub = subscribe(node, root.access, receiver.url());
  auto rotated = node.post("/v1/subscriptions/" + sub.id + "/rotate-secret", json::object(), bearer(root.access));
  REQUIRE(rotated.status == 200);
  auto fresh = rotated.json().at("secret").get<std::string>();
  register_user(node, email);
  REQUIRE(wait_until([&] { return about(receiver, email).size() >= 2; }, 15s));
  auto reqs = about(receiver, email);
  CHECK(reqs[1].at - reqs[0].at >= 900ms); // not the 10 ms of the schedule
  for (auto& r : reqs) {
    auto sig = r.headers.at("webhook-signature");
    CHECK(sig.find(' ') != std::string::npos); // two signatures
    CHECK(verify_standard_webhook(fresh, r.headers.at("webhook-id"), r.headers.at("webhook-timestamp"), r.body, sig));
    CHECK(verify_standard_webhook(sub.secret, r.headers.at("webhook-id"), r.headers.at("webhook-timestamp"), r.body, sig));
  }
}

TEST_CASE("webhooks: an ordered subscription sends one subject's events one at a time, in order, "
          "through a failure",
          "[system][flow][webhooks]") {
  // The first attempt at this user's `created` fails: the same user's next
  // event must wait for it.
  auto email = unique_email("ordered");
  std::atomic<bool> failed{false};
  http_receiver receiver([&](size_t, const received_request& q) {
    bool first = q.body.find(email) != std::string::npos && !failed.exchange(true);
    return receiver_answer{first ? 500 : 204, {}};
  });
  weft_node node(node_options(hooks_config(json::array({0, 400, 800}))));
  auto root = login_root(node);
  auto r = node.post("/v1/subscriptions",
                     {{"sink", receiver.url()}, {"types", {"auth.user.*"}}, {"ordered", true}},
                     bearer(root.access));
  REQUIRE(r.status == 201);
  auto id = register_user(node, email).at("id").get<std::string>();
  login(node, email); // auth.user.login, same subject, while created waits out its retry
  // Only this user's events count (root's login may be matched too, when
  // the inbox reads it after the subscription exists).
  auto ours = [&] {
    std::vector<std::string> types;
    for (auto& q : receiver.requests()) {
      auto ev = json::parse(q.body);
      if (ev.at("subject") == id)
        types.push_back(ev.at("type").get<std::string>());
    }
    return types;
  };
  bool three = wait_until([&] { return ours().size() >= 3; }, 15s);
  // What arrived, for a failure's report (it failed once under CI load, unexplained).
  std::string seen;
  for (auto& t : ours())
    seen += t + " ";
  INFO("received, in order: " << seen << "(requests in all: " << receiver.requests().size() << ")");
  REQUIRE(three);
  CHECK(ours() == std::vector<std::string>{"auth.user.created", "auth.user.created", "auth.user.login"});
}

TEST_CASE("webhooks: a deleted subscription's deliveries stop", "[system][flow][webhooks]") {
  http_receiver receiver([](size_t, const received_request&) { return receiver_answer{500, {}}; });
  weft_node node(node_options(hooks_config(json::array({0, 1000, 1500, 2000}))));
  auto root = login_root(node);
  auto sub = subscribe(node, root.access, receiver.url());
  register_user(node, unique_email("deleted"));
  REQUIRE(receiver.wait_count(1, 15s));
  REQUIRE(node.client().del("/v1/subscriptions/" + sub.id, bearer(root.access)).status == 204);
  auto seen = receiver.count();
  CHECK_FALSE(receiver.wait_count(seen + 1, 2500ms)); // retries were due within that
}
