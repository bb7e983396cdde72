#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "adapters/http/route_table.hpp"
#include "runtime/problem.hpp"
#include "runtime/registry.hpp"
#include "runtime/route.hpp"
#include "runtime/service_ports.hpp"

// The hop from the I/O threads into CAF: an I/O thread anon_sends a prepared
// request to a gateway actor, which runs the route's handler; the answer
// comes back through an `exchange` that posts to the connection's thread.
namespace weft::http {

/// A response ready for the wire, minus the per-connection headers.
struct outcome {
  int status = 200;
  const char* content_type = "application/json"; ///< nullptr: no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A successful answer as it goes on the wire (JSON body).
outcome render(api_response resp);

/// A problem as it goes on the wire (problem+json body).
outcome render(const problem& p);

/// One request's completion, shared by the connection and whoever answers
/// (the handler, or the adapter's timeout guard): the first to claim it wins,
/// exactly once, from any thread.
class exchange {
public:
  virtual ~exchange() = default;

  /// True for the one caller that gets to answer.
  bool claim() noexcept {
    return !done_.exchange(true, std::memory_order_acq_rel);
  }

  /// Answers with `resp` unless already answered. Any thread.
  void reply(api_response resp);

  /// Answers with the problem for `err` unless already answered. Any thread.
  void fail(const caf::error& err);

  std::string request_id; ///< for logs

protected:
  /// Hands the answer to the connection's thread.
  virtual void deliver(outcome out) = 0;

private:
  std::atomic<bool> done_{false};
};

/// What an I/O thread sends a gateway: local-only (holds raw pointers and
/// callbacks), hence whitelisted below rather than inspectable.
struct gateway_job {
  const route_entry* route = nullptr; ///< lives as long as the server
  replica target;                     ///< where the route's service answers, picked by the session
  api_request req;
  std::string api_key;                ///< non-empty: resolve it before the handler
  std::chrono::milliseconds timeout{0};
  std::shared_ptr<exchange> ex;
};

/// Role check (DESIGN §5): none when `who` may call a route of `level`,
/// else `api_errc::forbidden`.
caf::error authorize(access level, const principal& who);

/// Spawns one gateway actor; `api_keys` is the slot of the service that
/// resolves API keys, null when API keys are rejected.
caf::actor spawn_gateway(caf::actor_system& sys, const service_slot* api_keys);

/// Spawns a supervisor that monitors `gateways` and respawns one that dies
/// abnormally (a handler continuation threw), reporting the replacement
/// through `on_replace(index, gateway)` from a CAF thread.
caf::actor spawn_gateway_supervisor(caf::actor_system& sys,
                                    std::vector<caf::actor> gateways,
                                    const service_slot* api_keys,
                                    std::function<void(size_t, caf::actor)> on_replace);

} // namespace weft::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::http::gateway_job)
