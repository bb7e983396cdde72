#include "adapters/metrics/metrics_endpoint.hpp"

#include <stdexcept>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

namespace weft::metrics_adapter {

metrics_endpoint::metrics_endpoint(config::metrics_section settings,
                                   std::shared_ptr<prometheus::Registry> registry)
  : settings_(std::move(settings)), registry_(std::move(registry)) {
  // nop
}

metrics_endpoint::~metrics_endpoint() {
  stop();
}

uint16_t metrics_endpoint::start() {
  if (exposer_)
    return exposer_->GetListeningPorts().at(0);
  // civetweb wants IPv6 literals in brackets.
  auto host = settings_.host;
  if (host.find(':') != std::string::npos && host.front() != '[')
    host = "[" + host + "]";
  auto address = host + ":" + std::to_string(settings_.port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("metrics: cannot listen on " + address + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_, "/metrics");
  auto ports = exposer_->GetListeningPorts();
  if (ports.empty())
    throw std::runtime_error("metrics: no listening port for " + address);
  return static_cast<uint16_t>(ports.front());
}

void metrics_endpoint::stop() {
  exposer_.reset();
}

} // namespace weft::metrics_adapter
