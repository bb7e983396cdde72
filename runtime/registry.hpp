#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/service.hpp"

namespace weft {

/// The services this node hosts, their declarations and their readiness.
/// Filled before the HTTP edge starts; readiness is read from any thread.
class service_registry {
public:
  /// Adds a service, not ready until `set_ready`.
  void add(service_decl decl);

  void set_ready(const std::string& name, bool ready);

  /// True when every service is ready (and there is at least one).
  bool all_ready() const;

  std::vector<std::string> names() const;
  const std::vector<service_decl>& services() const { return decls_; }

private:
  std::vector<service_decl> decls_;
  std::map<std::string, std::unique_ptr<std::atomic<bool>>> ready_;
};

} // namespace weft
