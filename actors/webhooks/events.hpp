#pragma once

#include <cstdint>
#include <string>

#include "events/typed_event.hpp"
#include "events/wire.hpp"

// The events the webhooks service publishes.
namespace weft::webhooks {

/// A delivery used its last attempt without success (subject: the subscription).
struct attempt_exhausted {
  static constexpr std::string_view type_name = "weft.webhook.attempt.exhausted";
  static constexpr int version = 1;
  std::string subscription_id;
  std::string event_id;
  std::string sink;
  int64_t attempts = 0;
  int64_t last_code = 0;
  std::string last_error;

  static auto describe() {
    return wire::object<attempt_exhausted>(
      "weft.webhooks.attempt_exhausted", "A webhook delivery gave up after its last attempt",
      wire::field("subscription_id", &attempt_exhausted::subscription_id),
      wire::field("event_id", &attempt_exhausted::event_id),
      wire::field("sink", &attempt_exhausted::sink),
      wire::field("attempts", &attempt_exhausted::attempts),
      wire::field("last_code", &attempt_exhausted::last_code).doc("HTTP status, 0: none"),
      wire::field("last_error", &attempt_exhausted::last_error));
  }
};
WEFT_WIRE(attempt_exhausted)

/// A subscription was disabled by the node (410 Gone, or failing too long).
struct subscription_disabled {
  static constexpr std::string_view type_name = "weft.webhook.subscription.disabled";
  static constexpr int version = 1;
  std::string subscription_id;
  std::string reason;

  static auto describe() {
    return wire::object<subscription_disabled>(
      "weft.webhooks.subscription_disabled", "A webhook subscription was disabled",
      wire::field("subscription_id", &subscription_disabled::subscription_id),
      wire::field("reason", &subscription_disabled::reason));
  }
};
WEFT_WIRE(subscription_disabled)

using published_events = events::event_list<attempt_exhausted, subscription_disabled>;

} // namespace weft::webhooks
