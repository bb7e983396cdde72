#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "runtime/event_bus.hpp"

namespace weft {
class metrics;
} // namespace weft

// Who reads which partition of a partitioned consumer (nats.partitions > 1),
// so that one node at a time handles an aggregate's events, in order.
//
// Each partition of each consumer is a key `<consumer>.<k>` in the JetStream
// KV bucket `weft_partitions_<cluster>`, whose value is its reader's lease
// owner. The bucket's TTL is three intervals: a reader renews its keys every
// interval by compare-and-set (a failed renewal means the lease was lost:
// the partition stops here at once), so a dead or hung reader's keys vanish
// by themselves. Every node aims at its fair share, ceil(partitions /
// nodes reading the consumer): it takes free keys up to it and gives up the
// ones above it (settled first: the bus answers `assign` once nothing of
// theirs is held here, then the key is deleted).
//
// A partition just taken is read only after a fence of ack_wait + one pull's
// wait: whatever its previous reader had fetched and not acknowledged is
// back on the server by then and comes first (a crashed reader's messages
// return after ack_wait; a releasing one naks what it held, oldest first), so
// the new reader sees each aggregate's events in stream order.
//
// NATS.c blocks: all of it runs on one thread, which asks the bus (an actor)
// with a scoped actor.
namespace weft::cluster {

struct partition_lease_options {
  std::string nats_url;
  std::string bucket;                 ///< weft_partitions_<cluster name>
  std::string node;                   ///< for the connection name and logs
  std::string owner;                  ///< this node's lease owner, `<node>:<uuid>`
  uint32_t partitions = 1;
  std::vector<std::string> consumers; ///< partitioned consumers read on this node
  /// Nodes reading `consumer` now, this one included (>= 1).
  std::function<size_t(const std::string& consumer)> readers;
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds fence{3500};  ///< consumer ack_wait + nats.fetch_wait_ms
  weft::metrics* metrics = nullptr;       ///< weft_partitions_reading{consumer}; may be null
};

class partition_leases {
public:
  /// Connects, creates the bucket if needed and starts taking leases.
  static caf::expected<std::unique_ptr<partition_leases>>
  start(caf::actor_system& sys, event_bus_actor bus, partition_lease_options opts);

  ~partition_leases();

  /// Hands every partition over: the bus settles them (until `deadline`),
  /// then the keys are deleted so other nodes take them at once. Idempotent.
  void stop(std::chrono::steady_clock::time_point deadline);

  /// The partitions of `consumer` read here now (for tests and logs).
  std::vector<uint32_t> reading(const std::string& consumer) const;

  struct state;

private:
  partition_leases() = default;
  void run();

  std::unique_ptr<state> st_;
  std::thread thread_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
};

} // namespace weft::cluster
