#include "main/node.hpp"

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/audit/group.hpp"
#include "actors/auth/group.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "actors/outbox/outbox_relay.hpp"
#include "adapters/http/http_server.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "adapters/metrics/metrics_endpoint.hpp"
#include "main/message_types.hpp"
#include "runtime/faults.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics.hpp"
#include "runtime/registry.hpp"

// The one place that sees every module: builds the node from its settings.
// Start order: metrics, bus, outbox, service groups and their inboxes, HTTP
// edge; stop in reverse (DESIGN §7, STYLE "Start and stop").
namespace weft {

namespace {

using namespace std::chrono;

bool hosts(const config::settings& s, const std::string& service) {
  const auto& v = s.node.services;
  return std::find(v.begin(), v.end(), service) != v.end();
}

/// Blocks until SIGTERM or SIGINT (both are blocked in every thread).
int wait_for_signal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
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

http::token_verifier make_token_verifier(std::shared_ptr<const auth::jwt_codec> jwt) {
  return [jwt](std::string_view token) -> caf::expected<principal> {
    auto claims = jwt->verify(token, system_clock::now());
    if (!claims)
      return claims.error();
    return principal{std::move(claims->sub), std::move(claims->email),
                     std::move(claims->roles), "token"};
  };
}

/// Asks an actor to drain and waits for its answer, at most until `deadline`.
template <class Handle>
void drain(caf::actor_system& sys, const Handle& h, lifecycle::clock::time_point deadline,
           const char* what) {
  auto left = duration_cast<milliseconds>(deadline - lifecycle::clock::now());
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

int run_node(const config::settings& settings) {
  // Durable storage and JetStream are the next milestone: refuse rather than
  // silently run on memory when the operator asked for durability.
  if (!settings.database.url.empty() || !settings.nats.url.empty()) {
    std::cerr << "weft: config: " << (settings.database.url.empty() ? "nats.url" : "database.url")
              << ": not supported by this build yet; unset it to run on embedded defaults\n";
    return 2;
  }
  // Signals are taken by sigwait on this thread alone: block them before any
  // thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  setup_logging(settings.log);
  int exit_code = 0;
  {
    caf::actor_system_config cfg;
    if (settings.node.scheduler_threads > 0)
      cfg.set("scheduler.max-threads", static_cast<size_t>(settings.node.scheduler_threads));
    register_message_types(cfg);
    caf::actor_system sys{cfg};

    metrics node_metrics;
    fault_plan faults{settings.faults.rules};
    service_registry registry;
    std::vector<caf::actor> actors; // every long-lived actor, to stop at the end
    auto keep = [&](const auto& h) { actors.push_back(caf::actor_cast<caf::actor>(h)); };

    auto jwt = std::make_shared<const auth::jwt_codec>(auth::make_jwt_settings(settings.auth));
    auto bus = memory::spawn_memory_bus(sys, {settings.bus.dedupe_window_s, &node_metrics});
    keep(bus);
    outbox::outbox_options outbox_opts;
    outbox_opts.bus = bus;
    outbox_opts.backoff_ms = settings.bus.backoff_ms;
    outbox_opts.metrics = &node_metrics;
    auto relay = outbox::spawn_outbox_relay(sys, outbox_opts);
    keep(relay);

    identity_actor api_keys;
    std::vector<std::pair<service_decl, event_sink_actor>> subscribers;
    if (hosts(settings, "auth")) {
      auto group = auth::spawn_auth_group(sys, settings.auth, settings.root, jwt, relay);
      if (!group) {
        std::cerr << "weft: auth: " << sys.render(group.error()) << '\n';
        for (auto& a : actors)
          caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
        shutdown_logging();
        return 2;
      }
      keep(group->front);
      keep(group->hashers);
      api_keys = caf::actor_cast<identity_actor>(group->front);
      registry.add(group->decl);
    }
    if (hosts(settings, "audit")) {
      auto group = audit::spawn_audit_group(sys);
      keep(group.front);
      subscribers.emplace_back(group.decl, group.sink);
      registry.add(group.decl);
    }

    // Each subscribing service reads the bus through its own inbox.
    for (auto& [decl, sink] : subscribers) {
      inbox::inbox_options opts;
      opts.consumer = decl.name;
      opts.handler = sink;
      opts.faults = &faults;
      opts.metrics = &node_metrics;
      auto inbox = inbox::spawn_inbox_consumer(sys, opts);
      keep(inbox);
      caf::scoped_actor self{sys};
      self->request(bus, seconds{5}, subscribe_atom::value, consumer_for(settings.bus, decl),
                    inbox)
        .receive([](ack_atom) {},
                 [&](caf::error& err) {
                   spdlog::error("{}: cannot subscribe: {}", decl.name, sys.render(err));
                 });
    }
    for (const auto& name : registry.names())
      registry.set_ready(name, true);

    std::atomic<bool> stopping{false};
    std::optional<metrics_endpoint> metrics_http;
    http::server_deps deps;
    deps.system = &sys;
    deps.services = registry.services();
    deps.verify_token = make_token_verifier(jwt);
    deps.api_keys = api_keys;
    deps.metrics = &node_metrics;
    deps.ready = [&] { return !stopping.load() && registry.all_ready(); };
    deps.node_name = settings.node.name;
    deps.version = WEFT_VERSION;
    http::server api{settings.http, std::move(deps)};

    lifecycle life;
    life.add(
      "metrics",
      [&]() -> std::string {
        if (!settings.metrics.enabled)
          return {};
        metrics_http.emplace(settings.metrics, node_metrics.registry());
        try {
          auto port = metrics_http->start();
          std::cout << "weft: metrics on http://" << settings.metrics.host << ':' << port
                    << "/metrics" << std::endl;
        } catch (const std::exception& e) {
          return e.what();
        }
        return {};
      },
      [&](auto) {
        if (metrics_http)
          metrics_http->stop();
      });
    life.add(
      "bus", [] { return std::string{}; },
      [&](auto deadline) { drain(sys, bus, deadline, "bus"); });
    life.add(
      "outbox", [] { return std::string{}; },
      [&](auto deadline) { drain(sys, relay, deadline, "outbox"); });
    life.add(
      "http",
      [&]() -> std::string {
        try {
          auto port = api.start();
          std::cout << "weft: node " << settings.node.name << " serving "
                    << registry.names().size() << " services, API on http://"
                    << settings.http.host << ':' << port << "/v1" << std::endl;
        } catch (const std::exception& e) {
          return e.what();
        }
        return {};
      },
      [&](auto deadline) {
        api.stop_accepting();
        auto left = duration_cast<milliseconds>(deadline - lifecycle::clock::now());
        if (!api.drain(std::max(left, milliseconds{0})))
          spdlog::warn("stop: {} HTTP requests still in flight at the deadline",
                       api.in_flight());
        api.stop();
      });

    if (auto err = life.start_all(); !err.empty()) {
      std::cerr << "weft: cannot start: " << err << '\n';
      exit_code = 1;
    } else {
      auto sig = wait_for_signal(signals);
      spdlog::info("stop: signal {}, draining (deadline {} ms)", sig,
                   settings.node.shutdown_timeout_ms);
      stopping = true;
      life.stop_all(milliseconds{settings.node.shutdown_timeout_ms});
    }
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  } // ~actor_system waits for every actor
  shutdown_logging();
  return exit_code;
}

} // namespace weft
