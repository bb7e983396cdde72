#include "main/node.hpp"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/http_server.hpp"
#include "adapters/metrics/metrics_endpoint.hpp"
#include "main/message_types.hpp"
#include "main/node_parts.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/logging.hpp"

// The one place that sees every module: builds the node from its settings.
// Start order: metrics, stores, bus, outbox, service groups and their
// inboxes, HTTP edge; stop in reverse (DESIGN §7, STYLE "Start and stop").
namespace weft {

namespace {

using namespace std::chrono;

/// Blocks until SIGTERM or SIGINT (both are blocked in every thread).
int wait_for_signal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

} // namespace

int run_node(const config::settings& settings) {
  // Signals are taken by sigwait on this thread alone: block them before any
  // thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  setup_logging(settings.log);
  int exit_code = 0;
  node_parts parts{settings}; // outlives the actor system: actors use its metrics
  {
    caf::actor_system_config cfg;
    // 0 means one per core, as documented; CAF's own default is at least 4,
    // and on 2 cores the 2 extra workers only poll, sleep and steal: 4.0-4.5k
    // -> 4.4-6.2k req/s on POST /v1/auth/api-keys, 43-50 -> 34-46 us of the
    // node's CPU per event through outbox, JetStream and inbox.
    size_t threads = settings.node.scheduler_threads;
    if (threads == 0)
      threads = std::max(1u, std::thread::hardware_concurrency());
    cfg.set("scheduler.max-threads", threads);
    register_message_types(cfg);
    caf::actor_system sys{cfg};

    if (auto err = parts.build(sys); !err.empty()) {
      std::cerr << "weft: cannot start: " << err << '\n';
      parts.stop_actors();
      exit_code = 1;
    } else {
      std::atomic<bool> stopping{false};
      std::optional<metrics_endpoint> metrics_http;
      http::server api{settings.http, parts.http_deps([&] { return !stopping.load(); })};

      lifecycle life;
      life.add(
        "metrics",
        [&]() -> std::string {
          if (!settings.metrics.enabled)
            return {};
          metrics_http.emplace(settings.metrics, parts.node_metrics.registry());
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
        "bus", [] { return std::string{}; }, [&](auto deadline) { parts.stop_bus(deadline); });
      life.add(
        "outbox", [] { return std::string{}; },
        [&](auto deadline) { parts.drain_outbox(deadline); });
      life.add(
        "http",
        [&]() -> std::string {
          try {
            auto port = api.start();
            std::cout << "weft: node " << settings.node.name << " (" << parts.mode()
                      << ") serving " << parts.registry.names().size()
                      << " services, API on http://" << settings.http.host << ':' << port
                      << "/v1" << std::endl;
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
      parts.stop_actors();
    }
  } // ~actor_system waits for every actor
  shutdown_logging();
  return exit_code;
}

} // namespace weft
