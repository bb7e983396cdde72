#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/all.hpp>

#include "runtime/service_ports.hpp"

// A scripted service handler for inbox tests: records every call and acks,
// fails, or holds its answer until released with `ready_atom`.
namespace weft::test {

/// What the sink answers to one event.
enum class sink_reply { ack, fail, hold };

/// Shared between a sink actor and the test thread.
struct sink {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<events::envelope> calls;
  std::function<sink_reply(const events::envelope&)> policy
    = [](const events::envelope&) { return sink_reply::ack; };

  size_t count() {
    std::lock_guard<std::mutex> lk{mtx};
    return calls.size();
  }

  bool wait_count(size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, timeout, [&] { return calls.size() >= n; });
  }
};

/// The sink's interface: the port plus a release of held answers.
using sink_actor = event_sink_actor::extend<caf::reacts_to<ready_atom>>;

struct sink_state {
  std::vector<caf::typed_response_promise<ack_atom>> held;
};

inline sink_actor spawn_sink(caf::actor_system& sys, std::shared_ptr<sink> s) {
  return sys.spawn([s](sink_actor::stateful_pointer<sink_state> self) -> sink_actor::behavior_type {
    return {
      [self, s](handle_atom, events::envelope& ev) -> caf::typed_response_promise<ack_atom> {
        auto rp = self->make_response_promise<ack_atom>();
        sink_reply r;
        {
          std::lock_guard<std::mutex> lk{s->mtx};
          s->calls.push_back(ev);
          r = s->policy(ev);
        }
        s->cv.notify_all();
        if (r == sink_reply::ack)
          rp.deliver(ack_atom::value);
        else if (r == sink_reply::fail)
          rp.deliver(caf::make_error(caf::sec::runtime_error, std::string{"sink failed"}));
        else
          self->state.held.push_back(rp);
        return rp;
      },
      [self](ready_atom) {
        for (auto& rp : self->state.held)
          rp.deliver(ack_atom::value);
        self->state.held.clear();
      },
    };
  });
}

} // namespace weft::test
