#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

#include "runtime/service.hpp"

// Which services the node knows, and where each answers. Routes never hold
// a handle: the HTTP edge asks `resolve` when a request arrives, so a service
// that stopped (or, in a cluster, lives on another node) is found or
// answered 503 without any route changing.
namespace weft {

/// Where one service answers. Resolved by name once; read on every request.
class service_slot {
public:
  explicit service_slot(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  /// Its front actor now, or an invalid handle when it is not available.
  caf::actor resolve() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return front_;
  }

  void bind(caf::actor front) {
    std::lock_guard<std::mutex> guard{mtx_};
    front_ = std::move(front);
  }

private:
  std::string name_;
  mutable std::mutex mtx_;
  caf::actor front_;
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
