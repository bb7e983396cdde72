#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/envelope.hpp"
#include "runtime/atoms.hpp"

// The event bus port. The in-process bus (adapters/memory) and JetStream
// (adapters/nats) implement the same contract, so services cannot tell them
// apart: durable consumers by name, subject filters, explicit ack,
// redelivery with backoff, max_deliver, then a dead-letter subject.
namespace weft {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A header that, when a published message carries it, is the bus's dedupe
/// id in place of the event id: a message that is not the event itself (a
/// dead letter of it) must not be taken for a repeat of the event.
inline constexpr const char* dedupe_id_header = "Weft-Dedupe-Id";

/// A message on the bus: the event, its subject and NATS-style headers.
struct bus_message {
  std::string subject;         ///< `weft.<type>`, or `weft.dlq.<service>`
  events::envelope event;
  header_list headers;         ///< dead letters: Weft-Dlq-Reason, -Consumer, -Deliveries
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bus_message& x) {
  return f(caf::meta::type_name("weft.bus_message"), x.subject, x.event, x.headers);
}

/// The id `publish` dedupes `m` by: its Weft-Dedupe-Id header, else its event id.
inline const std::string& dedupe_id_of(const bus_message& m) {
  for (const auto& [k, v] : m.headers)
    if (k == dedupe_id_header)
      return v;
  return m.event.id;
}

/// The message a redriven dead letter publishes: its event on the subject
/// it was dead-lettered from (`Weft-Dlq-Subject`, else `weft.<type>`), with
/// the original's headers (no Weft-Dlq-* ones).
bus_message redriven(const bus_message& letter);

/// One delivery of a stored message to one consumer.
struct delivery {
  bus_message message;
  uint64_t stream_seq = 0;     ///< position in the stream, 1-based
  uint32_t attempt = 1;        ///< 1 on first delivery, NATS' NumDelivered
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return f(caf::meta::type_name("weft.delivery"), x.message, x.stream_seq, x.attempt);
}

/// Receives deliveries. Replying `ack_atom` acks; replying an error naks
/// (redelivered after backoff); not replying within `ack_wait` redelivers.
using event_handler_actor
  = caf::typed_actor<caf::replies_to<deliver_atom, delivery>::with<ack_atom>>;

/// A durable consumer: its name identifies it across re-subscriptions, and
/// subscribers of the same name share its messages (competing consumers).
struct consumer_config {
  std::string name;                          ///< durable name, usually the service
  std::vector<std::string> filters;          ///< subject filters, e.g. `weft.auth.user.*`
  uint32_t ack_wait_ms = 30000;
  uint32_t max_deliver = 5;
  std::vector<uint32_t> backoff_ms{100, 500, 2000, 5000}; ///< per attempt, last repeats
  uint32_t max_ack_pending = 256;            ///< in-flight deliveries at most
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_config& x) {
  return f(caf::meta::type_name("weft.consumer_config"), x.name, x.filters,
           x.ack_wait_ms, x.max_deliver, x.backoff_ms, x.max_ack_pending);
}

/// The checks every bus applies to a consumer config (JetStream's own
/// refusals): a name, valid filters, max_deliver, max_ack_pending and
/// ack_wait of at least 1. `sec::invalid_argument` naming what is wrong.
caf::error validate(const consumer_config& cfg);

/// Counters of one consumer, for readiness, metrics and drain.
struct consumer_stats {
  std::string name;
  uint64_t pending = 0;        ///< stored, not yet delivered
  uint64_t in_flight = 0;      ///< delivered, not yet acked
  uint64_t delivered = 0, acked = 0, redelivered = 0, dead_lettered = 0;
  bool paused = false;         ///< takes no new deliveries on this bus instance
  std::string group;           ///< a partition's: the consumer it is part of ("" : none)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_stats& x) {
  return f(caf::meta::type_name("weft.consumer_stats"), x.name, x.pending, x.in_flight,
           x.delivered, x.acked, x.redelivered, x.dead_lettered, x.paused, x.group);
}

/// Which stored messages to read back: those on subjects `filter` matches
/// (as handlers see them, e.g. `weft.auth.>`), at positions after `after`,
/// at most `limit`, oldest first.
struct stream_query {
  std::string filter = "weft.>";
  uint64_t after = 0;
  uint32_t limit = 100;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_query& x) {
  return f(caf::meta::type_name("weft.stream_query"), x.filter, x.after, x.limit);
}

/// The bus. `publish` answers the stream sequence once the message is stored
/// (a duplicate event id within the dedupe window answers the first
/// sequence and stores nothing). `drain` answers when no delivery is in flight
/// or the deadline passed, and stops new deliveries.
///
/// `pause` / `resume`: consumer `name` stops or starts again taking new
/// deliveries on this bus instance (what a handler has finishes); its lag
/// grows meanwhile. A name not subscribed here answers `sec::invalid_argument`.
///
/// `query` reads stored messages back as deliveries (`stream_seq`: the
/// position; `attempt` 0): a replay from a position, or a consumer's dead
/// letters (filter `weft.dlq.<name>`, with their Weft-Dlq-* headers).
/// `redrive` publishes
/// the events of the letters at the given positions again on their original
/// subjects (the consumer's inbox takes them; others have them recorded
/// already and skip them), then deletes those letters: how many went. With
/// `republish` false it only deletes them (their service took them back).
///
/// `prune`: deletes dead letters (of every consumer) stored before `before`
/// (Unix milliseconds), oldest first, at most `limit`: how many went. The
/// retention sweeper's, for `retention.dead_letters_s`.
///
/// `assign` (a bus with partitions, in a cluster): the partitions of consumer
/// `name` this bus instance reads from now on. It answers once the
/// partitions taken away are settled here (nothing of theirs held or at a
/// handler), so their lease can go to another node; a bus without
/// partitions answers `sec::invalid_argument`.
using event_bus_actor = caf::typed_actor<
  caf::replies_to<publish_atom, bus_message>::with<uint64_t>,
  caf::replies_to<subscribe_atom, consumer_config, event_handler_actor>::with<ack_atom>,
  caf::replies_to<stats_atom>::with<std::vector<consumer_stats>>,
  caf::replies_to<drain_atom, uint32_t>::with<ack_atom>,
  caf::replies_to<assign_atom, std::string, std::vector<uint32_t>>::with<ack_atom>,
  caf::replies_to<pause_atom, std::string>::with<ack_atom>,
  caf::replies_to<resume_atom, std::string>::with<ack_atom>,
  caf::replies_to<redrive_atom, std::string, std::vector<uint64_t>, bool>::with<uint64_t>,
  caf::replies_to<query_atom, stream_query>::with<std::vector<delivery>>,
  caf::replies_to<prune_atom, int64_t, uint32_t>::with<uint64_t>>;

} // namespace weft
