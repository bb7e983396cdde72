#include "main/node_assembly.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/inbox/consumer_control.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "actors/inbox/pg_inbox.hpp"
#include "actors/outbox/admin.hpp"
#include "actors/outbox/outbox_relay.hpp"
#include "actors/outbox/pg_outbox_relay.hpp"
#include "actors/outbox/settings.hpp"
#include "actors/retention/retention_sweeper.hpp"
#include "adapters/cluster/cluster_node.hpp"
#include "adapters/cluster/partition_leases.hpp"
#include "adapters/http/http_server.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "adapters/memory/memory_store.hpp"
#include "adapters/metrics/metrics_endpoint.hpp"
#include "adapters/nats/jetstream_bus.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/settings.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "runtime/event_feed.hpp"
#include "runtime/drain.hpp"

// The one place that sees every adapter and wires them by configuration; it
// learns the services from the module list and names none of them.
namespace weft {

namespace {

using namespace std::chrono;
using time_point = lifecycle::clock::time_point;

bool hosts(const config::settings& s, const std::string& service) {
  const auto& v = s.node.services;
  return std::find(v.begin(), v.end(), service) != v.end();
}

consumer_config consumer_for(const config::settings& s, const service_decl& decl) {
  const auto& bus = s.bus;
  consumer_config c;
  c.name = decl.name;
  c.filters = decl.subscribes;
  c.ack_wait_ms = bus.ack_wait_ms;
  // In a cluster a dead node's deliveries go to its peers after ack_wait:
  // at most 3 s there (in-progress acks keep slow handlers' deliveries).
  if (s.cluster.enabled())
    c.ack_wait_ms = std::min<uint32_t>(c.ack_wait_ms, 3000);
  c.max_deliver = bus.max_deliver;
  c.backoff_ms = bus.backoff_ms;
  c.max_ack_pending = bus.max_ack_pending;
  return c;
}

void stop_actors(std::vector<caf::actor>& actors) {
  for (auto i = actors.rbegin(); i != actors.rend(); ++i)
    caf::anon_send_exit(*i, caf::exit_reason::user_shutdown);
  actors.clear();
}

} // namespace

struct node_assembly::parts {
  caf::actor_system* sys = nullptr;
  // The stores: PostgreSQL when configured; memory always (an embedded
  // node's store, and on a durable one the store of schema collections with
  // the provider memory).
  std::shared_ptr<memory::memory_store> memory;
  std::shared_ptr<pg::pg_store> postgres;
  std::unique_ptr<pg::database_health> health;
  std::unique_ptr<pg::pool> pool;
  std::optional<pg::connect_options> conn; ///< every PostgreSQL session's options
  // The bus.
  std::unique_ptr<nats::jetstream_bus> jetstream;
  std::shared_ptr<event_feed> feed; ///< what GET /v1/events streams
  event_bus_actor bus;
  // The outbox.
  caf::actor relay;
  caf::actor memory_relay; ///< the memory store's (also `relay` on an embedded node)
  std::vector<caf::actor> outbox_actors;
  // Services and what feeds them.
  std::map<std::string, std::vector<caf::actor>> services;
  std::vector<caf::actor> inboxes;
  caf::actor control; ///< the consumers' control plane
  caf::actor sweeper; ///< retention
  // The cluster: this node's services and where the others' answer.
  std::set<std::string> hosted;
  std::shared_ptr<cluster::member_list> members;
  std::unique_ptr<cluster::cluster_node> cluster;
  std::unique_ptr<cluster::partition_leases> partitions;
  std::string lease_owner; ///< locked_by of this node's outbox leases (durable)
  // The edges.
  token_verifier verify_token;
  std::vector<std::string> session_cookies; ///< every module's, for the edge
  std::string api_key_service;
  std::optional<metrics_endpoint> metrics_http;
  std::unique_ptr<http::server> http;
  std::atomic<bool> accepting{false};

