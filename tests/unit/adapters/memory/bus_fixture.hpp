#pragma once

#include <vector>

#include <caf/all.hpp>

#include "adapters/memory/memory_bus.hpp"
#include "bus_probe.hpp"

namespace weft::test {

/// An actor system, a scoped actor, a memory bus, and every actor a test
/// spawns, all stopped at the end (~actor_system waits for live actors).
struct bus_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  event_bus_actor bus;
  std::vector<caf::actor> actors;

  explicit bus_fixture(memory::memory_bus_options opts = {})
    : bus(memory::spawn_memory_bus(sys, opts)) {
  }

  ~bus_fixture() {
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::user_shutdown);
    self->send_exit(bus, caf::exit_reason::user_shutdown);
  }

  /// Spawns a probe handler that the fixture stops at the end.
  event_handler_actor probe_handler(std::shared_ptr<probe> p) {
    auto h = spawn_probe(sys, std::move(p));
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  uint64_t pub(bus_message m) { return publish(self, bus, std::move(m)); }

  caf::error sub(consumer_config cfg, event_handler_actor h) {
    return subscribe(self, bus, std::move(cfg), std::move(h));
  }

  consumer_stats stats(const std::string& name) { return stats_of(self, bus, name); }

  template <class Pred>
  bool wait_stats(const std::string& name, Pred pred,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    return test::wait_stats(self, bus, name, pred, timeout);
  }
};

} // namespace weft::test
