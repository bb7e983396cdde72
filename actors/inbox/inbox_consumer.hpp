#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service.hpp"
#include "runtime/store.hpp"

// The inbox: sits between the bus and a service's event handler and applies
// each event id once per consumer. Ordering rule: record -> handle -> commit
// -> ack. The record (consumer, event id) and the handler's writes are one
// unit of work of the store, so they commit together or not at all; a
// duplicate is acked without running the handler. This one runs one unit
// per delivery on the actor itself, which suits the memory store (embedded
// mode); the durable inbox (pg_inbox.hpp) batches on its own connections.
namespace weft::inbox {

/// Why the inbox refused a delivery (the bus redelivers it after backoff).
enum class errc : uint8_t {
  injected_failure = 1, ///< the fault plan said fail
  in_progress,          ///< the same event id is being handled right now
  no_handler,           ///< the inbox has no valid handler
  stopping,             ///< the inbox stopped before handling it (pg inbox)
};

/// `injected_failure`, ...
const char* to_string(errc x);

/// Options of one inbox consumer.
struct inbox_options {
  std::string consumer;                 ///< durable consumer name, usually the service
  std::shared_ptr<store> data;          ///< where the record and the handler's writes go
  event_handler_fn handler;             ///< the service's handler
  weft::fault_plan* faults = nullptr;   ///< may be null
  weft::metrics* metrics = nullptr;     ///< may be null
};

/// Spawns an inbox that hands deliveries to `opts.handler` once per event id.
/// Subscribe it to the bus with the consumer's config.
event_handler_actor spawn_inbox_consumer(caf::actor_system& sys, inbox_options opts);

} // namespace weft::inbox

CAF_ERROR_CODE_ENUM(weft::inbox::errc, "inbox")
