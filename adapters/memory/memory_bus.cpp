#include "adapters/memory/memory_bus.hpp"

#include <chrono>
#include <utility>

#include <caf/all.hpp>

#include "adapters/memory/memory_bus_state.hpp"
#include "events/routes.hpp"

// The bus's interface: publish (with dedupe), subscribe, stats, drain, and
// its two timers. The delivery machinery is in memory_bus_consumer.cpp.
namespace weft::memory {

namespace {

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Deletes the message at `seq` (a redriven or pruned dead letter): its
/// position stays, its memory goes.
void forget(stream_log& log, uint64_t seq) {
  auto& e = log.entries[seq - log.first];
  e.deleted = true;
  e.message = bus_message{};
}

/// The oldest sequence some consumer has yet to settle (waiting, backing
/// off or in flight); `log.next()` when none.
uint64_t oldest_unsettled(const bus_state& st) {
  uint64_t low = st.log.next();
  for (const auto& [name, c] : st.consumers) {
    if (!c.backlog.empty()) // in stream order
      low = std::min(low, c.backlog.front());
    for (auto seq : c.ready)
      low = std::min(low, seq);
    for (auto seq : c.backing_off)
      low = std::min(low, seq);
    for (const auto& [seq, entry] : c.in_flight)
      low = std::min(low, seq);
  }
  return low;
}

/// Past `max_events`, drops the oldest messages every consumer settled.
/// Runs when the stream is 1/16 over the limit, so its scan of the
/// consumers is paid once per many stores.
void trim(bus_state& st) {
  const auto limit = std::max<uint64_t>(st.opts.max_events, 1);
  if (st.log.entries.size() <= limit + limit / 16)
    return;
  const auto low = oldest_unsettled(st);
  while (st.log.entries.size() > limit && st.log.first < low) {
    st.log.entries.pop_front();
    ++st.log.first;
  }
}


/// Pauses (`on`) or resumes consumer `name`; resuming delivers what waited.
caf::result<ack_atom> set_paused(bus_pointer self, const std::string& name, bool on) {
  auto it = self->state.consumers.find(name);
  if (it == self->state.consumers.end())
    return invalid("no consumer " + name + " on this bus");
  it->second.paused = on;
  if (!on)
    pump(self, it->second);
  return ack_atom::value;
}

/// Forgets event ids older than the dedupe window.
void expire_dedupe(bus_state& st, bus_state::clock::time_point now) {
  auto window = std::chrono::seconds{st.opts.dedupe_window_s};
  while (!st.dedupe_order.empty() && st.dedupe_order.front().first + window <= now) {
    st.dedupe.erase(st.dedupe_order.front().second);
    st.dedupe_order.pop_front();
  }
}

memory_bus_impl::behavior_type memory_bus(bus_pointer self, memory_bus_options opts) {
  self->state.opts = opts;
  self->set_down_handler([self](caf::down_msg& dm) { detach(self, dm.source); });
  return {
    [self](publish_atom, bus_message& msg) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto now = bus_state::clock::now();
      expire_dedupe(st, now);
      // Dedupe by event id, as JetStream does with Nats-Msg-Id: the outbox
      // retries after a lost answer and must not store the event twice.
      const auto& id = dedupe_id_of(msg);
      if (!id.empty()) {
        if (auto it = st.dedupe.find(id); it != st.dedupe.end())
          return it->second;
      }
      auto type = msg.event.type;
      auto id_copy = id;
      // A transport header, as on JetStream: consumers do not see it.
      std::erase_if(msg.headers, [](const auto& h) { return h.first == dedupe_id_header; });
      auto seq = store(self, std::move(msg));
      if (!id_copy.empty()) {
        st.dedupe.emplace(id_copy, seq);
        st.dedupe_order.emplace_back(now, std::move(id_copy));
      }
      count(st, bus_counter::published, type, "");
      return seq;
    },
    [self](subscribe_atom, consumer_config& cfg,
           event_handler_actor& handler) -> caf::result<ack_atom> {
      if (auto err = weft::validate(cfg))
        return err;
      if (!handler)
        return invalid("subscribe needs a handler");
      auto& st = self->state;
      auto it = st.consumers.find(cfg.name);
      if (it == st.consumers.end()) {
        // A new durable consumer starts at the beginning of the stream
        // (deliver all). A later subscribe of the same name keeps the
        // first config and only adds a handler, as binding to an existing
        // JetStream durable does.
        consumer_state c;
        c.cfg = std::move(cfg);
        c.stats.name = c.cfg.name;
        for (uint64_t seq = st.log.first; seq < st.log.next(); ++seq)
          if (const auto* m = st.log.find(seq); m != nullptr && c.matches(m->subject))
            c.backlog.push_back(seq);
        it = st.consumers.emplace(c.cfg.name, std::move(c)).first;
      }
      attach(self, it->second, std::move(handler));
      return ack_atom::value;
    },
    [self](stats_atom) -> caf::result<std::vector<consumer_stats>> {
      std::vector<consumer_stats> out;
      for (auto& [name, c] : self->state.consumers) {
        auto s = c.stats;
        s.pending = c.backlog.size() + c.ready.size() + c.backing_off.size();
        s.in_flight = c.in_flight.size();
        s.paused = c.paused;
        out.push_back(std::move(s));
      }
      return out;
    },
    [self](pause_atom, const std::string& name) { return set_paused(self, name, true); },
    [self](resume_atom, const std::string& name) { return set_paused(self, name, false); },
    [self](query_atom, const stream_query& q) -> caf::result<std::vector<delivery>> {
      auto& st = self->state;
      std::vector<delivery> out;
      for (uint64_t seq = std::max(q.after + 1, st.log.first);
           seq < st.log.next() && out.size() < q.limit; ++seq)
        if (const auto* m = st.log.find(seq); m != nullptr && events::subject_matches(q.filter, m->subject))
          out.push_back(delivery{*m, seq, 0});
      return out;
    },
    [self](redrive_atom, const std::string& name, const std::vector<uint64_t>& seqs,
           bool republish) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto subject = events::dead_letter_subject(name);
      uint64_t n = 0;
      for (auto seq : seqs) {
        const auto* letter = st.log.find(seq);
        if (letter == nullptr || letter->subject != subject)
          continue;
        auto again = redriven(*letter);
        forget(st.log, seq);
        // Stored without dedupe: the event id is in the window on purpose.
        if (republish)
          store(self, std::move(again));
        ++n;
      }
      return n;
    },
    [self](prune_atom, int64_t before_ms, uint32_t limit) -> caf::result<uint64_t> {
      auto& log = self->state.log;
      uint64_t n = 0;
      // Stored in time order: the first young entry ends the search.
      for (uint64_t seq = log.first; seq < log.next() && n < limit; ++seq) {
        const auto& e = log.entries[seq - log.first];
        if (e.stored_ms >= before_ms)
          break;
        if (!e.deleted && events::is_dead_letter_subject(e.message.subject)) {
          forget(log, seq);
          ++n;
        }
      }
      return n;
    },
    [](assign_atom, std::string&, std::vector<uint32_t>&) -> caf::result<ack_atom> {
      // One node, one bus: there is nothing to share out.
      return caf::make_error(caf::sec::invalid_argument, "the in-process bus has no partitions");
    },
    [self](drain_atom, uint32_t deadline_ms) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      // From now on nothing new is delivered; answer once the deliveries in
      // flight are settled, or at the deadline. Always deliver: a dropped
      // promise sends nothing in CAF 0.17.
      st.draining = true;
      if (st.total_in_flight() == 0) {
        rp.deliver(ack_atom::value);
        return rp;
      }
      st.drains.park(self, rp, deadline_ms);
      return rp;
    },
    [self](retry_atom, const std::string& consumer, uint64_t seq) {
      on_retry(self, consumer, seq);
    },
    [self](drain_deadline d) { self->state.drains.expire(d); },
  };
}

} // namespace

uint64_t bus_state::total_in_flight() const {
  uint64_t n = 0;
  for (auto& [name, c] : consumers)
    n += c.in_flight.size();
  return n;
}

uint64_t store(bus_pointer self, bus_message msg) {
  auto& st = self->state;
  uint64_t seq = st.log.next();
  st.log.entries.push_back(stored_entry{std::move(msg), unix_ms()});
  auto subject = st.log.entries.back().message.subject; // copy: pump may store dead letters
  if (st.opts.on_stored && !events::is_dead_letter_subject(subject))
    st.opts.on_stored(seq, st.log.entries.back().message);
  for (auto& [name, c] : st.consumers) {
    if (c.matches(subject)) {
      c.backlog.push_back(seq);
      pump(self, c);
    }
  }
  trim(st);
  return seq;
}

event_bus_actor spawn_memory_bus(caf::actor_system& sys, memory_bus_options opts) {
  return sys.spawn(memory_bus, opts);
}

} // namespace weft::memory
