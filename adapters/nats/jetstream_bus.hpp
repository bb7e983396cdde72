#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "config/settings.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"

// The event bus port (runtime/event_bus.hpp) on NATS JetStream, with the
// semantics of the in-process bus (adapters/memory), so services cannot tell
// them apart. NATS.c stays inside this folder: this header names no NATS type.
//
// On the wire: one stream (`WEFT`, file storage, dedupe window, max age)
// holding structured-mode CloudEvents (payload = the event as JSON,
// `Content-Type: application/cloudevents+json`, `Nats-Msg-Id` = event id), so
// any NATS client can consume them.
//
// Choices where the port is silent (jetstream_consumer.cpp has the rules):
// - one durable pull consumer per consumer name; buses of several nodes
//   subscribing with the same name share it (competing consumers);
// - messages of one lane (NATS subject + CloudEvents `subject`, i.e. one
//   aggregate) are handed to the handler one at a time in stream order, also
//   across retries; other lanes run concurrently, bounded by max_in_flight;
// - retries are local (the lane waits out the backoff, keeping the message
//   alive with in-progress acks); the server's MaxDeliver is unlimited and
//   attempts = the server's NumDelivered + local retries;
// - with `partitions` = 1, order holds within one bus instance: with
//   competing replicas, two events of one aggregate may be handled by
//   different nodes concurrently (the inbox's dedupe keeps them once each);
// - with `partitions` = P > 1, an event goes to `weft.p<k>.<type>` where k is
//   its aggregate's partition (FNV-1a of the CloudEvents subject, or of the
//   id when it has none), and a consumer is P durables `<name>_p<k>`, each
//   filtered to its partition. A bus reads every partition, or (a cluster,
//   `assigned_partitions`) those `assign` gives it: one reader per partition
//   keeps per-aggregate order across replicas. Handlers and dead letters see
//   subjects without the partition token; `weft.>` still reads everything;
// - a consumer takes one subject filter (nats-server 2.9 allows one per
//   consumer); none means every subject of the stream.
namespace weft {
class event_feed;
} // namespace weft

namespace weft::nats {

/// How to reach NATS and shape the stream and the consumers.
struct jetstream_options {
  std::string url = "nats://127.0.0.1:4222"; ///< one URL or a comma separated list
  std::string connection_name = "weft";       ///< shown by the server's monitoring
  std::string stream = "WEFT";
  std::vector<std::string> subjects{"weft.>"};
  uint32_t replicas = 1;                      ///< stream replicas (a cluster: 3)
  uint32_t duplicate_window_s = 120;          ///< Nats-Msg-Id dedupe window, >= 120
  uint32_t max_age_s = 7 * 24 * 3600;         ///< messages older than this are removed
  uint32_t fetch_batch = 256;                 ///< messages per pull request at most
  uint32_t fetch_wait_ms = 500;               ///< an idle pull request waits this long
  uint32_t max_in_flight = 1024;              ///< fetched, unsettled messages per consumer
  uint32_t partitions = 1;                    ///< > 1: partitioned subjects and consumers
  bool assigned_partitions = false;           ///< true: none read until `assign` (a cluster)
  uint32_t publish_window = 4000;             ///< async publishes awaiting their PubAck
  uint32_t publish_timeout_ms = 5000;         ///< no PubAck in time: the publish fails
  uint32_t reconnect_wait_ms = 250;           ///< between reconnect attempts (forever)
  uint32_t connect_timeout_ms = 2000;         ///< one TCP connect attempt
  uint32_t start_timeout_ms = 30000;          ///< start(): connect and create the stream
  weft::metrics* metrics = nullptr;           ///< may be null
};

/// The options from the config's `nats` section (all of its keys), named
/// after the node (the connection name the server shows).
jetstream_options jetstream_options_from(const config::nats_section& nats,
                                         const std::string& node_name,
                                         weft::metrics* metrics = nullptr);

/// The JetStream bus: a NATS connection, its fetch threads and the bus actor.
/// Destroy it (or call stop()) before the actor_system.
class jetstream_bus {
public:
  /// Connects (retrying until start_timeout_ms), creates or updates the
  /// stream, spawns the bus actor. Blocks the calling thread: call it from
  /// main, never from an actor.
  static caf::expected<std::unique_ptr<jetstream_bus>>
  start(caf::actor_system& sys, jetstream_options opts);

  ~jetstream_bus();
  jetstream_bus(const jetstream_bus&) = delete;
  jetstream_bus& operator=(const jetstream_bus&) = delete;

  /// The bus actor (the port).
  event_bus_actor actor() const;

  /// True while the connection to NATS is up (for /health/ready).
  bool connected() const;

  /// The same flag, to hold beyond this object's scope.
  std::shared_ptr<const std::atomic<bool>> connected_flag() const;

  /// The stream's epoch: its creation time in base 36 seconds, so positions
  /// of a recreated stream are not taken for this one's. Blocks (a request).
  caf::expected<std::string> stream_epoch();

  /// Feeds `feed` every event of the stream from now on, and the last
  /// `history` before (so readers resume across a node restart), dead
  /// letters left out: an ordered consumer, no acks, on NATS' thread.
  caf::error feed_to(std::shared_ptr<weft::event_feed> feed, std::size_t history);

  /// Stops fetching, stops the actor, closes the connection. Idempotent;
  /// blocks (up to ~fetch_wait_ms + a close deadline). Drain the actor first.
  void stop();

  struct impl;

private:
  explicit jetstream_bus(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// As jetstream_bus::start, for callers that want a function.
caf::expected<std::unique_ptr<jetstream_bus>>
spawn_jetstream_bus(caf::actor_system& sys, jetstream_options opts);

} // namespace weft::nats
