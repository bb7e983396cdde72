#pragma once

// What the webhook system tests share: the node's webhooks section for
// tests, subscribing, and reading what receivers and deliveries saw.
#include "tests/system/common.hpp"
#include "tests/support/http_receiver.hpp"

namespace sys {

/// A `webhooks` section: local sinks allowed, a fast schedule and poll.
inline json hooks_config(json schedule = json::array({0, 100, 200, 300}),
                         json extra = json::object()) {
  // Short timeouts: an attempt the loaded test machine leaves hanging is
  // tried again within the tests' deadlines, as it would be in production.
  json w = {{"allow_hosts", {"127.0.0.1"}}, {"retry_schedule_ms", std::move(schedule)},
            {"poll_ms", 20}, {"stats_ms", 100}, {"timeout_ms", 2000},
            {"connect_timeout_ms", 1000}};
  w.update(extra);
  return {{"webhooks", std::move(w)}};
}

struct subscribed {
  std::string id;
  std::string secret;
};

inline subscribed subscribe(const weft_node& node, const std::string& token,
                            const std::string& sink,
                            json types = json::array({"auth.user.created"})) {
  auto r = node.post("/v1/subscriptions", {{"sink", sink}, {"types", std::move(types)}},
                     bearer(token));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return {r.json().at("id").get<std::string>(), r.json().at("secret").get<std::string>()};
}

/// The requests whose event is about `email` (root's own events may be
/// matched too when the inbox reads them after the subscription exists).
inline std::vector<received_request> about(const http_receiver& r, const std::string& email) {
  std::vector<received_request> out;
  for (auto& q : r.requests())
    if (q.body.find(email) != std::string::npos)
      out.push_back(q);
  return out;
}

inline json deliveries(const weft_node& node, const std::string& token, const std::string& sub) {
  auto r = node.get("/v1/subscriptions/" + sub + "/deliveries?limit=500", bearer(token));
  REQUIRE(r.status == 200);
  return r.json().at("items");
}

/// The delivery of event `event_id` to `sub` (null until there is one).
inline json delivery_of(const weft_node& node, const std::string& token, const std::string& sub,
                        const std::string& event_id) {
  for (auto& d : deliveries(node, token, sub))
    if (d.value("event_id", "") == event_id)
      return d;
  return nullptr;
}

} // namespace sys
