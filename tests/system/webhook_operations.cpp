// Operating webhook subscriptions on the real binary (both modes: [flow]):
// an exhausted delivery is dead-lettered on weft.dlq.webhooks and a redrive
// makes it pending again; a subscription failing for too long is disabled;
// pause and resume, redeliver and replay; the per-subscription metrics.
#include <atomic>

#include "tests/system/webhooks_common.hpp"

using namespace sys;

namespace {

json subscription(const weft_node& node, const std::string& token, const std::string& sub) {
  return node.get("/v1/subscriptions/" + sub, bearer(token)).json_or_null();
}

} // namespace

TEST_CASE("webhooks: an exhausted delivery is dead-lettered with its endpoint and reason, and "
          "redriving it sends it again",
          "[system][flow][webhooks]") {
  auto email = unique_email("lettered");
  std::atomic<bool> healthy{false};
  http_receiver receiver([&](size_t, const received_request&) {
    return receiver_answer{healthy ? 204 : 500, {}};
  });
  weft_node node(node_options(hooks_config(json::array({0, 20, 40}))));
  auto token = login_root(node).access;
  auto root = bearer(token);
  auto sub = subscribe(node, token, receiver.url()).id;
  register_user(node, email);
  REQUIRE(wait_until([&] { return about(receiver, email).size() >= 3; }, 15s));
  auto event_id = about(receiver, email)[0].headers.at("webhook-id");
  REQUIRE(wait_until([&] {
    auto d = delivery_of(node, token, sub, event_id);
    return d.is_object() && d.at("status") == "exhausted";
  }, 10s));

  // The letter: the event as it was sent, where to and why it failed.
  json letter;
  REQUIRE(wait_until([&] {
    auto r = node.get("/v1/consumers/webhooks/dead-letters?limit=500", root);
    for (auto& l : r.json_or_null().value("items", json::array()))
      if (l.at("event").value("id", "") == event_id)
        letter = l;
    return letter.is_object();
  }, 10s));
  CHECK(letter.at("endpoint") == receiver.url());
  CHECK(letter.at("subscription") == sub);
  CHECK(letter.at("reason").get<std::string>().find("500") != std::string::npos);
  CHECK(letter.at("deliveries") == 3);
  CHECK(letter.at("subject") == "weft.auth.user.created");
  CHECK(letter.at("event").at("data").at("email") == email);

  // Redriven: pending again, sent with the same webhook-id, and delivered.
  healthy = true;
  auto r = node.post("/v1/consumers/webhooks/dead-letters/redrive", {{"id", event_id}}, root);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("redriven") == 1);
  REQUIRE(wait_until([&] { return about(receiver, email).size() >= 4; }, 10s));
  CHECK(about(receiver, email)[3].headers.at("webhook-id") == event_id);
  REQUIRE(wait_until([&] {
    auto d = delivery_of(node, token, sub, event_id);
    return d.is_object() && d.at("status") == "delivered";
  }, 10s));
  auto left = node.get("/v1/consumers/webhooks/dead-letters?limit=500", root).json();
  for (auto& l : left.at("items"))
    CHECK(l.at("event").value("id", "") != event_id);
  // Nothing more: one redrive, one more attempt.
  CHECK_FALSE(wait_until([&] { return about(receiver, email).size() > 4; }, 500ms));
}

TEST_CASE("webhooks: a subscription failing without a success for disable_after_s is disabled, "
          "with an event and a metric",
          "[system][flow][webhooks]") {
  http_receiver receiver([](size_t, const received_request&) { return receiver_answer{503, {}}; });
  auto schedule = json::array();
  for (int i = 0; i < 20; ++i)
    schedule.push_back(i * 300); // attempts for 6 s, well past the 1 s allowed
  weft_node node(node_options(hooks_config(schedule, {{"disable_after_s", 1}})));
  auto token = login_root(node).access;
  auto sub = subscribe(node, token, receiver.url()).id;
  register_user(node, unique_email("failing"));
  REQUIRE(receiver.wait_count(1, 15s));
  CHECK(wait_until([&] { return !subscription(node, token, sub).value("failing_since", json()).is_null(); }, 10s));
  REQUIRE(wait_until([&] { return subscription(node, token, sub).value("enabled", true) == false; }, 15s));
  auto s = subscription(node, token, sub);
  CHECK(s.at("disabled_reason").get<std::string>().find("failing since") != std::string::npos);
  auto attempts = receiver.requests().size();
  CHECK(attempts >= 4); // 1 s of failures at 300 ms steps
  CHECK(attempts < 12);
  REQUIRE(wait_until([&] {
    auto r = node.get("/v1/audit?type=weft.webhook.subscription.disabled", bearer(token));
    for (auto& e : r.json_or_null().value("items", json::array()))
      if (e.at("data").value("subscription_id", "") == sub)
        return true;
    return false;
  }, 10s));
  CHECK(metric(node, "weft_webhook_subscriptions_disabled_total", {{"reason", "failing"}}) >= 1);
  CHECK(wait_until([&] { return metric(node, "weft_webhook_subscriptions_disabled") >= 1; }, 5s));
  // Disabled: nothing more is attempted.
  CHECK_FALSE(wait_until([&] { return receiver.requests().size() > attempts + 1; }, 700ms));
  // Enabled again: a fresh start.
  auto r = node.send("PATCH", "/v1/subscriptions/" + sub, R"({"enabled": true})",
                     "application/json", bearer(token));
  REQUIRE(r.status == 200);
  CHECK(r.json().at("disabled_reason").is_null());
  CHECK(r.json().at("failing_since").is_null());
}

