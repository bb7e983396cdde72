#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include "config/settings.hpp"
#include "runtime/metrics.hpp"
#include "runtime/registry.hpp"
#include "runtime/service.hpp"

// This node as a member of a cluster (DESIGN §8): its cluster actor,
// published on `cluster.listen` over CAF's middleman (mutual TLS through
// caf_openssl when certificates are set), dials the seeds, exchanges member
// records with every peer it meets, and keeps each service slot's remote
// replicas in step: a peer's fronts are added when it joins and removed when
// its cluster actor goes down (SIGKILL: at once; hung or cut off: after
// `cluster.timeout_ms` of missed heartbeats; SIGTERM: when it leaves).
namespace weft::cluster {

/// The wire version in the handshake identifier: bump it when a message
/// type that crosses nodes changes shape.
inline constexpr int wire_version = 1;

/// `weft/<cluster name>/<wire version>`: CAF refuses a peer whose
/// identifier differs (another cluster, or an incompatible build).
std::string handshake_id(const config::cluster_section& c);

/// Prepares the actor system for clustering (before it is created): loads
/// the middleman (and OpenSSL with certificates), heartbeats and the
/// handshake identifier. Does nothing when the cluster is off.
void configure(caf::actor_system_config& cfg, const config::cluster_section& c);

/// A member as listed by `GET /v1/cluster/nodes`.
struct member_view {
  std::string name;
  std::string address;
  std::string version;
  uint64_t incarnation = 0;
  std::vector<std::string> services;
  std::string state;     ///< "up", or "gone" (kept a while to be seen)
  bool self = false;
  int64_t since_ms = 0;  ///< when it joined or went, Unix ms
};

/// The members now, shared by the cluster actor (writes) and the HTTP edge.
class member_list {
public:
  void set(std::vector<member_view> members);
  std::vector<member_view> get() const;
  nlohmann::json to_json() const;

private:
  mutable std::mutex mtx_;
  std::vector<member_view> members_;
};

struct cluster_options {
  const config::cluster_section* settings = nullptr;
  std::string node_name;
  std::string version;
  service_registry* registry = nullptr;
  std::vector<std::string> hosted; ///< services this node serves
  metrics* node_metrics = nullptr;
  std::string lease_owner;         ///< this node's outbox leases (durable), told to peers
  std::string nats_url;            ///< set: member records in a NATS KV bucket too (no seeds needed)
  /// A peer died (not left): its outbox leases can be released now rather
  /// than when they expire. Called on the cluster actor; must not block.
  std::function<void(const std::string& node, const std::string& lease_owner)> on_lost;
};

/// The node's cluster part: started by the lifecycle after the services
/// (it advertises their fronts) and stopped before them (peers stop routing
/// here before the fronts go away).
class cluster_node {
public:
  ~cluster_node();

  /// Publishes the cluster actor on `cluster.listen` and starts dialling the
  /// seeds; an error names what failed (the port is taken, a TLS file is bad).
  static caf::expected<std::unique_ptr<cluster_node>>
  start(caf::actor_system& sys, cluster_options opts, std::shared_ptr<member_list> members);

  /// The port peers dial (the chosen one when `listen` says port 0).
  uint16_t port() const { return port_; }

  std::shared_ptr<member_list> members() const { return members_; }

  /// Leaves the cluster: the cluster actor quits (peers drop this node's
  /// replicas at once) and the listener closes. Idempotent.
  void leave();

private:
  cluster_node() = default;
  caf::actor_system* sys_ = nullptr;
  caf::actor actor_;
  caf::actor listener_; ///< the middleman actor that published it (plain or TLS)
  uint16_t port_ = 0;
  std::shared_ptr<member_list> members_;
  std::unique_ptr<class kv_members> kv_;
};

/// The `cluster` service declaration: `GET /v1/cluster/nodes` (admin, root),
/// answered by the edge from `members`.
service_decl cluster_decl(std::shared_ptr<member_list> members);

} // namespace weft::cluster