  store& data() {
    return postgres ? static_cast<store&>(*postgres) : static_cast<store&>(*memory);
  }
};

node_assembly::node_assembly(const config::settings& settings,
                             std::span<const service_module> modules)
  : settings_(settings), modules_(modules), faults_(settings.faults.rules),
    parts_(std::make_unique<parts>()) {
}

node_assembly::~node_assembly() {
  release();
}

std::string node_assembly::mode() const {
  return std::string{settings_.database.url.empty() ? "memory" : "postgres"} + " store, "
         + (settings_.nats.url.empty() ? "in-process" : "jetstream") + " bus";
}

void node_assembly::assemble(caf::actor_system& sys, lifecycle& life) {
  auto& p = *parts_;
  p.sys = &sys;
  const auto& s = settings_;
  const bool durable = !s.database.url.empty();

  // Every module declares itself; the node hosts those named in
  // node.services. In a cluster every module's routes are served (a service
  // hosted elsewhere answers through its replicas there); alone, only the
  // hosted ones. Bearer tokens are checked on every node, by the codec of
  // whichever module issues them.
  const bool clustered = s.cluster.enabled();
  if (durable)
    p.lease_owner = s.node.name + ":" + events::new_uuid_v7();
  for (const auto& m : modules_) {
    auto decl = m.declare(s);
    if (decl.verify_token)
      p.verify_token = decl.verify_token;
    for (const auto& c : decl.session_cookies)
      if (std::find(p.session_cookies.begin(), p.session_cookies.end(), c) == p.session_cookies.end())
        p.session_cookies.push_back(c);
    bool here = hosts(s, m.name);
    if (!here && !clustered)
      continue;
    if (decl.resolves_api_keys)
      p.api_key_service = decl.name;
    if (here)
      p.hosted.insert(decl.name);
    registry.declare(std::move(decl));
  }
  if (durable) {
    registry.declare(outbox::outbox_admin_decl());
    p.hosted.insert("outbox");
  }
  // The consumers' control plane runs where inboxes do; an adapter node
  // routes /v1/consumers to a service node, like any service's routes.
  registry.declare(inbox::consumer_control_decl());
  if (!s.node.services.empty())
    p.hosted.insert("consumers");
  if (clustered) {
    p.members = std::make_shared<cluster::member_list>();
    registry.declare(cluster::cluster_decl(p.members));
    registry.set_max_in_flight(s.cluster.max_in_flight);
  }

  life.add(
    "metrics",
    [this, &p]() -> std::string {
      if (!settings_.metrics.enabled)
        return {};
      p.metrics_http.emplace(settings_.metrics, node_metrics.registry());
      try {
        auto port = p.metrics_http->start();
        std::cout << "weft: metrics on http://" << settings_.metrics.host << ':' << port
                  << "/metrics" << std::endl;
      } catch (const std::exception& e) {
        return e.what();
      }
      return {};
    },
    [&p](time_point) {
      if (p.metrics_http)
        p.metrics_http->stop();
    });

  life.add(
    "store",
    [this, &p, durable]() -> std::string {
      const auto& db = settings_.database;
      p.memory = std::make_shared<memory::memory_store>();
      if (!durable)
        return {};
      if (db.migrate_on_start) {
        pg::connection c{pg::connect_options_from(db, settings_.node.name + "-migrate")};
        if (auto err = c.wait_until_connected(seconds{30}))
          return "database: " + pg::describe(err);
        std::vector<migration_set> sets{{pg::core_module, pg::embedded_migrations()}};
        for (const auto& m : modules_)
          if (!m.migrations.empty())
            sets.push_back({m.name, m.migrations});
        auto applied = pg::apply_migrations(c, sets);
        if (!applied)
          return "database migrations: " + pg::describe(applied.error());
        for (const auto& name : *applied)
          spdlog::info("database: applied migration {}", name);
      }
      p.health = std::make_unique<pg::database_health>(
        pg::health_options_from(db, settings_.node.name, &node_metrics));
      auto* health = p.health.get();
      ready.add("database", [health] { return health->ready(); });
      p.pool = std::make_unique<pg::pool>(
        pg::pool::spawn(*p.sys, pg::pool_options_from(db, settings_.node.name)));
      p.conn = pg::connect_options_from(db, settings_.node.name);
      // Readiness follows a lost session at once, not at the next check.
      p.conn->on_lost = [health](const caf::error&) { health->report_failure(); };
      p.postgres = std::make_shared<pg::pg_store>(*p.conn, db.pool_size);
      return {};
    },
    [&p](time_point) {
      if (p.pool)
        p.pool->stop();
      if (p.health)
        p.health->stop();
    });

  life.add(
    "bus",
    [this, &p]() -> std::string {
      if (settings_.nats.url.empty()) {
        // The feed of GET /v1/events: every event the bus stores, in order.
        // The in-process stream lives as long as the process: a random epoch.
        p.feed = std::make_shared<event_feed>(events::new_uuid_v7().substr(24, 8),
                                              settings_.sse.history);
        memory::memory_bus_options mo{settings_.bus.dedupe_window_s, &node_metrics};
        mo.max_events = settings_.bus.memory_max_events;
        mo.on_stored = [feed = p.feed](uint64_t seq, const bus_message& m) {
          feed->append({seq, m.event.type, m.event.subject, events::encode(m.event)});
        };
        p.bus = memory::spawn_memory_bus(*p.sys, std::move(mo));
        return {};
      }
      auto opts =
        nats::jetstream_options_from(settings_.nats, settings_.node.name, &node_metrics);
      // In a cluster each partition has one reader, chosen by the leases.
      opts.assigned_partitions = settings_.cluster.enabled() && opts.partitions > 1;
      auto js = nats::jetstream_bus::start(*p.sys, opts);
      if (!js)
        return "nats: " + p.sys->render(js.error());
      p.jetstream = std::move(*js);
      p.bus = p.jetstream->actor();
      auto* bus = p.jetstream.get();
      ready.add("bus", [bus] { return bus->connected(); });
      // The feed of GET /v1/events: a tail of the stream, the last
      // sse.history events first, so readers resume across restarts.
      auto epoch = p.jetstream->stream_epoch();
      if (!epoch)
        return p.sys->render(epoch.error());
      p.feed = std::make_shared<event_feed>(*epoch, settings_.sse.history);
      if (auto err = p.jetstream->feed_to(p.feed, settings_.sse.history))
        return p.sys->render(err);
      return {};
    },
    [&p](time_point) {
      if (p.jetstream)
        p.jetstream->stop();
      else if (p.bus)
        caf::anon_send_exit(p.bus, caf::exit_reason::user_shutdown);
    });

  life.add(
    "outbox",
    [this, &p, durable]() -> std::string {
      // The memory store's relay: an embedded node's whole outbox; on a
      // durable one, that of the schema collections kept in memory (at
      // least once while the process lives, lost with their data otherwise).
      outbox::outbox_options mem;
      mem.bus = p.bus;
      mem.backoff_ms = settings_.outbox.backoff_ms;
      mem.metrics = &node_metrics;
      auto memory_relay = outbox::spawn_outbox_relay(*p.sys, mem);
      p.memory->set_relay(memory_relay);
      p.memory_relay = caf::actor_cast<caf::actor>(memory_relay);
      p.outbox_actors.push_back(p.memory_relay);
      if (!durable) {
        p.relay = p.memory_relay;
        return {};
      }
      auto opts = outbox::pg_relay_options_from(settings_.outbox);
      opts.pool = *p.pool;
      opts.listen = pg::connect_options_from(settings_.database,
                                             settings_.node.name + "-listen");
      opts.bus = p.bus;
      opts.metrics = &node_metrics;
      opts.name = settings_.node.name;
      opts.owner = p.lease_owner;
      auto relay = outbox::spawn_pg_outbox_relay(*p.sys, opts);
      p.postgres->set_relay(relay);
      p.relay = caf::actor_cast<caf::actor>(relay);
      auto admin = caf::actor_cast<caf::actor>(outbox::spawn_outbox_admin(*p.sys, *p.pool));
      registry.bind("outbox", admin);
      p.outbox_actors.push_back(p.relay);
      p.outbox_actors.push_back(admin);
      return {};
    },
    [this, &p](time_point deadline) {
      registry.unbind("outbox");
      // Ordering rule: what committed before the stop is published now.
      drain_until(*p.sys, p.relay, deadline, "outbox");
      if (p.memory_relay != p.relay)
        drain_until(*p.sys, p.memory_relay, deadline, "outbox (memory)");
      if (p.memory)
        p.memory->set_relay({});
      if (p.postgres)
        p.postgres->set_relay({});
      stop_actors(p.outbox_actors);
    });

  const bool adapter_only = s.node.services.empty();
  for (const auto& decl : registry.services()) {
    if (decl.name == "outbox" || !decl.start)
      continue;
    if (!p.hosted.contains(decl.name)) {
      // Served by other nodes. An adapter node (hosting no service) is
      // ready while each has a live replica somewhere; a service node is
      // ready for its own services whether or not others are deployed.
      if (adapter_only)
        ready.add("service " + decl.name + " (no live replica)", [this, name = decl.name] {
          auto* slot = registry.slot(name);
          return slot != nullptr && slot->available();
        });
      continue;
    }
    const auto* d = &decl;
    ready.add("service " + d->name, [this, name = d->name] {
      return static_cast<bool>(registry.resolve(name));
    });
    life.add(
      "service " + d->name,
      [this, &p, d]() -> std::string {
        service_context ctx{*p.sys, p.data(), node_metrics, settings_.node.name,
                            caf::actor_cast<caf::actor>(p.bus), p.memory.get()};
        auto instance = d->start(ctx);
        if (!instance)
          return p.sys->render(instance.error());
        p.services[d->name] = std::move(instance->actors);
        registry.bind(d->name, std::move(instance->front));
        return {};
      },
      [this, &p, d](time_point) {
        registry.unbind(d->name);
        stop_actors(p.services[d->name]);
      });
  }

  life.add(
    "deliveries",
    [this, &p, durable]() -> std::string {
      for (const auto& decl : registry.services()) {
        if (decl.subscribes.empty() || (!decl.on_event && !decl.on_events)
            || !p.hosted.contains(decl.name))
          continue;
        event_handler_actor inbox;
        if (durable) {
          inbox::pg_inbox_options o;
          o.consumer = decl.name;
          o.conn = *p.conn;
          o.conn.application_name += "-inbox-" + decl.name;
          o.handler = decl.on_event;
          o.batch_handler = decl.on_events;
          o.relay = caf::actor_cast<outbox_table_relay_actor>(p.relay);
          o.faults = &faults_;
          o.metrics = &node_metrics;
          inbox = inbox::spawn_pg_inbox(*p.sys, std::move(o));
        } else {
          inbox::inbox_options o;
          o.consumer = decl.name;
          o.data = p.memory;
          o.handler = decl.on_event;
          if (!o.handler && decl.on_events) {
            auto many = decl.on_events;
            o.handler = [many](unit_of_work& w, const events::envelope& ev) {
              return many(w, {&ev, 1});
            };
          }
          o.faults = &faults_;
          o.metrics = &node_metrics;
          inbox = inbox::spawn_inbox_consumer(*p.sys, std::move(o));
        }
        p.inboxes.push_back(caf::actor_cast<caf::actor>(inbox));
        caf::scoped_actor self{*p.sys};
        std::string error;
        self->request(p.bus, seconds{60}, subscribe_atom::value,
                      consumer_for(settings_, decl), inbox)
          .receive([](ack_atom) {},
                   [&](caf::error& err) { error = decl.name + ": cannot subscribe: " + p.sys->render(err); });
        if (!error.empty())
          return error;
      }
      return {};
    },
    [&p](time_point deadline) {
      // No new deliveries; those at handlers finish (or are naked) first.
      drain_until(*p.sys, caf::actor_cast<caf::actor>(p.bus), deadline, "bus");
      stop_actors(p.inboxes);
    });

  // Retention runs where services run (their tables and their inboxes').
  life.add(
    "retention",
    [this, &p]() -> std::string {
      std::vector<retention_rule> rules;
      for (const auto& decl : registry.services())
        if (p.hosted.contains(decl.name))
          rules.insert(rules.end(), decl.retention.begin(), decl.retention.end());
      if (rules.empty() && p.services.empty())
        return {};
      auto node = retention::node_rules(settings_);
      rules.insert(rules.end(), node.begin(), node.end());
      p.sweeper = retention::spawn_retention_sweeper(
        *p.sys, p.data(), std::move(rules), retention::options_from(settings_, &node_metrics),
        p.bus);
      return {};
    },
    [&p](time_point) {
      if (p.sweeper)
        caf::anon_send_exit(p.sweeper, caf::exit_reason::user_shutdown);
      p.sweeper = nullptr;
    });

  life.add(
    "consumer control",
    [this, &p]() -> std::string {
      if (!p.hosted.contains("consumers"))
        return {};
      p.control = caf::actor_cast<caf::actor>(
        inbox::spawn_consumer_control(*p.sys, p.bus, registry, &node_metrics));
      registry.bind("consumers", p.control);
      return {};
    },
    [this, &p](time_point) {
      if (!p.control)
        return;
      registry.unbind("consumers");
      caf::anon_send_exit(p.control, caf::exit_reason::user_shutdown);
      p.control = nullptr;
    });

  // After the services (it advertises their fronts), before the HTTP edge;
  // it leaves before the services stop, so peers stop routing here first.
  if (clustered)
    life.add(
      "cluster",
      [this, &p]() -> std::string {
        cluster::cluster_options o;
        o.settings = &settings_.cluster;
        o.node_name = settings_.node.name;
        o.version = WEFT_VERSION;
        o.registry = &registry;
        o.hosted.assign(p.hosted.begin(), p.hosted.end());
        o.node_metrics = &node_metrics;
        o.lease_owner = p.lease_owner;
        o.nats_url = settings_.nats.url;
        if (p.pool) {
          // A dead peer's rows go out now, not when its leases expire.
          o.on_lost = [pool = *p.pool](const std::string& node, const std::string& owner) {
            pool.post([node, owner](pg::connection& c) {
              auto n = pg::release_leases_of(c, owner);
              if (!n)
                spdlog::warn("cluster: cannot release the outbox leases of {}: {}", node,
                             pg::describe(n.error()));
              else if (*n > 0)
                spdlog::info("cluster: released {} outbox leases of {}", *n, node);
            });
          };
        }
        auto node = cluster::cluster_node::start(*p.sys, std::move(o), p.members);
        if (!node)
          return p.sys->render(node.error());
        p.cluster = std::move(*node);
        std::cout << "weft: cluster " << settings_.cluster.name << ", peers dial port "
                  << p.cluster->port() << std::endl;
        return {};
      },
      [&p](time_point) {
        if (p.cluster)
          p.cluster->leave();
      });

  // After the cluster (the fair share counts its members); stops first, so
  // the partitions are handed over while the node is still a member.
  const bool partitioned = clustered && !s.nats.url.empty() && s.nats.partitions > 1;
  if (clustered && !s.nats.url.empty() && !partitioned)
    spdlog::warn("cluster: nats.partitions is 1: replicas of a service compete for its "
                 "events, so one aggregate's events may be handled on two nodes at once; "
                 "set nats.partitions (the same on every node) for per-aggregate order");
  if (partitioned)
    life.add(
      "partitions",
      [this, &p]() -> std::string {
        cluster::partition_lease_options o;
        o.nats_url = settings_.nats.url;
        o.bucket = "weft_partitions_" + settings_.cluster.name;
        o.node = settings_.node.name;
        o.owner = p.lease_owner;
        o.partitions = settings_.nats.partitions;
        o.metrics = &node_metrics;
        for (const auto& decl : registry.services())
          if (!decl.subscribes.empty() && (decl.on_event || decl.on_events)
              && p.hosted.contains(decl.name)) {
            o.consumers.push_back(decl.name);
            o.fence = milliseconds{consumer_for(settings_, decl).ack_wait_ms
                                   + settings_.nats.fetch_wait_ms};
          }
        o.readers = [this](const std::string& consumer) -> size_t {
          auto* slot = registry.slot(consumer);
          return slot == nullptr ? 1 : slot->nodes().size();
        };
        auto leases = cluster::partition_leases::start(*p.sys, p.bus, std::move(o));
        if (!leases)
          return p.sys->render(leases.error());
        p.partitions = std::move(*leases);
        return {};
      },
      [&p](time_point deadline) {
        if (p.partitions)
          p.partitions->stop(deadline);
      });

  life.add(
    "http",
    [this, &p]() -> std::string {
      http::server_deps deps;
      deps.system = p.sys;
      deps.registry = &registry;
      deps.verify_token = p.verify_token;
      deps.session_cookies = p.session_cookies;
      deps.api_key_service = p.api_key_service;
      deps.metrics = &node_metrics;
      deps.not_ready = [this, &p] {
        auto out = ready.not_ready();
        if (!p.accepting.load())
          out.insert(out.begin(), "http");
        return out;
      };
      deps.feed = p.feed;
      deps.sse = settings_.sse;
      deps.node_name = settings_.node.name;
      deps.version = WEFT_VERSION;
      try {
        p.http = std::make_unique<http::server>(settings_.http, std::move(deps));
        auto port = p.http->start();
        p.accepting = true;
        std::string hosting;
        for (const auto& name : p.hosted)
          if (name != "outbox" && name != "consumers") // node machinery, not services
            hosting += (hosting.empty() ? "" : ", ") + name;
        std::cout << "weft: node " << settings_.node.name << " (" << mode() << ") hosting "
                  << (hosting.empty() ? "no service (an adapter node)" : hosting)
                  << ", API on http://" << settings_.http.host << ':' << port << "/v1"
                  << std::endl;
      } catch (const std::exception& e) {
        return e.what();
      }
      return {};
    },
    [&p](time_point deadline) {
      p.accepting = false;
      if (!p.http)
        return;
      p.http->stop_accepting();
      auto left = duration_cast<milliseconds>(deadline - lifecycle::clock::now());
      if (!p.http->drain(std::max(left, milliseconds{0})))
        spdlog::warn("stop: {} HTTP requests still in flight at the deadline",
                     p.http->in_flight());
      p.http->stop();
    });
}

void node_assembly::release() {
  if (!parts_)
    return;
  auto& p = *parts_;
  p.http.reset();
  if (p.feed)
    p.feed->stop();
  p.partitions.reset(); // hands over what it still reads, through the bus
  if (p.cluster)
    p.cluster->leave();
  p.cluster.reset();
  if (p.sweeper)
    caf::anon_send_exit(p.sweeper, caf::exit_reason::user_shutdown);
  p.sweeper = nullptr;
  stop_actors(p.inboxes);
  for (auto& [name, actors] : p.services)
    stop_actors(actors);
  stop_actors(p.outbox_actors);
  if (p.memory)
    p.memory->set_relay({});
  if (p.postgres)
    p.postgres->set_relay({});
  if (p.jetstream)
    p.jetstream->stop();
  else if (p.bus)
    caf::anon_send_exit(p.bus, caf::exit_reason::user_shutdown);
  if (p.pool)
    p.pool->stop();
  if (p.health)
    p.health->stop();
  // Handles kept past the actor system would keep its detached threads
  // waiting for their actors forever: drop them all now.
  registry.unbind_all();
  p.bus = nullptr;
  p.relay = nullptr;
  p.memory_relay = nullptr;
  p.jetstream.reset();
  p.pool.reset();
  p.memory.reset();
  p.postgres.reset();
}

} // namespace weft
