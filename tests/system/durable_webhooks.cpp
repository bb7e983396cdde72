// Webhook deliveries through faults, on PostgreSQL and JetStream: the
// receiver down for a while, the node killed with SIGKILL mid-delivery and
// started again, nats-server killed and started again. Every event reaches
// the receiver and ends `delivered` (answered 204), and any duplicate
// carries the same webhook-id as the first request.
#include "tests/system/durable_common.hpp"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "tests/support/http_receiver.hpp"

using namespace sys;

TEST_CASE("webhooks: receiver down, node SIGKILLed mid-delivery, nats-server restarted: every "
          "event delivered, duplicates only with the same webhook-id",
          "[durable][webhooks]") {
  durable_servers s;
  std::atomic<bool> down{true};
  http_receiver receiver([&](size_t, const received_request&) {
    return receiver_answer{down ? 503 : 204, {}};
  });
  auto schedule = json::array();
  for (int i = 0; i < 40; ++i)
    schedule.push_back(i * 250); // a failure is tried again every 250 ms for 10 s
  weft_node node(durable_options(s, {{"webhooks", {{"allow_hosts", {"127.0.0.1"}},
                                                   {"retry_schedule_ms", schedule},
                                                   {"poll_ms", 20},
                                                   {"lease_ms", 1500}}}}));
  auto token = login_root(node).access;
  auto r = node.post("/v1/subscriptions", {{"sink", receiver.url()}, {"types", {"auth.user.created"}}},
                     bearer(token));
  REQUIRE(r.status == 201);

  const std::string tag = "hookfault" + std::to_string(::getpid());
  std::vector<std::string> emails;
  auto register_some = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto email = unique_email(tag);
      auto reg = node.post("/v1/auth/register", {{"email", email}, {"password", user_password}});
      if (reg.status == 201)
        emails.push_back(email);
    }
  };
  auto answered = [&] { // email -> the webhook-ids its requests carried
    std::map<std::string, std::set<std::string>> ids;
    for (auto& q : receiver.requests()) {
      auto ev = json::parse(q.body, nullptr, false);
      if (!ev.is_object() || ev.value("type", "") != "auth.user.created")
        continue;
      auto email = ev["data"].value("email", "");
      if (email.find(tag) == std::string::npos)
        continue;
      ids[email].insert(q.headers.at("webhook-id"));
    }
    return ids;
  };

  // The receiver is down: the first events are tried and fail.
  register_some(20);
  REQUIRE(receiver.wait_count(20, 20s));
  // Up again: deliveries go through; the node is killed while they do.
  down = false;
  register_some(20);
  REQUIRE(wait_until([&] { return answered().size() >= 5; }, 20s));
  node.kill();
  node.start();
  REQUIRE(node.wait_ready(60s));
  // nats-server killed and started again while more events are written.
  s.nats.kill();
  std::thread writer{[&] { register_some(20); }};
  s.nats.start();
  writer.join();
  REQUIRE(wait_until([&] { return node.get("/health/ready").status == 200; }, 30s));
  register_some(10);

  // Every event reached the receiver, each under one webhook-id however
  // often it was sent.
  std::map<std::string, std::set<std::string>> ids;
  bool all = wait_until([&] {
    ids = answered();
    return ids.size() >= emails.size();
  }, 60s);
  INFO("emails " << emails.size() << ", received " << ids.size());
  CHECK(all);
  for (auto& e : emails) {
    INFO(e);
    REQUIRE(ids.count(e) == 1);
    CHECK(ids[e].size() == 1); // duplicates only with the same webhook-id
  }
  // And each was answered 204 at last: every delivery of the subscription
  // is `delivered` (none left pending or exhausted).
  auto sub = r.json().at("id").get<std::string>();
  CHECK(wait_until([&] {
    auto d = get_all_pages(node, "/v1/subscriptions/" + sub + "/deliveries", bearer(token), 500);
    size_t delivered = 0;
    for (auto& x : d)
      delivered += x.value("status", "") == "delivered" ? 1 : 0;
    return delivered == d.size() && d.size() >= emails.size();
  }, 60s));
}
