#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "runtime/service.hpp"

// Which services the node knows, and where each answers. Routes never hold
// a handle: the HTTP edge asks `resolve` when a request arrives, so a service
// that stopped (or, in a cluster, lives on another node) is found or
// answered 503 without any route changing.
namespace weft {

/// One place a service answers: this node's front, or the front of a
/// remote node (a cluster peer). `in_flight` counts the requests sent to it
/// and not yet answered, for picking the least busy replica.
struct replica {
  caf::actor front;
  std::string node; ///< empty: this node
  std::shared_ptr<std::atomic<uint32_t>> in_flight;

  bool remote() const { return !node.empty(); }
  explicit operator bool() const { return static_cast<bool>(front); }
};

/// Where one service answers: this node's instance, if it hosts one, and the
/// instances of the cluster's other nodes. Read on every request from the
/// I/O and gateway threads; changed by the lifecycle and the membership.
class service_slot {
public:
  explicit service_slot(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  /// The replica to ask now: this node's instance when it has one, else the
  /// remote replica with the fewest requests in flight that is below the
  /// per-replica bound, skipping `avoid`; an empty replica when none is.
  replica pick(const caf::actor_addr& avoid = {}) const;

  /// The front `pick` chooses, or an invalid handle.
  caf::actor resolve() const { return pick().front; }

  /// This node's instance, or an invalid handle.
  caf::actor local() const;

  /// True when some replica, local or remote, is known.
  bool available() const;

  /// This node's instance answers through `front` (invalid: it stopped).
  void bind(caf::actor front);

  /// `node`'s instance answers through `front` (replacing one it had).
  void add_remote(const std::string& node, caf::actor front);

  /// `node` left or died: its replica is gone.
  void remove_node(std::string_view node);

  /// A replica found dead by whoever asked it (the HTTP edge holds slots as
  /// const: it may shrink the replica set, never rebind it): gone until its
  /// node joins again. Returns its node's name (empty: not a replica).
  std::string remove_front(const caf::actor_addr& front) const;

  /// Requests in flight to one remote replica at most (default 256).
  void set_max_in_flight(uint32_t n) { max_in_flight_ = n; }

  /// The nodes with a replica ("" for this node), for listings.
  std::vector<std::string> nodes() const;

private:
  std::string name_;
  mutable std::mutex mtx_;
  replica local_;
  mutable std::vector<replica> remotes_;
  uint32_t max_in_flight_ = 256;
  mutable std::atomic<uint32_t> turn_{0}; ///< spreads ties between idle replicas
};

/// The services of the node: their declarations (routes, events) and slots.
/// Declared before the HTTP edge starts (the set is fixed then); bound and
/// unbound by the lifecycle while it runs.
class service_registry {
public:
  /// Declares a service: its routes and events are known, it answers once bound.
  void declare(service_decl decl);

  /// The service answers through `front` from now on.
  void bind(std::string_view name, caf::actor front);

  /// The service no longer answers (its requests get 503).
  void unbind(std::string_view name);

  /// The slot of a declared service, or nullptr. Stable while the registry lives.
  const service_slot* slot(std::string_view name) const;

  /// The front of a service, or an invalid handle.
  caf::actor resolve(std::string_view name) const;

  /// A cluster peer's instance of a declared service (ignored otherwise).
  void add_remote(std::string_view name, const std::string& node, caf::actor front);

  /// Every replica of `node` is gone.
  void remove_node(std::string_view node);

  /// Requests in flight to one remote replica at most, for every service.
  void set_max_in_flight(uint32_t n);

  /// The declarations, in the order declared.
  const std::vector<service_decl>& services() const { return decls_; }

  std::vector<std::string> names() const;

  /// Drops every binding (the actor system is going away).
  void unbind_all();

private:
  std::vector<service_decl> decls_;
  std::map<std::string, std::unique_ptr<service_slot>, std::less<>> slots_;
};

/// The node's readiness, part by part: each part (database, bus, each
/// service, the HTTP edge) answers for itself, so /health/ready can say
/// which part is not ready, and a part that recovers is ready again.
class readiness {
public:
  using probe = std::function<bool()>;

  /// Adds a part; `ready` is asked from any thread.
  void add(std::string part, probe ready);

  /// The parts not ready now (empty: the node is ready).
  std::vector<std::string> not_ready() const;

  bool ready() const;

private:
  mutable std::mutex mtx_;
  std::vector<std::pair<std::string, probe>> parts_;
};

} // namespace weft
