#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include "adapters/http/http_server.hpp"

#include <stdexcept>

#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/asyncapi.hpp"
#include "adapters/http/gateway.hpp"
#include "adapters/http/listener.hpp"
#include "adapters/http/openapi.hpp"
#include "adapters/http/server_core.hpp"

namespace weft::http {

struct server::impl {
  server_core core;
  std::vector<std::unique_ptr<io_worker>> workers;
  std::unique_ptr<listener> accept; // destroyed before the workers it uses
  caf::actor supervisor;
  std::mutex gateways_mtx; // replacements come from the supervisor's thread
  std::vector<caf::actor> gateways; ///< the live ones, for stop
  bool started = false;
  bool stopped = false;

  void stop_actors();
};

server::server(config::http_section settings, server_deps deps)
  : impl_(std::make_unique<impl>()) {
  auto& core = impl_->core;
  core.settings = std::move(settings);
  core.deps = std::move(deps);
  core.request_timeout = std::chrono::milliseconds{core.settings.request_timeout_ms};
  core.keep_alive = std::chrono::milliseconds{core.settings.keep_alive_timeout_ms};
  // Without a registry the server answers its built-ins alone.
  static const service_registry none;
  // Routes point into the registry's declarations, fixed from here on.
  const auto& registry = core.deps.registry != nullptr ? *core.deps.registry : none;
  core.routes.add_builtins();
  // Two declarations of one route would leave one never answered: a start
  // error (the edge's exception, caught by the node's http stage). A schema
  // collection's path comes from its plural: `Event` would take /v1/events,
  // the event stream's.
  std::string twice;
  for (auto& dup : core.routes.add_services(registry))
    twice += (twice.empty() ? "" : ", ") + dup;
  if (!twice.empty())
    throw std::runtime_error("http: routes declared twice: " + twice
                             + " (a schema's crud.rest collection takes /v1/<plural>: give it "
                               "another plural)");
  core.openapi_body = make_openapi(registry.services(), core.deps.version).dump();
  core.services_body = make_service_list(registry.services()).dump();
  core.asyncapi_body = make_asyncapi(registry.services(), core.deps.version).dump();
  nlohmann::json names = nlohmann::json::array();
  for (auto& svc : registry.services())
    names.push_back(svc.name);
  core.api_keys = core.deps.api_key_service.empty()
                    ? nullptr
                    : registry.slot(core.deps.api_key_service);
  core.version_body = nlohmann::json{{"version", core.deps.version},
                                     {"node", core.deps.node_name},
                                     {"services", std::move(names)}}
                        .dump();
}

server::~server() {
  stop();
}

uint16_t server::start() {
  auto& self = *impl_;
  if (self.started)
    throw std::logic_error("http: server started twice");
  if (self.core.deps.system == nullptr)
    throw std::invalid_argument("http: server_deps.system is null");
  auto n = std::max<uint32_t>(1, self.core.settings.threads);
  std::vector<io_worker*> raw;
  for (uint32_t i = 0; i < n; ++i) {
    self.workers.push_back(std::make_unique<io_worker>(self.core));
    raw.push_back(self.workers.back().get());
  }
  self.accept = std::make_unique<listener>(raw);
  auto port = self.accept->open(self.core.settings.host,
                                static_cast<uint16_t>(self.core.settings.port));
  // Bound: from here on nothing throws, so spawning actors is safe.
  auto& sys = *self.core.deps.system;
  std::vector<caf::actor> gateways;
  for (auto* w : raw) {
    w->gateway = spawn_gateway(sys, self.core.api_keys);
    gateways.push_back(w->gateway);
  }
  self.gateways = gateways;
  auto* impl_ptr = impl_.get();
  self.supervisor = spawn_gateway_supervisor(
    sys, std::move(gateways), self.core.api_keys, [impl_ptr, raw](size_t i, caf::actor gw) {
      {
        std::lock_guard<std::mutex> guard{impl_ptr->gateways_mtx};
        impl_ptr->gateways[i] = gw;
      }
      boost::asio::post(raw[i]->ioc, [w = raw[i], gw = std::move(gw)]() mutable {
        w->gateway = std::move(gw);
      });
    });
  for (auto* w : raw)
    w->start();
  self.accept->start();
  self.started = true;
  spdlog::info("http: listening on {}:{} with {} I/O thread(s)", self.core.settings.host,
               port, n);
  return port;
}

void server::stop_accepting() {
  auto& self = *impl_;
  self.core.closing = true;
  if (self.started && !self.stopped)
    self.accept->close();
}

bool server::drain(std::chrono::milliseconds deadline) {
  auto& self = *impl_;
  auto& core = self.core;
  core.draining = true;
  auto until = std::chrono::steady_clock::now() + deadline;
  // Requests a client has begun sending are served too, not only those
  // already handed to a service: ask the I/O threads which sessions are
  // still in a request, closing idle ones, until none is left.
  for (;;) {
    std::size_t busy = core.in_flight.load();
    if (self.started && !self.stopped)
      for (auto& w : self.workers)
        busy += w->close_idle_sessions();
    if (busy == 0)
      return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= until)
      return false;
    // Sessions change phase on their own threads without telling us: look
    // again shortly (a finished service request wakes us at once).
    std::unique_lock<std::mutex> guard{core.drain_mtx};
    core.drain_cv.wait_until(guard, std::min(until, now + std::chrono::milliseconds{5}));
  }
}

void server::stop() {
  auto& self = *impl_;
  if (!self.started || self.stopped)
    return;
  self.stopped = true;
  self.core.closing = true;
  self.accept->close();
  for (auto& w : self.workers)
    w->stop();
  self.stop_actors();
}

void server::impl::stop_actors() {
  // Once the gateways are gone, no reply can post into an io_context that is
  // about to be destroyed: their pending requests die with them.
  caf::scoped_actor self{*core.deps.system};
  caf::anon_send_exit(supervisor, caf::exit_reason::kill);
  self->wait_for(supervisor);
  std::lock_guard<std::mutex> guard{gateways_mtx};
  for (auto& gw : gateways)
    caf::anon_send_exit(gw, caf::exit_reason::user_shutdown);
  self->wait_for(gateways);
}

std::size_t server::in_flight() const {
  return impl_->core.in_flight.load();
}

} // namespace weft::http
