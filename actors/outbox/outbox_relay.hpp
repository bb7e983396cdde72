#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service_ports.hpp"

// The outbox relay: takes batches of committed events and publishes each to
// the bus as `weft.<type>`, retrying with exponential backoff and jitter
// until the bus has stored it; nothing is dropped. Ordering rule: commit ->
// publish -> mark published (here: forget). Order: events with the same
// envelope `subject` (one aggregate) are published strictly one after the
// other in the order received; events of different subjects may be in
// flight together, up to `max_in_flight`. Retrying after a lost answer is
// safe: the bus dedupes by event id.
namespace weft::outbox {

/// Options of the outbox relay.
struct outbox_options {
  event_bus_actor bus;                                   ///< where events go
  std::vector<uint32_t> backoff_ms{100, 500, 2000, 5000}; ///< retry delays, last repeats, +-20% jitter
  weft::metrics* metrics = nullptr;                      ///< may be null; sets weft_outbox_pending
  uint32_t max_in_flight = 64;                           ///< publishes awaiting the bus at most
  std::chrono::milliseconds publish_timeout{5000};       ///< a publish not answered by then is retried
  std::string name = "outbox";                           ///< label of weft_outbox_pending{relay}
};

/// Spawns the outbox relay.
event_relay_actor spawn_outbox_relay(caf::actor_system& sys, outbox_options opts);

} // namespace weft::outbox
