#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/cursor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/route.hpp"

// The webhooks service: subscriptions of HTTP endpoints (sinks) to the
// event stream, shaped like the CloudEvents Subscriptions API, managed by
// admin and root. Each subscription has a signing secret (Standard
// Webhooks), shown when it is created or rotated and never again. The
// matcher and the dispatcher (dispatcher.hpp) deliver the matching events.
namespace weft::webhooks {

/// Events whose CloudEvents `subject` is, starts with or ends with a value
/// (at most one of the three).
struct subject_filter {
  std::string exact;
  std::string prefix;
  std::string suffix;

  static auto describe() {
    return wire::object<subject_filter>(
      "weft.webhooks.subject_filter", "Which subjects: exact, prefix or suffix (one of them)",
      wire::field("exact", &subject_filter::exact).optional().max_length(512),
      wire::field("prefix", &subject_filter::prefix).optional().max_length(512),
      wire::field("suffix", &subject_filter::suffix).optional().max_length(512));
  }
};
WEFT_WIRE(subject_filter)

struct subscription_filters {
  subject_filter subject;

  static auto describe() {
    return wire::object<subscription_filters>(
      "weft.webhooks.filters", "Filters on the events' attributes",
      wire::field("subject", &subscription_filters::subject).optional());
  }
};
WEFT_WIRE(subscription_filters)

/// `POST /v1/subscriptions`, and the fields a `PATCH` may change.
struct subscription_request {
  std::string sink;
  std::vector<std::string> types;
  subscription_filters filters;
  bool ordered = false;
  bool enabled = true;

  static auto describe() {
    return wire::object<subscription_request>(
      "weft.webhooks.subscription_request", "A subscription of an HTTP endpoint to events",
      wire::field("sink", &subscription_request::sink)
        .min_length(1)
        .max_length(2048)
        .doc("http(s) URL events are POSTed to"),
      wire::field("types", &subscription_request::types)
        .min_length(1)
        .max_length(100)
        .doc("event types: exact, or `prefix.*`"),
      wire::field("filters", &subscription_request::filters).optional(),
      wire::field("ordered", &subscription_request::ordered)
        .optional()
        .doc("per-subject order: one attempt in flight per subject"),
      wire::field("enabled", &subscription_request::enabled).optional());
  }
};
WEFT_WIRE(subscription_request)

/// `PATCH /v1/subscriptions/{id}`: the fields given change, the rest stay.
struct subscription_patch {
  std::string sink;
  std::vector<std::string> types;
  subscription_filters filters;
  bool ordered = false;
  bool enabled = true;

  static auto describe() {
    return wire::object<subscription_patch>(
      "weft.webhooks.subscription_patch", "Changes to a subscription: the fields given",
      wire::field("sink", &subscription_patch::sink).optional().min_length(1).max_length(2048),
      wire::field("types", &subscription_patch::types).optional().min_length(1).max_length(100),
      wire::field("filters", &subscription_patch::filters).optional(),
      wire::field("ordered", &subscription_patch::ordered).optional(),
      wire::field("enabled", &subscription_patch::enabled).optional());
  }
};
WEFT_WIRE(subscription_patch)

/// A subscription as the API shows it; `secret` only when it is created.
struct subscription_view {
  std::string id;
  std::string sink;
  std::vector<std::string> types;
  subscription_filters filters;
  bool ordered = false;
  bool enabled = true;
  bool paused = false;
  std::string created_at;
  std::string updated_at;
  std::string failing_since;
  std::string disabled_reason;
  std::string secret;

  static auto describe() {
    return wire::object<subscription_view>(
      "weft.webhooks.subscription", "A webhook subscription",
      wire::field("id", &subscription_view::id).format("uuid"),
      wire::field("sink", &subscription_view::sink),
      wire::field("types", &subscription_view::types),
      wire::field("filters", &subscription_view::filters),
      wire::field("ordered", &subscription_view::ordered),
      wire::field("enabled", &subscription_view::enabled),
      wire::field("paused", &subscription_view::paused)
        .doc("events are recorded for it but not sent until it is resumed"),
      wire::field("created_at", &subscription_view::created_at).format("date-time"),
      wire::field("updated_at", &subscription_view::updated_at).format("date-time"),
      wire::field("failing_since", &subscription_view::failing_since)
        .nullable()
        .format("date-time")
        .doc("its first failure since its last success"),
      wire::field("disabled_reason", &subscription_view::disabled_reason)
        .nullable()
        .doc("why the node disabled it (410 Gone, or failing for webhooks.disable_after_s)"),
      wire::field("secret", &subscription_view::secret)
        .nullable()
        .doc("the signing secret: shown once, when created"));
  }
};
WEFT_WIRE(subscription_view)

struct subscription_page {
  std::vector<subscription_view> items;
  std::string next;

