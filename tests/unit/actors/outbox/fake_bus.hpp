#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include <caf/all.hpp>

#include "runtime/event_bus.hpp"

// A fake bus for outbox tests (the real one is in-process too, but a fake can
// fail, stay silent, and watch what is in flight at once).
namespace weft::test {

/// Shared between the fake bus and the test thread.
struct fake_bus_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<bus_message> stored;
  uint32_t fail_first = 0;     ///< the first N publishes answer an error
  uint32_t silent_first = 0;   ///< then the next N are never answered
  bool slow = false;           ///< answer each publish a little later
  uint32_t publishes = 0;      ///< publish requests seen
  uint32_t max_concurrent = 0; ///< most publishes awaiting an answer at once
  bool same_subject_overlap = false; ///< two of one envelope subject at once

  bool wait_stored(size_t n, std::chrono::milliseconds t = std::chrono::milliseconds{5000}) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, t, [&] { return stored.size() >= n; });
  }

  std::vector<bus_message> snapshot() {
    std::lock_guard<std::mutex> lk{mtx};
    return stored;
  }
};

using fake_bus_impl = event_bus_actor::extend<caf::reacts_to<tick_atom, uint64_t>>;

struct fake_bus_state {
  struct held {
    caf::typed_response_promise<uint64_t> rp;
    bus_message msg;
  };
  std::map<uint64_t, held> slow;
  std::multiset<std::string> busy; ///< envelope subjects awaiting an answer
  uint64_t next = 0;
};

inline event_bus_actor spawn_fake_bus(caf::actor_system& sys, std::shared_ptr<fake_bus_log> log) {
  using pointer = fake_bus_impl::stateful_pointer<fake_bus_state>;
  auto store = [log](pointer self, bus_message msg) -> uint64_t {
    std::lock_guard<std::mutex> lk{log->mtx};
    auto it = self->state.busy.find(msg.event.subject);
    if (it != self->state.busy.end())
      self->state.busy.erase(it);
    log->stored.push_back(std::move(msg));
    log->cv.notify_all();
    return log->stored.size();
  };
  auto h = sys.spawn([log, store](pointer self) -> fake_bus_impl::behavior_type {
    return {
      [self, log, store](publish_atom, bus_message& msg) -> caf::typed_response_promise<uint64_t> {
        auto rp = self->make_response_promise<uint64_t>();
        uint32_t n, fail_first, silent_first;
        bool slow;
        {
          std::lock_guard<std::mutex> lk{log->mtx};
          n = ++log->publishes;
          slow = log->slow;
          fail_first = log->fail_first;
          silent_first = log->silent_first;
          if (self->state.busy.count(msg.event.subject) > 0)
            log->same_subject_overlap = true;
        }
        if (n <= fail_first) {
          rp.deliver(caf::make_error(caf::sec::runtime_error, std::string{"bus down"}));
          return rp;
        }
        if (n <= fail_first + silent_first)
          return rp; // never answered: the relay times out
        if (!slow) {
          rp.deliver(store(self, std::move(msg)));
          return rp;
        }
        {
          std::lock_guard<std::mutex> lk{log->mtx};
          self->state.busy.insert(msg.event.subject);
          log->max_concurrent = std::max<uint32_t>(log->max_concurrent,
                                                   static_cast<uint32_t>(self->state.busy.size()));
        }
        auto id = ++self->state.next;
        self->state.slow.emplace(id, fake_bus_state::held{rp, std::move(msg)});
        self->delayed_send(self, std::chrono::milliseconds{2}, tick_atom::value, id);
        return rp;
      },
      [](subscribe_atom, consumer_config&, event_handler_actor&) { return ack_atom::value; },
      [](stats_atom) { return std::vector<consumer_stats>{}; },
      [](drain_atom, uint32_t) { return ack_atom::value; },
      [](assign_atom, std::string&, std::vector<uint32_t>&) -> caf::result<ack_atom> {
        return caf::make_error(caf::sec::invalid_argument, "no partitions");
      },
      // No consumers here: the control plane has nothing to act on.
      [](pause_atom, const std::string&) -> caf::result<ack_atom> {
        return caf::make_error(caf::sec::invalid_argument, "no consumers");
      },
      [](resume_atom, const std::string&) -> caf::result<ack_atom> {
        return caf::make_error(caf::sec::invalid_argument, "no consumers");
      },
      [](query_atom, const stream_query&) { return std::vector<delivery>{}; },
      [](redrive_atom, const std::string&, const std::vector<uint64_t>&, bool) {
        return uint64_t{0};
      },
      [](prune_atom, int64_t, uint32_t) { return uint64_t{0}; },
      [self, store](tick_atom, uint64_t id) {
        auto it = self->state.slow.find(id);
        if (it == self->state.slow.end())
          return;
        auto rp = it->second.rp;
        auto seq = store(self, std::move(it->second.msg));
        self->state.slow.erase(it);
        rp.deliver(seq);
      },
    };
  });
  return h;
}

} // namespace weft::test
