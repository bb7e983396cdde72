#include "runtime/registry.hpp"

namespace weft {

replica service_slot::pick(const caf::actor_addr& avoid) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (local_.front && local_.front.address() != avoid)
    return local_;
  const replica* best = nullptr;
  uint32_t best_load = 0;
  auto n = remotes_.size();
  auto start = n == 0 ? 0 : turn_.fetch_add(1, std::memory_order_relaxed) % n;
  for (size_t k = 0; k < n; ++k) {
    const auto& r = remotes_[(start + k) % n];
    if (r.front.address() == avoid)
      continue;
    auto load = r.in_flight->load(std::memory_order_relaxed);
    if (load >= max_in_flight_)
      continue;
    if (best == nullptr || load < best_load) {
      best = &r;
      best_load = load;
    }
  }
  return best == nullptr ? replica{} : *best;
}

caf::actor service_slot::local() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return local_.front;
}

bool service_slot::available() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return local_.front || !remotes_.empty();
}

void service_slot::bind(caf::actor front) {
  std::lock_guard<std::mutex> guard{mtx_};
  local_.front = std::move(front);
  if (!local_.in_flight)
    local_.in_flight = std::make_shared<std::atomic<uint32_t>>(0);
}

void service_slot::add_remote(const std::string& node, caf::actor front) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& r : remotes_)
    if (r.node == node) {
      r.front = std::move(front);
      return;
    }
  remotes_.push_back({std::move(front), node, std::make_shared<std::atomic<uint32_t>>(0)});
}

void service_slot::remove_node(std::string_view node) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::erase_if(remotes_, [&](const replica& r) { return r.node == node; });
}

std::string service_slot::remove_front(const caf::actor_addr& front) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = remotes_.begin(); i != remotes_.end(); ++i)
    if (i->front.address() == front) {
      auto node = i->node;
      remotes_.erase(i);
      return node;
    }
  return {};
}

std::vector<std::string> service_slot::nodes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> out;
  if (local_.front)
    out.emplace_back();
  for (const auto& r : remotes_)
    out.push_back(r.node);
  return out;
}

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

void service_registry::add_remote(std::string_view name, const std::string& node,
                                  caf::actor front) {
  if (auto i = slots_.find(name); i != slots_.end())
    i->second->add_remote(node, std::move(front));
}

void service_registry::remove_node(std::string_view node) {
  for (auto& [name, s] : slots_)
    s->remove_node(node);
}

void service_registry::set_max_in_flight(uint32_t n) {
  for (auto& [name, s] : slots_)
    s->set_max_in_flight(n);
}

std::vector<std::string> service_registry::names() const {
  std::vector<std::string> out;
  for (const auto& d : decls_)
    out.push_back(d.name);
  return out;
}

void service_registry::unbind_all() {
  for (auto& [name, s] : slots_) {
    s->bind(caf::actor{});
    for (const auto& node : s->nodes())
      if (!node.empty())
        s->remove_node(node);
  }
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
