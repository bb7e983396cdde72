#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/memory/memory_bus_state.hpp"
#include "runtime/backoff.hpp"
#include "runtime/error_text.hpp"
#include "events/errc.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"

// Delivery of stored messages to consumers. Rules, per consumer:
// - a sequence is delivered to one live handler at a time (round-robin);
// - ack: done; error reply or no ack within ack_wait: redelivered after
//   backoff_ms[min(attempt-1, len-1)] +-20% jitter;
// - after max_deliver attempts (or at once for an error of category
//   `events`, i.e. an event that cannot be decoded): a dead letter on
//   `weft.dlq.<consumer>`, and the consumer goes on;
// - at most max_ack_pending deliveries in flight, which also bounds CAF's
//   per-actor request bookkeeping (O(n) per reply).
namespace weft::memory {

namespace {

consumer_state* find_consumer(bus_pointer self, const std::string& name) {
  auto& cs = self->state.consumers;
  auto it = cs.find(name);
  return it == cs.end() ? nullptr : &it->second;
}

/// Publishes the message at `seq` as a dead letter of `c` and forgets it.
void dead_letter(bus_pointer self, consumer_state& c, uint64_t seq,
                 const std::string& reason, uint32_t deliveries) {
  auto& st = self->state;
  c.attempts.erase(seq);
  c.stats.dead_lettered++;
  const auto* found = st.log.find(seq);
  if (found == nullptr) // a dead letter pruned while it was being delivered
    return;
  const auto& orig = *found;
  count(st, bus_counter::dead_lettered, orig.event.type, c.cfg.name);
  spdlog::warn("bus: dead letter from consumer {}: seq {} subject {} after {} deliveries: {}",
               c.cfg.name, seq, orig.subject, deliveries, reason);
  // A dead letter that fails again is dropped, not dead-lettered again:
  // a consumer filtering `weft.>` would otherwise loop on its own letters.
  if (events::is_dead_letter_subject(orig.subject))
    return;
  bus_message dl;
  dl.subject = events::dead_letter_subject(c.cfg.name);
  dl.event = orig.event;
  dl.headers = orig.headers;
  dl.headers.emplace_back("Weft-Dlq-Reason", reason);
  dl.headers.emplace_back("Weft-Dlq-Consumer", c.cfg.name);
  dl.headers.emplace_back("Weft-Dlq-Deliveries", std::to_string(deliveries));
  dl.headers.emplace_back("Weft-Dlq-Subject", orig.subject);
  dl.headers.emplace_back("Weft-Dlq-Stream-Seq", std::to_string(seq));
  dl.headers.emplace_back("Weft-Dlq-Time", events::now_rfc3339_ms());
  // Stored without dedupe: it carries the original event id on purpose.
  store(self, std::move(dl));
}

void on_ack(bus_pointer self, const std::string& name, uint64_t seq, uint64_t token) {
  auto* c = find_consumer(self, name);
  if (c == nullptr)
    return;
  auto it = c->in_flight.find(seq);
  if (it == c->in_flight.end() || it->second.token != token)
    return; // stale: the delivery was already handed to another handler
  c->in_flight.erase(it);
  c->attempts.erase(seq);
  c->stats.acked++;
  if (const auto* m = self->state.log.find(seq); m != nullptr)
    count(self->state, bus_counter::acked, m->event.type, name);
  pump(self, *c);
  check_drained(self);
}

void on_fail(bus_pointer self, const std::string& name, uint64_t seq, uint64_t token,
             const caf::error& err) {
  auto* c = find_consumer(self, name);
  if (c == nullptr)
    return;
  auto it = c->in_flight.find(seq);
  if (it == c->in_flight.end() || it->second.token != token)
    return;
  c->in_flight.erase(it);
  auto attempts = c->attempts[seq];
  bool undecodable = events::is_events_error(err);
  if (undecodable || attempts >= c->cfg.max_deliver) {
    dead_letter(self, *c, seq, reason_of(err), attempts);
  } else {
    c->backing_off.insert(seq);
    self->delayed_send(self, backoff_delay(c->cfg.backoff_ms, attempts, self->state.rng), retry_atom::value,
                       name, seq);
  }
  pump(self, *c);
  check_drained(self);
}

void deliver(bus_pointer self, consumer_state& c, uint64_t seq) {
  auto& st = self->state;
  auto attempt = ++c.attempts[seq];
  auto handler = c.handlers[c.next_handler++ % c.handlers.size()];
  auto token = ++st.next_token;
  c.in_flight.emplace(seq, in_flight_entry{handler, token});
  const auto& msg = *st.log.find(seq); // pump skips what is gone
  c.stats.delivered++;
  count(st, bus_counter::delivered, msg.event.type, c.cfg.name);
  if (attempt > 1) {
    c.stats.redelivered++;
    count(st, bus_counter::redelivered, msg.event.type, c.cfg.name);
  }
  auto name = c.cfg.name;
  self->request(handler, std::chrono::milliseconds{c.cfg.ack_wait_ms}, deliver_atom::value,
                delivery{msg, seq, attempt})
    .then([self, name, seq, token](ack_atom) { on_ack(self, name, seq, token); },
          [self, name, seq, token](caf::error& err) { on_fail(self, name, seq, token, err); });
}

} // namespace

bool consumer_state::matches(std::string_view subject) const {
  if (cfg.filters.empty())
    return true;
  return std::any_of(cfg.filters.begin(), cfg.filters.end(),
                     [&](const std::string& f) { return events::subject_matches(f, subject); });
}

void pump(bus_pointer self, consumer_state& c) {
  auto& st = self->state;
  while (!st.draining && !c.paused && !c.handlers.empty()
         && c.in_flight.size() < c.cfg.max_ack_pending) {
    uint64_t seq;
    if (!c.ready.empty()) {
      seq = c.ready.front();
      c.ready.pop_front();
    } else if (!c.backlog.empty()) {
      seq = c.backlog.front();
      c.backlog.pop_front();
    } else {
      break;
    }
    if (st.log.find(seq) == nullptr) // a redriven or pruned dead letter: gone
      continue;
    deliver(self, c, seq);
  }
}

void attach(bus_pointer self, consumer_state& c, event_handler_actor handler) {
  if (std::find(c.handlers.begin(), c.handlers.end(), handler) == c.handlers.end()) {
    self->monitor(handler);
    c.handlers.push_back(std::move(handler));
  }
  pump(self, c);
}

void detach(bus_pointer self, const caf::actor_addr& handler) {
  auto& st = self->state;
  for (auto& [name, c] : st.consumers) {
    auto& hs = c.handlers;
    hs.erase(std::remove_if(hs.begin(), hs.end(),
                            [&](const event_handler_actor& h) { return h.address() == handler; }),
             hs.end());
    // The dead handler's deliveries go back to the front, in stream order,
    // without backoff: the handler did not refuse them, it vanished.
    std::vector<uint64_t> orphaned;
    for (auto& [seq, f] : c.in_flight)
      if (f.handler.address() == handler)
        orphaned.push_back(seq);
    std::sort(orphaned.begin(), orphaned.end());
    for (auto it = orphaned.rbegin(); it != orphaned.rend(); ++it) {
      c.in_flight.erase(*it);
      if (c.attempts[*it] >= c.cfg.max_deliver)
        dead_letter(self, c, *it, "handler terminated", c.attempts[*it]);
      else
        c.ready.push_front(*it);
    }
  }
  for (auto& [name, c] : st.consumers)
    pump(self, c);
  check_drained(self);
}

void on_retry(bus_pointer self, const std::string& consumer, uint64_t seq) {
  auto* c = find_consumer(self, consumer);
  if (c == nullptr || c->backing_off.erase(seq) == 0)
    return;
  c->ready.push_back(seq);
  pump(self, *c);
}

void check_drained(bus_pointer self) {
  auto& st = self->state;
  if (!st.draining || st.drains.empty() || st.total_in_flight() > 0)
    return;
  st.drains.release_all();
}

} // namespace weft::memory
