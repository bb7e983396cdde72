#pragma once

#include <cstdint>
#include <memory>

#include "config/settings.hpp"

namespace prometheus {
class Exposer;
class Registry;
} // namespace prometheus

namespace weft::metrics_adapter {

/// Serves a Prometheus registry at `http://<host>:<port>/metrics` on
/// civetweb's own threads (prometheus-cpp's Exposer).
class metrics_endpoint {
public:
  /// Serves `registry` as configured by `settings` once started.
  metrics_endpoint(config::metrics_section settings,
                   std::shared_ptr<prometheus::Registry> registry);
  ~metrics_endpoint();

  /// Binds and starts serving; returns the bound port (settings port 0 = any
  /// free port). Throws std::runtime_error when the address cannot be bound.
  uint16_t start();

  /// Stops serving; idempotent.
  void stop();

private:
  config::metrics_section settings_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

} // namespace weft::metrics_adapter

namespace weft {
/// The endpoint under the name the brief uses.
using metrics_adapter::metrics_endpoint;
} // namespace weft
