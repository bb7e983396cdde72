#include "runtime/registry.hpp"

namespace weft {

void service_registry::add(service_decl decl) {
  ready_.emplace(decl.name, std::make_unique<std::atomic<bool>>(false));
  decls_.push_back(std::move(decl));
}

void service_registry::set_ready(const std::string& name, bool ready) {
  if (auto i = ready_.find(name); i != ready_.end())
    i->second->store(ready, std::memory_order_release);
}

bool service_registry::all_ready() const {
  if (ready_.empty())
    return false;
  for (const auto& [name, flag] : ready_)
    if (!flag->load(std::memory_order_acquire))
      return false;
  return true;
}

std::vector<std::string> service_registry::names() const {
  std::vector<std::string> out;
  for (const auto& d : decls_)
    out.push_back(d.name);
  return out;
}

} // namespace weft
