#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/inbox/inbox_consumer.hpp"
#include "adapters/memory/memory_store.hpp"
#include "sink_probe.hpp"
#include "tests/unit/adapters/memory/bus_probe.hpp"

namespace weft::test {

/// An actor system, a memory store, a sink handler and helpers to deliver to
/// an inbox directly; every spawned actor is stopped at the end.
struct inbox_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::shared_ptr<memory::memory_store> data = std::make_shared<memory::memory_store>();
  std::shared_ptr<sink> calls = std::make_shared<sink>();
  std::vector<caf::actor> actors;

  ~inbox_fixture() {
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// Spawns an inbox for `consumer` in front of the sink, on `store` (the
  /// fixture's by default).
  event_handler_actor inbox(std::string consumer, fault_plan* faults = nullptr,
                            std::shared_ptr<store> on = nullptr, weft::metrics* m = nullptr) {
    inbox::inbox_options opts;
    opts.consumer = std::move(consumer);
    opts.data = on ? std::move(on) : data;
    opts.handler = sink_handler(calls);
    opts.faults = faults;
    opts.metrics = m;
    auto h = inbox::spawn_inbox_consumer(sys, std::move(opts));
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// Delivers `m` as if the bus did; answers the error, or none for an ack.
  caf::error deliver(const event_handler_actor& to, bus_message m, uint32_t attempt = 1,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    return deliver_from(self, to, std::move(m), attempt, timeout);
  }

  static caf::error deliver_from(caf::scoped_actor& from, const event_handler_actor& to,
                                 bus_message m, uint32_t attempt,
                                 std::chrono::milliseconds timeout) {
    caf::error result;
    from->request(to, timeout, deliver_atom::value, delivery{std::move(m), 1, attempt})
      .receive([](ack_atom) {}, [&](caf::error& e) { result = std::move(e); });
    return result;
  }
};

/// The first string in an error's context, or empty.
inline std::string error_text(const caf::error& e) {
  const auto& ctx = e.context();
  for (size_t i = 0; i < ctx.size(); ++i)
    if (ctx.match_element<std::string>(i))
      return ctx.get_as<std::string>(i);
  return {};
}

/// A fault rule: `mode` for the first `first` deliveries to `handler`.
inline config::fault_rule rule(std::string handler, std::string mode, uint32_t first) {
  config::fault_rule r;
  r.handler = std::move(handler);
  r.mode = std::move(mode);
  r.first = first;
  return r;
}

} // namespace weft::test
