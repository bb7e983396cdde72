#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/codec.hpp"
#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/cursor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/service.hpp"

// The control plane of the node's consumers (root, over REST; the `weft
// consumers` and `weft dlq` commands call it): list them with their lag,
// pause and resume one on this node, list its dead letters and redrive them.
// A redriven letter's event is published again on its original subject,
// where the consumer's inbox takes it (the other consumers have it recorded
// and skip it), unless the consumer's service takes such letters back itself
// (service_decl::takes_back_letter: a webhook delivery that used up its
// attempts is made pending again by the webhooks service).
namespace weft {
class service_registry;
class metrics;
} // namespace weft

namespace weft::inbox {

/// A consumer as the control plane shows it (its partitions summed).
struct consumer_view {
  std::string name;
  bool paused = false;
  int64_t pending = 0;
  int64_t in_flight = 0;
  int64_t delivered = 0;
  int64_t acked = 0;
  int64_t redelivered = 0;
  int64_t dead_lettered = 0;

  static auto describe() {
    return wire::object<consumer_view>(
      "weft.consumer", "A consumer of the stream on this node",
      wire::field("name", &consumer_view::name),
      wire::field("paused", &consumer_view::paused).doc("not fetching on this node"),
      wire::field("pending", &consumer_view::pending).doc("stored, not yet delivered (its lag)"),
      wire::field("in_flight", &consumer_view::in_flight),
      wire::field("delivered", &consumer_view::delivered),
      wire::field("acked", &consumer_view::acked),
      wire::field("redelivered", &consumer_view::redelivered),
      wire::field("dead_lettered", &consumer_view::dead_lettered));
  }
};
WEFT_WIRE(consumer_view)

struct consumer_list {
  std::vector<consumer_view> items;

  static auto describe() {
    return wire::object<consumer_list>("weft.consumer_list", "The consumers of this node",
                                       wire::field("items", &consumer_list::items));
  }
};
WEFT_WIRE(consumer_list)

/// A dead letter: the event and why it could not be handled.
struct dead_letter_view {
  int64_t position = 0;
  events::envelope event;
  std::string reason;
  int64_t deliveries = 0;
  std::string subject;       ///< where it was dead-lettered from (`weft.<type>`)
  std::string time;          ///< when
  std::string endpoint;      ///< a webhook's: its sink
  std::string subscription;  ///< a webhook's: its subscription

  static auto describe() {
    return wire::object<dead_letter_view>(
      "weft.dead_letter", "An event its consumer gave up on",
      wire::field("position", &dead_letter_view::position).doc("the letter's stream position"),
      wire::field("event", &dead_letter_view::event),
      wire::field("reason", &dead_letter_view::reason),
      wire::field("deliveries", &dead_letter_view::deliveries),
      wire::field("subject", &dead_letter_view::subject).doc("the subject it came from"),
      wire::field("time", &dead_letter_view::time).nullable().format("date-time"),
      wire::field("endpoint", &dead_letter_view::endpoint).nullable(),
      wire::field("subscription", &dead_letter_view::subscription).nullable());
  }
};
WEFT_WIRE(dead_letter_view)

struct dead_letter_page {
  std::vector<dead_letter_view> items;
  std::string next;

  static auto describe() {
    return wire::object<dead_letter_page>(
      "weft.dead_letter_page", "A page of dead letters, oldest first",
      wire::field("items", &dead_letter_page::items),
      wire::field("next", &dead_letter_page::next).nullable());
  }
};
WEFT_WIRE(dead_letter_page)

/// Which letters to redrive: the one of an event id, those since a time, or
/// (neither given) all of them.
struct redrive_request {
  std::string id;
  std::string since;

  static auto describe() {
    return wire::object<redrive_request>(
      "weft.redrive_request", "Which dead letters to redrive (none given: all)",
      wire::field("id", &redrive_request::id).optional().doc("the letter of this event id"),
      wire::field("since", &redrive_request::since)
        .optional()
        .format("date-time")
        .doc("the letters dead-lettered at or after this time"));
  }
};
WEFT_WIRE(redrive_request)

struct redrive_result {
  int64_t redriven = 0;

  static auto describe() {
    return wire::object<redrive_result>("weft.redrive_result", "How many letters went back",
                                        wire::field("redriven", &redrive_result::redriven));
  }
};
WEFT_WIRE(redrive_result)

using consumer_control_actor = caf::typed_actor<
  caf::reacts_to<tick_atom>, ///< time to export the consumers' lag
  caf::replies_to<list_atom>::with<consumer_list>,
  caf::replies_to<pause_atom, std::string>::with<consumer_view>,
  caf::replies_to<resume_atom, std::string>::with<consumer_view>,
  caf::replies_to<list_atom, std::string, page_request>::with<dead_letter_page>,
  caf::replies_to<redrive_atom, std::string, redrive_request>::with<redrive_result>>;

/// Spawns the control plane on the node's bus; `services` tells it which
/// service takes its letters back (it outlives the actor). Every second it
/// sets `weft_consumer_pending{consumer}` and `weft_consumer_paused{consumer}`
/// in `node_metrics` (may be null), on either bus.
consumer_control_actor spawn_consumer_control(caf::actor_system& sys, event_bus_actor bus,
                                              const service_registry& services,
                                              metrics* node_metrics);

/// The routes (service `consumers`, root only): GET /v1/consumers,
/// POST /v1/consumers/{name}/pause|resume, GET
/// /v1/consumers/{name}/dead-letters, POST
/// /v1/consumers/{name}/dead-letters/redrive.
service_decl consumer_control_decl();

} // namespace weft::inbox
