#include "actors/outbox/outbox_relay.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "events/routes.hpp"
#include "runtime/backoff.hpp"
#include "runtime/drain.hpp"

namespace weft::outbox {

namespace {

/// The relay's own interface: the port plus its timers.
using event_relay_impl = event_relay_actor::extend<
  caf::reacts_to<retry_atom, uint64_t>, ///< backoff elapsed: event number
  caf::reacts_to<drain_deadline>>;

/// An event handed over and not yet stored on the bus.
struct pending_event {
  uint64_t number = 0;   ///< arrival order
  events::envelope ev;
  uint32_t attempts = 0; ///< publishes tried so far
};

/// The relay's state. An event is either queued (not started) or started
/// (publishing, or waiting for a retry); a started event's subject is busy.
struct event_relay_state {
  static inline const char* name = "weft.outbox_relay";
  outbox_options opts;
  std::deque<pending_event> queue;               ///< not started, arrival order
  std::map<uint64_t, pending_event> started;     ///< by number
  std::unordered_set<std::string> busy_subjects; ///< envelope subjects of started events
  uint64_t next_number = 0;
  drain_waiters drains;
  std::minstd_rand rng{0x0b0c};

  size_t pending() const { return queue.size() + started.size(); }
};

using event_relay_pointer = event_relay_impl::stateful_pointer<event_relay_state>;

void publish(event_relay_pointer self, uint64_t number);

void report_pending(event_relay_state& st) {
  if (st.opts.metrics != nullptr)
    st.opts.metrics->gauge("weft_outbox_pending",
                           "Committed events not yet stored on the bus", "relay",
                           st.opts.name, static_cast<double>(st.pending()));
}

void check_drained(event_relay_state& st) {
  if (st.pending() == 0)
    st.drains.release_all();
}

/// Starts queued events, front first, skipping any whose subject is busy or
/// already skipped (so a subject's events never overtake each other). The
/// scan is bounded: a long run of one busy subject waits a little longer
/// rather than costing O(queue) per answer.
void pump(event_relay_pointer self) {
  auto& st = self->state;
  auto limit = std::max<uint32_t>(st.opts.max_in_flight, 1);
  size_t scan_budget = 4 * static_cast<size_t>(limit) + 16;
  std::unordered_set<std::string> skipped;
  auto it = st.queue.begin();
  while (it != st.queue.end() && st.started.size() < limit && scan_budget-- > 0) {
    const auto& subject = it->ev.subject;
    if (st.busy_subjects.count(subject) > 0 || skipped.count(subject) > 0) {
      skipped.insert(subject);
      ++it;
      continue;
    }
    st.busy_subjects.insert(subject);
    auto number = it->number;
    st.started.emplace(number, std::move(*it));
    it = st.queue.erase(it);
    publish(self, number);
  }
}

void on_stored(event_relay_pointer self, uint64_t number) {
  auto& st = self->state;
  auto it = st.started.find(number);
  if (it == st.started.end())
    return;
  st.busy_subjects.erase(it->second.ev.subject);
  st.started.erase(it);
  pump(self);
  report_pending(st);
  check_drained(st);
}

void on_failed(event_relay_pointer self, uint64_t number, const caf::error& err) {
  auto& st = self->state;
  auto it = st.started.find(number);
  if (it == st.started.end())
    return;
  auto& p = it->second;
  // Never drop: retry with backoff, keeping the subject busy meanwhile.
  auto delay = backoff_delay(st.opts.backoff_ms, p.attempts, st.rng);
  spdlog::warn("outbox: publishing event {} ({}) failed (attempt {}): {}; retry in {} ms",
               p.ev.id, p.ev.type, p.attempts, self->system().render(err), delay.count());
  self->delayed_send(self, delay, retry_atom::value, number);
}

void publish(event_relay_pointer self, uint64_t number) {
  auto& st = self->state;
  auto it = st.started.find(number);
  if (it == st.started.end())
    return;
  auto& p = it->second;
  p.attempts++;
  bus_message msg{events::subject_for_type(p.ev.type), p.ev, {}};
  self->request(st.opts.bus, st.opts.publish_timeout, publish_atom::value, std::move(msg))
    .then([self, number](uint64_t) { on_stored(self, number); },
          [self, number](caf::error& err) { on_failed(self, number, err); });
}

event_relay_impl::behavior_type outbox_relay(event_relay_pointer self, outbox_options opts) {
  self->state.opts = std::move(opts);
  return {
    [self](publish_atom, std::vector<events::envelope>& batch) {
      auto& st = self->state;
      for (auto& ev : batch)
        st.queue.push_back(pending_event{++st.next_number, std::move(ev), 0});
      pump(self);
      report_pending(st);
    },
    [self](drain_atom, uint32_t deadline_ms) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      if (st.pending() == 0)
        rp.deliver(ack_atom::value);
      else
        st.drains.park(self, rp, deadline_ms);
      return rp;
    },
    [self](retry_atom, uint64_t number) { publish(self, number); },
    [self](drain_deadline d) { self->state.drains.expire(d); },
  };
}

} // namespace

event_relay_actor spawn_outbox_relay(caf::actor_system& sys, outbox_options opts) {
  return sys.spawn(outbox_relay, std::move(opts));
}

} // namespace weft::outbox
