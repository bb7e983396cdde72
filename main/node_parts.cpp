#include "main/node_parts.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/audit/group.hpp"
#include "actors/auth/group.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "actors/inbox/pg_inbox.hpp"
#include "actors/outbox/outbox_relay.hpp"
#include "actors/outbox/pg_outbox_relay.hpp"
#include "actors/outbox/routes.hpp"
#include "actors/outbox/settings.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "adapters/nats/jetstream_bus.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/settings.hpp"

namespace weft {

namespace {

using namespace std::chrono;

bool hosts(const config::settings& s, const std::string& service) {
  const auto& v = s.node.services;
  return std::find(v.begin(), v.end(), service) != v.end();
}

consumer_config consumer_for(const config::bus_section& bus, const service_decl& decl) {
  consumer_config c;
  c.name = decl.name;
  c.filters = decl.subscribes;
  c.ack_wait_ms = bus.ack_wait_ms;
  c.max_deliver = bus.max_deliver;
  c.backoff_ms = bus.backoff_ms;
  c.max_ack_pending = bus.max_ack_pending;
  return c;
}

/// Asks an actor to drain and waits for its answer, at most until `deadline`.
template <class Handle>
void drain(caf::actor_system& sys, const Handle& h, steady_clock::time_point deadline,
           const char* what) {
  auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
  if (left.count() < 1)
    left = milliseconds{1};
  caf::scoped_actor self{sys};
  self->request(h, left + milliseconds{100}, drain_atom::value,
                static_cast<uint32_t>(left.count()))
    .receive([](ack_atom) {},
             [&](caf::error& err) {
               spdlog::warn("stop: {} did not drain in time: {}", what, sys.render(err));
             });
}

} // namespace

node_parts::node_parts(const config::settings& settings)
  : settings_(settings), faults_(settings.faults.rules) {
}

node_parts::~node_parts() = default;

template <class Handle>
void node_parts::keep(const Handle& h) {
  actors_.push_back(caf::actor_cast<caf::actor>(h));
}

std::string node_parts::mode() const {
  return std::string{db_pool_ ? "postgres" : "memory"} + " store, "
         + (jetstream_ ? "jetstream" : "in-process") + " bus";
}

std::string node_parts::build(caf::actor_system& sys) {
  sys_ = &sys;
  jwt_ = std::make_shared<const auth::jwt_codec>(auth::make_jwt_settings(settings_.auth));
  if (auto err = build_store(); !err.empty())
    return err;
  if (auto err = build_bus(); !err.empty())
    return err;
  return build_services();
}

std::string node_parts::build_store() {
  const auto& db = settings_.database;
  if (db.url.empty())
    return {};
  if (db.migrate_on_start) {
    pg::connection c{pg::connect_options_from(db, settings_.node.name + "-migrate")};
    if (auto err = c.wait_until_connected(seconds{30}))
      return "database: " + pg::describe(err);
    auto applied = pg::apply_migrations(c);
    if (!applied)
      return "database migrations: " + pg::describe(applied.error());
    for (const auto& name : *applied)
      spdlog::info("database: applied migration {}", name);
  }
  db_health_ = std::make_unique<pg::database_health>(
    pg::health_options_from(db, settings_.node.name, &node_metrics));
  db_pool_ = std::make_unique<pg::pool>(
    pg::pool::spawn(*sys_, pg::pool_options_from(db, settings_.node.name)));
  return {};
}

std::string node_parts::build_bus() {
  if (settings_.nats.url.empty()) {
    bus_ = memory::spawn_memory_bus(*sys_, {settings_.bus.dedupe_window_s, &node_metrics});
    keep(bus_);
  } else {
    auto opts = nats::jetstream_options_from(settings_.nats, settings_.node.name, &node_metrics);
    auto js = nats::jetstream_bus::start(*sys_, opts);
    if (!js)
      return "nats: " + sys_->render(js.error());
    jetstream_ = std::move(*js);
    bus_ = jetstream_->actor();
  }
  if (db_pool_) {
    auto opts = outbox::pg_relay_options_from(settings_.outbox);
    opts.pool = *db_pool_;
    opts.listen = pg::connect_options_from(settings_.database, settings_.node.name + "-listen");
    opts.bus = bus_;
    opts.metrics = &node_metrics;
    opts.name = settings_.node.name;
    relay_ = outbox::spawn_pg_outbox_relay(*sys_, opts);
  } else {
    outbox::outbox_options opts;
    opts.bus = bus_;
    opts.backoff_ms = settings_.outbox.backoff_ms;
    opts.metrics = &node_metrics;
    relay_ = outbox::spawn_outbox_relay(*sys_, opts);
  }
  keep(relay_);
  return {};
}

std::string node_parts::build_services() {
  std::optional<pg::connect_options> pg_opts;
  if (db_pool_) {
    pg_opts = pg::connect_options_from(settings_.database, settings_.node.name);
    // Readiness follows a lost session at once, not at the next check.
    auto* health = db_health_.get();
    pg_opts->on_lost = [health](const caf::error&) { health->report_failure(); };
  }
  if (hosts(settings_, "auth")) {
    auto group = auth::spawn_auth_group(*sys_, settings_.auth, settings_.root, jwt_, relay_,
                                        auth::auth_storage{pg_opts, settings_.database.pool_size});
    if (!group)
      return "auth: " + sys_->render(group.error());
    for (auto& w : group->workers)
      keep(w);
    keep(group->hashers);
    api_keys_ = caf::actor_cast<identity_actor>(group->front);
    registry.add(group->decl);
  }
  if (hosts(settings_, "audit")) {
    auto group = audit::spawn_audit_group(*sys_, audit::audit_storage{pg_opts});
    keep(group.front);
    event_handler_actor inbox;
    if (pg_opts) {
      inbox::pg_inbox_options opts;
      opts.consumer = group.decl.name;
      opts.conn = *pg_opts;
      opts.handler = group.durable_handler;
      opts.batch_handler = group.durable_batch_handler;
      opts.faults = &faults_;
      opts.metrics = &node_metrics;
      inbox = inbox::spawn_pg_inbox(*sys_, opts);
    } else {
      inbox::inbox_options opts;
      opts.consumer = group.decl.name;
      opts.handler = group.sink;
      opts.faults = &faults_;
      opts.metrics = &node_metrics;
      inbox = inbox::spawn_inbox_consumer(*sys_, opts);
    }
    keep(inbox);
    subscribe(group.decl, inbox);
    registry.add(group.decl);
  }
  if (db_pool_) {
    service_decl ops;
    ops.name = "outbox";
    ops.routes = outbox::outbox_routes(*db_pool_);
    registry.add(ops);
  }
  for (const auto& name : registry.names())
    registry.set_ready(name, true);
  return {};
}

void node_parts::subscribe(const service_decl& decl, event_handler_actor inbox) {
  caf::scoped_actor self{*sys_};
  self->request(bus_, seconds{60}, subscribe_atom::value, consumer_for(settings_.bus, decl),
                inbox)
    .receive([](ack_atom) {},
             [&](caf::error& err) {
               spdlog::error("{}: cannot subscribe: {}", decl.name, sys_->render(err));
             });
}

http::server_deps node_parts::http_deps(std::function<bool()> accepting) {
  http::server_deps deps;
  deps.system = sys_;
  deps.services = registry.services();
  auto jwt = jwt_;
  deps.verify_token = [jwt](std::string_view token) -> caf::expected<principal> {
    auto claims = jwt->verify(token, system_clock::now());
    if (!claims)
      return claims.error();
    return principal{std::move(claims->sub), std::move(claims->email),
                     std::move(claims->roles), "token"};
  };
  deps.api_keys = api_keys_;
  deps.metrics = &node_metrics;
  auto* health = db_health_.get();
  auto* js = jetstream_.get();
  deps.ready = [this, accepting = std::move(accepting), health, js] {
    return accepting() && registry.all_ready() && (health == nullptr || health->ready())
           && (js == nullptr || js->connected());
  };
  deps.node_name = settings_.node.name;
  deps.version = WEFT_VERSION;
  return deps;
}

void node_parts::drain_outbox(time_point deadline) {
  if (relay_)
    drain(*sys_, relay_, deadline, "outbox");
}

void node_parts::stop_bus(time_point deadline) {
  if (bus_)
    drain(*sys_, bus_, deadline, "bus");
  if (jetstream_)
    jetstream_->stop();
}

void node_parts::stop_actors() {
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  actors_.clear();
  bus_ = nullptr;
  relay_ = nullptr;
  api_keys_ = nullptr;
  if (jetstream_)
    jetstream_->stop();
  if (db_pool_)
    db_pool_->stop();
  if (db_health_)
    db_health_->stop();
  // Handles kept past the actor system would keep its detached threads
  // waiting for their actors forever: drop them all now.
  jetstream_.reset();
  db_pool_.reset();
  registry = service_registry{}; // its route handlers hold the front actors
}

} // namespace weft
