#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "config/settings.hpp"
#include "runtime/principal.hpp"
#include "runtime/registry.hpp"
#include "runtime/service.hpp"

namespace weft {
class metrics;
class event_feed;
} // namespace weft

// The public REST edge (DESIGN §4): Boost.Beast on its own Asio threads,
// handing requests to CAF through gateway actors. Beast and Asio stay out of
// this header.
namespace weft::http {

using weft::token_verifier;

/// What the server needs from the node.
struct server_deps {
  caf::actor_system* system = nullptr;       ///< hosts the gateway actors
  const weft::service_registry* registry = nullptr; ///< routes to serve, where services answer; null: built-ins only
  token_verifier verify_token;               ///< may be empty: every token is rejected
  /// Cookies that carry sign-in sessions' access tokens (verified like a
  /// bearer token, plus CSRF on unsafe methods); empty: cookies are ignored.
  std::vector<std::string> session_cookies;
  std::string api_key_service;               ///< resolves X-API-Key (identity_actor); empty: rejected
  weft::metrics* metrics = nullptr;          ///< may be null
  /// /health/ready: the parts not ready now (empty: ready); unset = always ready.
  std::function<std::vector<std::string>()> not_ready;
  std::string node_name, version;            ///< for /v1/utils/version
  /// GET /v1/events reads it (Server-Sent Events); null: that route answers 503.
  std::shared_ptr<weft::event_feed> feed;
  config::sse_section sse;
};

/// The HTTP server. Start, then stop_accepting, drain and stop, from one
/// thread that is not a CAF scheduler thread (stop waits for actors).
class server {
public:
  /// Prepares the route table and OpenAPI document from the registry's
  /// declarations (which must not change from here on); binds nothing yet.
  server(config::http_section settings, server_deps deps);

  /// Stops if still running.
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts the I/O threads; returns the bound port
  /// (settings.port 0 = any free port). Throws std::runtime_error when the
  /// address cannot be bound.
  uint16_t start();

  /// Closes the acceptor: new connections are refused, in-flight requests go
  /// on, and every further response carries `Connection: close`.
  void stop_accepting();

  /// Waits until no request is in flight (true) or the deadline passed (false).
  bool drain(std::chrono::milliseconds deadline);

  /// Closes all connections, joins the I/O threads and stops the gateways.
  void stop();

  /// Requests read but not yet answered.
  std::size_t in_flight() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace weft::http