  static auto describe() {
    return wire::object<subscription_page>(
      "weft.webhooks.subscription_page", "A page of subscriptions, oldest first",
      wire::field("items", &subscription_page::items),
      wire::field("next", &subscription_page::next).nullable());
  }
};
WEFT_WIRE(subscription_page)

/// The answer of `rotate-secret`: the new secret; the old one signs too
/// until `previous_valid_until`.
struct secret_rotation {
  std::string secret;
  std::string previous_valid_until;

  static auto describe() {
    return wire::object<secret_rotation>(
      "weft.webhooks.secret_rotation", "A new signing secret",
      wire::field("secret", &secret_rotation::secret),
      wire::field("previous_valid_until", &secret_rotation::previous_valid_until)
        .format("date-time")
        .doc("until then deliveries carry a signature with each secret"));
  }
};
WEFT_WIRE(secret_rotation)

/// One event's delivery to a subscription, as the API shows it.
struct delivery_view {
  std::string id;
  std::string event_id;
  std::string type;
  std::string subject;
  std::string status;       ///< pending, delivered, gone, exhausted
  int64_t attempts = 0;
  std::string next_at;
  int64_t last_code = 0;
  std::string last_error;
  int64_t last_latency_ms = 0;
  std::string created_at;
  std::string updated_at;

  static auto describe() {
    return wire::object<delivery_view>(
      "weft.webhooks.delivery", "An event's delivery to a subscription",
      wire::field("id", &delivery_view::id), wire::field("event_id", &delivery_view::event_id),
      wire::field("type", &delivery_view::type), wire::field("subject", &delivery_view::subject),
      wire::field("status", &delivery_view::status)
        .one_of({"pending", "delivered", "gone", "exhausted"}),
      wire::field("attempts", &delivery_view::attempts),
      wire::field("next_at", &delivery_view::next_at).format("date-time"),
      wire::field("last_code", &delivery_view::last_code).doc("HTTP status of the last attempt, 0: none"),
      wire::field("last_error", &delivery_view::last_error),
      wire::field("last_latency_ms", &delivery_view::last_latency_ms),
      wire::field("created_at", &delivery_view::created_at).format("date-time"),
      wire::field("updated_at", &delivery_view::updated_at).format("date-time"));
  }
};
WEFT_WIRE(delivery_view)

struct delivery_page {
  std::vector<delivery_view> items;
  std::string next;

  static auto describe() {
    return wire::object<delivery_page>(
      "weft.webhooks.delivery_page", "A page of deliveries, oldest first",
      wire::field("items", &delivery_page::items),
      wire::field("next", &delivery_page::next).nullable());
  }
};
WEFT_WIRE(delivery_page)

/// `POST /v1/subscriptions/{id}/replay`: deliver again what was recorded
/// for it since a time, or every event of its types on the stream after a
/// position (one of the two).
struct replay_request {
  std::string since;
  std::string from;

  static auto describe() {
    return wire::object<replay_request>(
      "weft.webhooks.replay_request", "Which deliveries to make again: since or from",
      wire::field("since", &replay_request::since)
        .optional()
        .format("date-time")
        .doc("every event recorded for the subscription at or after this time"),
      wire::field("from", &replay_request::from)
        .optional()
        .max_length(128)
        .doc("every matching event on the stream after this position (an SSE event id, a "
             "stream sequence, or `earliest`), recorded for it or not"));
  }
};
WEFT_WIRE(replay_request)

struct replay_result {
  int64_t replayed = 0;

  static auto describe() {
    return wire::object<replay_result>(
      "weft.webhooks.replay_result", "How many deliveries are pending again",
      wire::field("replayed", &replay_result::replayed));
  }
};
WEFT_WIRE(replay_result)

/// The front (admin and root; the routes check the role).
using subscriptions_actor = caf::typed_actor<
  caf::replies_to<create_atom, subscription_request>::with<subscription_view>,
  caf::replies_to<list_atom, page_request>::with<subscription_page>,
  caf::replies_to<fetch_atom, std::string>::with<subscription_view>,
  /// id, the changes, the names of the fields the PATCH body carried
  caf::replies_to<update_atom, std::string, subscription_patch,
                  std::vector<std::string>>::with<subscription_view>,
  caf::replies_to<remove_atom, std::string>::with<ack_atom>,
  caf::replies_to<rotate_atom, std::string>::with<secret_rotation>,
  caf::replies_to<list_atom, std::string, page_request>::with<delivery_page>,
  caf::replies_to<pause_atom, std::string>::with<subscription_view>,
  caf::replies_to<resume_atom, std::string>::with<subscription_view>,
  /// subscription id, event id
  caf::replies_to<redeliver_atom, std::string, std::string>::with<delivery_view>,
  caf::replies_to<replay_atom, std::string, replay_request>::with<replay_result>,
  /// a dead letter of an exhausted delivery, redriven: pending again
  caf::replies_to<redrive_atom, bus_message>::with<ack_atom>>;

/// `/v1/subscriptions...` (admin, root).
std::vector<route_decl> subscription_routes();

} // namespace weft::webhooks