TEST_CASE("webhooks: a paused subscription records events and sends them once resumed, "
          "redeliver and replay send an event again",
          "[system][flow][webhooks]") {
  auto email = unique_email("paused");
  http_receiver held([](size_t, const received_request&) { return receiver_answer{204, {}}; });
  http_receiver live([](size_t, const received_request&) { return receiver_answer{204, {}}; });
  weft_node node(node_options(hooks_config(json::array({0, 100, 200}))));
  auto token = login_root(node).access;
  auto auth = bearer(token);
  auto paused = subscribe(node, token, held.url()).id;
  auto other = subscribe(node, token, live.url()).id;
  auto p = node.post("/v1/subscriptions/" + paused + "/pause", json::object(), auth);
  REQUIRE(p.status == 200);
  CHECK(p.json().at("paused") == true);
  auto before = rfc3339(std::chrono::system_clock::now() - std::chrono::seconds{1});

  register_user(node, email);
  REQUIRE(wait_until([&] { return !about(live, email).empty(); }, 15s));
  auto event_id = about(live, email)[0].headers.at("webhook-id");
  // Recorded for the paused one too, but not sent: the other got it meanwhile.
  REQUIRE(wait_until([&] { return delivery_of(node, token, paused, event_id).is_object(); }, 10s));
  CHECK(delivery_of(node, token, paused, event_id).at("status") == "pending");
  CHECK(about(held, email).empty());
  CHECK(wait_until([&] {
    return metric(node, "weft_webhook_pending", {{"subscription", paused}}) >= 1
           && metric(node, "weft_webhook_subscriptions_paused") == 1;
  }, 5s));

  auto r = node.post("/v1/subscriptions/" + paused + "/resume", json::object(), auth);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("paused") == false);
  REQUIRE(wait_until([&] { return about(held, email).size() == 1; }, 10s));
  REQUIRE(wait_until([&] {
    auto d = delivery_of(node, token, paused, event_id);
    return d.is_object() && d.at("status") == "delivered";
  }, 10s));
  CHECK(wait_until([&] { return metric(node, "weft_webhook_pending", {{"subscription", paused}}) == 0; }, 5s));

  // Redeliver: once more, the same webhook-id, the schedule from the start.
  r = node.post("/v1/subscriptions/" + paused + "/deliveries/" + event_id + "/redeliver",
                json::object(), auth);
  INFO(r.body);
  REQUIRE(r.status == 202);
  REQUIRE(wait_until([&] { return about(held, email).size() == 2; }, 10s));
  CHECK(about(held, email)[1].headers.at("webhook-id") == event_id);
  REQUIRE(wait_until([&] {
    auto d = delivery_of(node, token, paused, event_id);
    return d.is_object() && d.at("status") == "delivered" && d.at("attempts") == 1;
  }, 10s));

  // Replay since a time before the event: everything recorded since goes again.
  r = node.post("/v1/subscriptions/" + paused + "/replay", {{"since", before}}, auth);
  REQUIRE(r.status == 202);
  CHECK(r.json().at("replayed") >= 1);
  REQUIRE(wait_until([&] { return about(held, email).size() == 3; }, 10s));
  CHECK(about(live, email).size() == 1); // the other subscription is left alone

  // Replay from a stream position: read from the stream, recorded or not.
  r = node.post("/v1/subscriptions/" + paused + "/replay", {{"from", "earliest"}}, auth);
  INFO(r.body);
  REQUIRE(r.status == 202);
  CHECK(r.json().at("replayed") >= 1);
  INFO("requests so far: " << held.requests().size());
  REQUIRE(wait_until([&] { return about(held, email).size() == 4; }, 10s));
  CHECK(about(held, email)[3].headers.at("webhook-id") == event_id);
  // A position past the event replays nothing of it.
  r = node.post("/v1/subscriptions/" + paused + "/replay", {{"from", "999999999"}}, auth);
  REQUIRE(r.status == 202);
  CHECK(r.json().at("replayed") == 0);

  // Bad requests.
  check_problem(node.post("/v1/subscriptions/" + paused + "/replay", {{"since", "yesterday"}}, auth), 400);
  check_problem(node.post("/v1/subscriptions/" + paused + "/deliveries/nope/redeliver", json::object(), auth), 404);
  check_problem(node.post("/v1/subscriptions/" + paused + "/replay", {{"since", 5}}, auth), 400);
  check_problem(node.post("/v1/subscriptions/" + paused + "/replay", {{"from", "nowhere"}}, auth), 400);
  check_problem(node.post("/v1/subscriptions/" + paused + "/replay", json::object(), auth), 400);
  check_problem(node.post("/v1/subscriptions/" + paused + "/replay",
                          {{"from", "earliest"}, {"since", before}}, auth), 400);
  check_problem(node.post("/v1/subscriptions/0191e5a0-0000-7000-8000-000000000000/pause", json::object(), auth), 404);

  CHECK(metric(node, "weft_webhook_attempts_total", {{"outcome", "delivered"}}) >= 4);
  CHECK(metric(node, "weft_webhook_attempt_duration_seconds_count") >= 4);
}
