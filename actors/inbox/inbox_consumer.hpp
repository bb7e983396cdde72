#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "actors/inbox/inbox_store.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service_ports.hpp"

// The inbox: sits between the bus and a service's event handler and applies
// each event id once. Ordering rule: record -> handle -> commit -> ack. With
// the PostgreSQL store the record and the handler's writes share one
// transaction; with the memory store the id is recorded once the handler
// acked (its effects committed), then the bus gets its ack. A duplicate is
// acked without running the handler.
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
  std::string consumer;                          ///< durable consumer name, usually the service
  event_sink_actor handler;                      ///< the service's event handler
  weft::fault_plan* faults = nullptr;            ///< may be null
  weft::metrics* metrics = nullptr;              ///< may be null
  std::chrono::milliseconds handler_timeout{10000};
  std::shared_ptr<inbox_store> store;            ///< null: a fresh memory_inbox_store
};

/// Spawns an inbox that hands deliveries to `opts.handler` once per event id.
/// Subscribe it to the bus with the consumer's config.
event_handler_actor spawn_inbox_consumer(caf::actor_system& sys, inbox_options opts);

} // namespace weft::inbox

CAF_ERROR_CODE_ENUM(weft::inbox::errc, "inbox")
