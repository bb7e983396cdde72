#include "runtime/registry.hpp"

namespace weft {

void service_registry::declare(service_decl decl) {
  slots_.emplace(decl.name, std::make_unique<service_slot>(decl.name));
  for (auto& r : decl.routes)
    if (r.service.empty() && !r.edge_only)
      r.service = decl.name;
  decls_.push_back(std::move(decl));
}

void service_registry::bind(std::string_view name, caf::actor front) {
  if (auto i = slots_.find(name); i != slots_.end())
    i->second->bind(std::move(front));
}

void service_registry::unbind(std::string_view name) {
  bind(name, caf::actor{});
}

const service_slot* service_registry::slot(std::string_view name) const {
  auto i = slots_.find(name);
  return i == slots_.end() ? nullptr : i->second.get();
}

caf::actor service_registry::resolve(std::string_view name) const {
  auto* s = slot(name);
  return s == nullptr ? caf::actor{} : s->resolve();
}

std::vector<std::string> service_registry::names() const {
  std::vector<std::string> out;
  for (const auto& d : decls_)
    out.push_back(d.name);
  return out;
}

void service_registry::unbind_all() {
  for (auto& [name, s] : slots_)
    s->bind(caf::actor{});
}

void readiness::add(std::string part, probe ready) {
  std::lock_guard<std::mutex> guard{mtx_};
  parts_.emplace_back(std::move(part), std::move(ready));
}

std::vector<std::string> readiness::not_ready() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> out;
  for (const auto& [name, ready] : parts_)
    if (ready && !ready())
      out.push_back(name);
  return out;
}

bool readiness::ready() const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [name, ready] : parts_)
    if (ready && !ready())
      return false;
  return true;
}

} // namespace weft
