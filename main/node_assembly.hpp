#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "config/settings.hpp"
#include "runtime/faults.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/metrics.hpp"
#include "runtime/registry.hpp"
#include "runtime/service_module.hpp"

namespace weft {

/// A node assembled from its settings and the module list, with no service
/// named: the store (PostgreSQL with database.url, else memory), the bus
/// (JetStream with nats.url, else in-process), the outbox relay that fits the
/// store, each hosted service, the inboxes that feed them, and the HTTP
/// edge, each a lifecycle part started in that order and stopped in exactly
/// the reverse order within the stop budget. Readiness is part by part.
/// Create it before the actor system and `release` it after the lifecycle
/// stopped and before the system goes: the metrics and the fault plan that
/// actors point to must outlive them.
class node_assembly {
public:
  node_assembly(const config::settings& settings, std::span<const service_module> modules);
  ~node_assembly();

  /// Adds every part to `life`, to run on `sys`.
  void assemble(caf::actor_system& sys, lifecycle& life);

  /// "memory store, in-process bus", "postgres store, jetstream bus", ...
  std::string mode() const;

  /// Stops what is left and drops every handle (idempotent).
  void release();

  metrics node_metrics;
  service_registry registry;
  readiness ready;

private:
  struct parts;
  const config::settings& settings_;
  std::span<const service_module> modules_;
  fault_plan faults_;
  std::unique_ptr<parts> parts_;
};

} // namespace weft
