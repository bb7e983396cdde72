#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_response_promise.hpp>

#include "adapters/memory/memory_bus.hpp"
#include "runtime/drain.hpp"

// Internals of the in-process bus, shared by memory_bus.cpp (the actor's
// interface) and memory_bus_consumer.cpp (the delivery machinery).
namespace weft::memory {

/// The bus's own interface: the public port plus its timers.
using memory_bus_impl = event_bus_actor::extend<
  caf::reacts_to<retry_atom, std::string, uint64_t>, ///< backoff elapsed: consumer, seq
  caf::reacts_to<drain_deadline>>;

/// One delivery awaiting its ack.
struct in_flight_entry {
  event_handler_actor handler;
  uint64_t token = 0; ///< tells a stale reply (after a handler died) from the live one
};

/// A durable consumer. A stream sequence is in exactly one of: backlog,
/// ready, backing_off, in_flight; or it is done (acked or dead-lettered).
struct consumer_state {
  consumer_config cfg;
  std::vector<event_handler_actor> handlers;  ///< live handlers, served round-robin
  size_t next_handler = 0;
  std::deque<uint64_t> backlog;               ///< matching, never delivered, stream order
  std::deque<uint64_t> ready;                 ///< due redeliveries, served before the backlog
  std::unordered_set<uint64_t> backing_off;   ///< naked or timed out, waiting for a retry tick
  std::unordered_map<uint64_t, in_flight_entry> in_flight;
  std::unordered_map<uint64_t, uint32_t> attempts; ///< deliveries so far, until done
  consumer_stats stats;
  bool paused = false;                        ///< nothing new is delivered

  /// True if any filter matches (no filters: every subject).
  bool matches(std::string_view subject) const;
};

/// A stored message.
struct stored_entry {
  bus_message message;
  int64_t stored_ms = 0; ///< Unix milliseconds (the age of dead letters)
  bool deleted = false;  ///< a redriven or pruned dead letter: gone from the stream
};

/// The stream: sequences from `first` on; older ones were trimmed.
struct stream_log {
  std::deque<stored_entry> entries; ///< entries[seq - first]
  uint64_t first = 1;

  /// The sequence the next message gets.
  uint64_t next() const { return first + entries.size(); }

  /// The message at `seq`; null when trimmed, deleted or not stored yet.
  const bus_message* find(uint64_t seq) const {
    if (seq < first || seq >= next() || entries[seq - first].deleted)
      return nullptr;
    return &entries[seq - first].message;
  }
};

/// The bus actor's state.
struct bus_state {
  static inline const char* name = "weft.memory_bus";
  using clock = std::chrono::steady_clock;

  memory_bus_options opts;
  stream_log log;
  std::unordered_map<std::string, uint64_t> dedupe;    ///< event id -> first seq
  std::deque<std::pair<clock::time_point, std::string>> dedupe_order; ///< expiry order
  std::map<std::string, consumer_state> consumers;     ///< by durable name
  uint64_t next_token = 0;
  bool draining = false;
  drain_waiters drains;
  std::minstd_rand rng{0x5eed};                        ///< backoff jitter only

  /// Deliveries in flight over all consumers.
  uint64_t total_in_flight() const;
};

/// The bus actor's handle to itself.
using bus_pointer = memory_bus_impl::stateful_pointer<bus_state>;

/// Stores `msg` as the next sequence and queues it for every matching
/// consumer; then trims the stream past `max_events`.
uint64_t store(bus_pointer self, bus_message msg);

/// Starts deliveries of `c` while it has live handlers, room under
/// max_ack_pending and something to deliver, unless the bus is draining.
void pump(bus_pointer self, consumer_state& c);

/// Adds a live handler to `c` (idempotent), monitors it, then pumps.
void attach(bus_pointer self, consumer_state& c, event_handler_actor handler);

/// A handler died: forget it everywhere and hand its in-flight deliveries to
/// the others (or keep them until one subscribes).
void detach(bus_pointer self, const caf::actor_addr& handler);

/// The backoff of a failed delivery of `seq` elapsed: make it ready again.
void on_retry(bus_pointer self, const std::string& consumer, uint64_t seq);

/// Answers the pending drains once nothing is in flight.
void check_drained(bus_pointer self);

/// Counts a bus event, if the node has metrics.
inline void count(bus_state& st, bus_counter which, std::string_view type,
                  std::string_view consumer) {
  if (st.opts.metrics != nullptr)
    st.opts.metrics->bus_event(which, type, consumer);
}

} // namespace weft::memory
