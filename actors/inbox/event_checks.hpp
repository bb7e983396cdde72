#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "events/envelope.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"

// What both inboxes (embedded and durable) do with a delivery before any
// handler runs: the CloudEvents checks and the fault plan.
namespace weft::inbox {

/// The checks the CloudEvents decoder makes on required attributes (id,
/// source, type, specversion 1.0): an event failing them can never be
/// handled, so the error is of category `events` and the bus dead-letters it
/// at once. None if the event passes.
caf::error check_event(const events::envelope& ev);

/// The verdict on one delivery before its handler.
struct admission {
  caf::error refuse;        ///< answer this at once (malformed: dead letter; injected failure)
  bool drop = false;        ///< fault no_ack: never answer (the bus redelivers after ack_wait)
  bool fail_after = false;  ///< fault fail_after: run the handler, then fail (its writes roll back)
};

/// Checks the event (dead letters pass as they are: the service decides)
/// and asks the fault plan (may be null) about `consumer`.
admission admit(const delivery& d, std::string_view consumer, fault_plan* faults);

/// The inbox key of a delivery's event for `consumer`: dead letters carry
/// the id of the event they wrap, which this consumer may have handled as a
/// plain event, so they are recorded under `<consumer>|<dlq subject>`.
std::string consumer_key_of(const std::string& consumer, const bus_message& m);

/// The inbox's event key for an event id: a UUID in lower case as it is; any
/// other id maps to a name-based UUID (version 5) derived from it (the
/// durable inbox keys by uuid).
std::string event_key_of(std::string_view id);

} // namespace weft::inbox
