#pragma once

#include <cstdint>
#include <functional>

#include <caf/actor_system.hpp>

#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"

// The in-process event bus: what a node uses when no NATS URL is configured.
// Same contract as JetStream (runtime/event_bus.hpp): an append-only stream
// with sequence numbers from 1, dedupe by event id, durable consumers by name
// that share messages among their handlers, explicit ack, redelivery with
// backoff and jitter, max_deliver, then a dead letter on
// `weft.dlq.<consumer>`. Nothing survives the process.
//
// Choices where the port is silent:
// - a handler error of category `events` (the event cannot be decoded) is
//   dead-lettered at once, without further attempts;
// - dead letters are stored without dedupe (they keep the original event
//   id); a dead letter that itself exhausts max_deliver is dropped with a
//   warning rather than dead-lettered again;
// - a later subscribe with an existing name keeps the first config;
// - `consumer_stats::pending` counts messages waiting for a first delivery
//   or for a redelivery (backoff running); `delivered` counts every attempt;
// - the stream keeps at most `max_events` messages (`bus.memory_max_events`),
//   the oldest leaving first, but never one a consumer has yet to settle
//   (nothing is lost to the limit; a stalled consumer holds what it has not
//   settled, as its lag shows); a consumer created later sees what is kept;
// - dead letters leave when the retention sweeper prunes them by age.
namespace weft::memory {

/// Options of the in-process bus.
struct memory_bus_options {
  uint32_t dedupe_window_s = 120;     ///< a re-published event id within this is not stored again
  weft::metrics* metrics = nullptr;   ///< may be null
  /// Told of every stored event but dead letters, in stream order, on the
  /// bus's thread (the node's event feed); may be empty. Must not block.
  std::function<void(uint64_t seq, const bus_message&)> on_stored;
  uint64_t max_events = 100000;       ///< messages kept (the settled oldest leave first)
};

/// Spawns the in-process bus.
event_bus_actor spawn_memory_bus(caf::actor_system& sys, memory_bus_options opts);

} // namespace weft::memory
