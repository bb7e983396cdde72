#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

// Membership through NATS (when the node has one): every node puts its
// record into the JetStream KV bucket `weft_members_<cluster>` every
// interval; the bucket's TTL is three intervals, so a node that stops
// (crashed, hung, cut off from NATS) vanishes from it by itself, and a node
// that leaves deletes its record. The other records' addresses go to the
// cluster actor, which dials those it has not met: no seeds are needed.
// Liveness stays with CAF's heartbeats (a member is gone on its connection's
// down message, after cluster.timeout_ms): a record that vanishes only stops
// the dialling, so a node whose NATS link alone is down is not cut off from
// a cluster it can still reach. NATS.c blocks: all of it runs on a thread.
namespace weft::cluster {

struct kv_member_options {
  std::string nats_url;
  std::string bucket;        ///< weft_members_<cluster name>
  std::string node;          ///< this node's name (its key)
  std::string address;       ///< where it is dialled
  uint64_t incarnation = 0;
  std::vector<std::string> services;
  std::string version;
  std::chrono::milliseconds interval{500};
};

class kv_members {
public:
  /// Connects and starts putting and reading records; `sink` (the cluster
  /// actor) gets `(connect_atom, address)` for each record seen.
  static caf::expected<std::unique_ptr<kv_members>> start(kv_member_options opts, caf::actor sink);

  ~kv_members();

  /// Deletes this node's record (a clean leave) and stops. Idempotent.
  void stop();

private:
  kv_members() = default;
  void run();

  kv_member_options opts_;
  caf::actor sink_;
  std::unique_ptr<class kv_bucket> nats_;
  std::thread thread_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
};

/// A KV key for a node name: characters outside [-_=.a-zA-Z0-9/] become '_'.
std::string kv_key(const std::string& node);

} // namespace weft::cluster
