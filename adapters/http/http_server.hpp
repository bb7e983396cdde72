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
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

namespace weft {
class metrics;
} // namespace weft

// The public REST edge (DESIGN §4): Boost.Beast on its own Asio threads,
// handing requests to CAF through gateway actors. Beast and Asio stay out of
// this header.
namespace weft::http {

/// Verifies a bearer token on the I/O thread (pure CPU, thread-safe).
using token_verifier
  = std::function<caf::expected<weft::principal>(std::string_view token)>;

/// What the server needs from the node.
struct server_deps {
  caf::actor_system* system = nullptr;       ///< hosts the gateway actors
  std::vector<weft::service_decl> services;  ///< routes to serve
  token_verifier verify_token;               ///< may be empty: every token is rejected
  weft::identity_actor api_keys;             ///< may be invalid: X-API-Key rejected
  weft::metrics* metrics = nullptr;          ///< may be null
  std::function<bool()> ready;               ///< /health/ready; empty = always ready
  std::string node_name, version;            ///< for /v1/utils/version
};

/// The HTTP server. Start, then stop_accepting, drain and stop, from one
/// thread that is not a CAF scheduler thread (stop waits for actors).
class server {
public:
  /// Prepares the route table and OpenAPI document; binds nothing yet.
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
