#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "adapters/http/http_server.hpp"
#include "config/settings.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"
#include "runtime/metrics.hpp"
#include "runtime/registry.hpp"
#include "runtime/service_ports.hpp"

namespace weft {

namespace pg {
class database_health;
class pool;
} // namespace pg

namespace nats {
class jetstream_bus;
} // namespace nats

namespace auth {
class jwt_codec;
} // namespace auth

/// Everything a node runs behind its HTTP edge: stores, bus, outbox relay,
/// service groups and their inboxes, chosen by configuration alone
/// (database.url: PostgreSQL, else memory; nats.url: JetStream, else the
/// in-process bus). Create it before the actor system and call
/// `stop_actors` before the system goes: the metrics and the fault plan
/// that actors point to must outlive them.
class node_parts {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit node_parts(const config::settings& settings);
  ~node_parts();

  /// Migrates, connects and spawns on `sys`; an error text, or empty.
  std::string build(caf::actor_system& sys);

  /// What the HTTP edge needs; `accepting` drops readiness when stopping.
  http::server_deps http_deps(std::function<bool()> accepting);

  /// "memory store, in-process bus", "postgres store, jetstream bus", ...
  std::string mode() const;

  /// Stop steps, in the order the lifecycle calls them.
  void drain_outbox(time_point deadline);
  void stop_bus(time_point deadline);
  /// Stops every actor and drops every handle (idempotent).
  void stop_actors();

  metrics node_metrics;
  service_registry registry;

private:
  std::string build_store();
  std::string build_bus();
  std::string build_services();
  void subscribe(const service_decl& decl, event_handler_actor inbox);
  template <class Handle>
  void keep(const Handle& h);

  caf::actor_system* sys_ = nullptr;
  const config::settings& settings_;
  fault_plan faults_;
  std::vector<caf::actor> actors_; ///< long-lived actors, stopped at the end
  std::shared_ptr<const auth::jwt_codec> jwt_;
  std::unique_ptr<pg::database_health> db_health_;
  std::unique_ptr<pg::pool> db_pool_;
  std::unique_ptr<nats::jetstream_bus> jetstream_;
  event_bus_actor bus_;
  outbox_actor relay_;
  identity_actor api_keys_;
};

} // namespace weft
