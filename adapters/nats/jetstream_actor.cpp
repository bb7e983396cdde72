#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/jetstream_state.hpp"
#include "events/codec.hpp"
#include "events/routes.hpp"

// The bus's interface: publish (async, windowed), subscribe, stats, drain,
// and what NATS threads send back. Lanes are in jetstream_consumer.cpp.
//
// Publish rules: the event goes out as structured CloudEvents with
// Nats-Msg-Id = event id (JetStream drops a repeat within the duplicate
// window and answers the first sequence); at most publish_window PubAcks are
// awaited, the rest wait in order; no PubAck within publish_timeout_ms (e.g.
// NATS is down) answers api_errc::unavailable, so the outbox retries.
namespace weft::nats {

namespace {

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

/// A durable name NATS accepts: no dots, wildcards or whitespace.
bool valid_durable(const std::string& name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char ch) {
    return ch == '.' || ch == '*' || ch == '>' || ch == ' ' || ch == '\t' || ch == '\r'
           || ch == '\n' || ch == '/' || ch == '\\';
  });
}

/// JetStream's own limits on top of the checks every bus makes.
caf::error validate_for_jetstream(const consumer_config& cfg) {
  if (!valid_durable(cfg.name))
    return invalid("consumer name must be non-empty, without '.', '*', '>', '/' or "
                   "whitespace: '" + cfg.name + "'");
  if (cfg.filters.size() > 1)
    return invalid("consumer " + cfg.name + ": nats-server 2.9 allows one subject filter "
                   "per consumer, got " + std::to_string(cfg.filters.size()));
  return weft::validate(cfg);
}


void fail(bus_pointer self, pub_entry& e, const std::string& why) {
  if (e.rp)
    e.rp->deliver(unavailable("nats: publish: " + why));
  else
    on_dead_letter_stored(self, e, why);
}

void schedule_sweep(bus_pointer self) {
  auto& st = self->state;
  if (st.sweep_scheduled || (st.pubs.empty() && st.queue.empty()))
    return;
  st.sweep_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds{250}, sweep_atom::value);
}

void send_now(bus_pointer self, unique_msg msg, pub_entry entry) {
  auto& st = self->state;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(entry.deadline - clock::now());
  if (left.count() <= 0) {
    fail(self, entry, "timeout waiting for room in the publish window");
    return;
  }
  if (!st.conn->connected()) {
    // Fail fast rather than fill the reconnect buffer: the caller (the
    // outbox) keeps the event and retries with backoff.
    fail(self, entry, "not connected to NATS");
    return;
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = left.count(); // the library answers a timeout through the AckHandler
  // Keyed by address: the AckHandler hands the message back, and it stays
  // allocated until the actor has seen it, so no other publish can share it.
  natsMsg* raw = msg.get();
  auto it = st.pubs.emplace(raw, std::move(entry)).first;
  natsMsg* handed = raw;
  natsStatus s = js_PublishMsgAsync(st.conn->js(), &handed, &po);
  if (s != NATS_OK) { // still ours (handed is not null): msg destroys it
    auto e = std::move(it->second);
    st.pubs.erase(it);
    fail(self, e, status_text(s));
    return;
  }
  msg.release(); // the library's now
  schedule_sweep(self);
}

/// Sends queued publishes while the window has room.
void refill(bus_pointer self) {
  auto& st = self->state;
  while (!st.queue.empty() && st.pubs.size() < st.opts().publish_window) {
    auto q = std::move(st.queue.front());
    st.queue.pop_front();
    send_now(self, std::move(q.msg), std::move(q.entry));
  }
}

void on_puback(bus_pointer self, const msg_ptr& msg, uint64_t seq, bool duplicate,
               const std::string& err) {
  auto& st = self->state;
  auto it = st.pubs.find(msg.get());
  if (it == st.pubs.end())
    return; // swept already: the caller got its error and will retry
  auto e = std::move(it->second);
  st.pubs.erase(it);
  if (!err.empty()) {
    fail(self, e, err);
  } else if (e.rp) {
    if (!duplicate)
      count(st, bus_counter::published, e.type, "");
    e.rp->deliver(seq);
  } else {
    on_dead_letter_stored(self, e, {});
  }
  refill(self);
}

/// Fails what waited too long: queued publishes, and sent ones whose
/// library timeout did not come (a safety net; the library's comes first).
void sweep(bus_pointer self) {
  auto& st = self->state;
  st.sweep_scheduled = false;
  auto now = clock::now();
  while (!st.queue.empty() && st.queue.front().entry.deadline <= now) {
    auto q = std::move(st.queue.front());
    st.queue.pop_front();
    fail(self, q.entry, "timeout waiting for room in the publish window");
  }
  auto grace = std::chrono::seconds{2};
  for (auto it = st.pubs.begin(); it != st.pubs.end();) {
    if (it->second.deadline + grace <= now) {
      auto e = std::move(it->second);
      it = st.pubs.erase(it);
      fail(self, e, "no PubAck in time");
    } else {
      ++it;
    }
  }
  refill(self);
  schedule_sweep(self);
}

/// A partition bound (or failed): its group's subscribers hear once all are.
void on_partition_ready(bus_pointer self, const std::string& group, const std::string& err) {
  auto& st = self->state;
  auto g = st.groups.find(group);
  if (g == st.groups.end() || g->second.unready == 0)
    return;
  auto& grp = g->second;
  if (!err.empty()) {
    for (auto& rp : grp.waiting)
      rp.deliver(unavailable(err));
    grp.waiting.clear();
  }
  if (--grp.unready == 0) {
    for (auto& rp : grp.waiting)
      rp.deliver(ack_atom::value);
    grp.waiting.clear();
  }
}

void on_ready(bus_pointer self, const std::string& name, const std::string& err) {
  auto& st = self->state;
  auto it = st.consumers.find(name);
  if (it == st.consumers.end())
    return;
  auto& c = it->second;
  auto waiting = std::move(c.waiting);
  auto group = c.group;
  if (!err.empty()) {
    spdlog::error("nats: consumer {}: {}", name, err);
    for (auto& [rp, h] : waiting)
      rp.deliver(unavailable(err));
    st.consumers.erase(it); // its thread has ended; the registry joins it
    if (!group.empty())
      on_partition_ready(self, group, err);
    return;
  }
  c.ready = true;
  for (auto& [rp, h] : waiting) {
    if (std::find(c.handlers.begin(), c.handlers.end(), h) == c.handlers.end()) {
      self->monitor(h);
      c.handlers.push_back(h);
    }
    rp.deliver(ack_atom::value);
  }
  keepalive(self, name);
  advance_all(self, c);
  if (!group.empty())
    on_partition_ready(self, group, {});
}

/// Starts reading one durable: its fetch thread creates and binds it, then
/// says ready. Null when the bus is stopping.
consumer_rt* start_consumer(bus_pointer self, consumer_config cfg, uint32_t limit) {
  auto& st = self->state;
  auto f = std::make_shared<fetcher>(st.conn, cfg, caf::actor_cast<caf::actor>(self), limit);
  {
    std::lock_guard<std::mutex> lk{st.registry->mtx};
    if (st.registry->closed)
      return nullptr;
    st.registry->all.push_back(f);
  }
  consumer_rt c;
  c.cfg = std::move(cfg);
  c.stats.name = c.cfg.name;
  c.fetch = f;
  auto name = c.cfg.name;
  auto& out = st.consumers.insert_or_assign(name, std::move(c)).first->second;
  f->start();
  return &out;
}

/// Pauses or resumes fetching for consumer (or group) `name` here.
caf::result<ack_atom> set_paused(bus_pointer self, const std::string& name, bool on) {
  auto& st = self->state;
  bool known = st.groups.contains(name);
  for (auto& [n, c] : st.consumers)
    if (pause_key(c) == name)
      known = true;
  if (!known)
    return invalid("nats: no consumer " + name + " subscribed here");
  if (on)
    st.paused.insert(name);
  else
    st.paused.erase(name);
  for (auto& [n, c] : st.consumers) {
    if (pause_key(c) != name || c.releasing || st.draining)
      continue;
    c.fetch->pause(on);
    if (!on)
      advance_all(self, c); // what it held meanwhile goes out now
  }
  return ack_atom::value;
}

/// Reads partition `k` of `group` here.
caf::error start_partition(bus_pointer self, consumer_group& grp, uint32_t k) {
  auto& st = self->state;
  auto parts = st.opts().partitions;
  consumer_config cfg = grp.cfg;
  cfg.name = grp.cfg.name + "_p" + std::to_string(k);
  cfg.filters = {events::partition_filter(grp.cfg.filters.empty() ? std::string{}
                                                                  : grp.cfg.filters.front(),
                                          k)};
  // The consumer's credit is shared out: one node reading every partition
  // holds as much as it would unpartitioned.
  auto whole = std::min(st.opts().max_in_flight, grp.cfg.max_ack_pending);
  auto limit = std::max<uint32_t>((whole + parts - 1) / parts, 16);
  auto* c = start_consumer(self, std::move(cfg), limit);
  if (c == nullptr)
    return unavailable("nats: the bus is stopping");
  c->group = grp.cfg.name;
  c->partition = k;
  c->handlers = grp.handlers;
  if (st.paused.contains(c->group))
    c->fetch->pause(true);
  grp.unready++;
  return {};
}

caf::result<ack_atom> subscribe_partitioned(bus_pointer self, consumer_config& cfg,
                                            event_handler_actor& handler) {
  auto& st = self->state;
  if (!cfg.filters.empty() && events::partition_filter(cfg.filters.front(), 0).empty())
    return invalid("consumer " + cfg.name + ": a partitioned consumer's filter must be under "
                   "weft., got '" + cfg.filters.front() + "'");
  auto [g, fresh] = st.groups.try_emplace(cfg.name);
  auto& grp = g->second;
  if (std::find(grp.handlers.begin(), grp.handlers.end(), handler) == grp.handlers.end()) {
    self->monitor(handler);
    grp.handlers.push_back(handler);
    for (auto& [name, c] : st.consumers)
      if (c.group == cfg.name) {
        c.handlers.push_back(handler);
        advance_all(self, c);
      }
  }
  if (fresh) {
    grp.cfg = std::move(cfg); // the first config stays, as for a durable
    if (!st.opts().assigned_partitions)
      for (uint32_t k = 0; k < st.opts().partitions; ++k)
        if (auto err = start_partition(self, grp, k))
          return err;
  }
  if (grp.unready == 0)
    return ack_atom::value;
  auto rp = self->make_response_promise<ack_atom>();
  grp.waiting.push_back(rp);
  return rp;
}

/// The partitions of `group` read here from now on; answers once those
/// taken away are settled.
caf::result<ack_atom> assign(bus_pointer self, const std::string& group,
                             const std::vector<uint32_t>& owned) {
  auto& st = self->state;
  if (st.opts().partitions <= 1)
    return invalid("nats: assign needs nats.partitions > 1");
  auto g = st.groups.find(group);
  if (g == st.groups.end())
    return invalid("nats: assign: no consumer " + group + " subscribed here");
  if (st.draining)
    return ack_atom::value; // the drain gives everything back
  std::vector<bool> want(st.opts().partitions, false);
  for (auto k : owned)
    if (k < want.size())
      want[k] = true;
  for (uint32_t k = 0; k < want.size(); ++k) {
    auto it = st.consumers.find(group + "_p" + std::to_string(k));
    if (want[k] && it == st.consumers.end()) {
      if (auto err = start_partition(self, g->second, k))
        return err;
    } else if (want[k] && it->second.releasing) {
      // Taken away and given back before it settled: it reads on.
      it->second.releasing = false;
      it->second.fetch_quiet = false;
      it->second.fetch->pause(st.paused.contains(group));
    }
  }
  auto wait = std::make_shared<release_wait>();
  for (auto& [name, c] : st.consumers) {
    if (c.group != group || want[c.partition])
      continue;
    if (!c.releasing)
      begin_release(self, c);
    c.released.push_back(wait);
    wait->left++;
  }
  if (wait->left == 0)
    return ack_atom::value;
  wait->rp = self->make_response_promise<ack_atom>();
  auto rp = wait->rp;
  check_drained(self); // those with nothing held go at once
  return rp;
}

} // namespace

/// The message on the wire: structured-mode CloudEvents (JSON payload,
/// Content-Type), Nats-Msg-Id = the dedupe id, then the caller's own headers.
caf::expected<unique_msg> make_nats_message(const bus_message& m, uint32_t partitions) {
  auto payload = events::encode(m.event);
  natsMsg* raw = nullptr;
  std::string partitioned;
  const std::string* subject = &m.subject;
  if (partitions > 1) {
    const auto& aggregate = m.event.subject.empty() ? m.event.id : m.event.subject;
    partitioned =
      events::partitioned_subject(m.subject, events::partition_of(aggregate, partitions));
    subject = &partitioned;
  }
  natsStatus s = natsMsg_Create(&raw, subject->c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK)
    return invalid("nats: cannot build a message on '" + m.subject + "': " + status_text(s));
  auto msg = own_unique(raw);
  s = natsMsgHeader_Set(raw, "Content-Type", cloudevents_json);
  if (const auto& dedupe = dedupe_id_of(m); s == NATS_OK && !dedupe.empty())
    s = natsMsgHeader_Set(raw, "Nats-Msg-Id", dedupe.c_str());
  for (auto& [k, v] : m.headers)
    if (s == NATS_OK && !transport_header(k) && k != dedupe_id_header)
      s = natsMsgHeader_Add(raw, k.c_str(), v.c_str());
  if (s != NATS_OK)
    return invalid("nats: cannot set headers: " + status_text(s));
  return msg;
}

void submit(bus_pointer self, unique_msg msg, pub_entry entry) {
  auto& st = self->state;
  if (st.pubs.size() < st.opts().publish_window && st.queue.empty()) {
    send_now(self, std::move(msg), std::move(entry));
    return;
  }
  st.queue.push_back(queued_pub{std::move(msg), std::move(entry)});
  schedule_sweep(self);
}

jetstream_impl::behavior_type jetstream_actor(bus_pointer self, std::shared_ptr<connection> conn,
                                              std::shared_ptr<fetcher_registry> registry) {
  self->state.conn = std::move(conn);
  self->state.registry = std::move(registry);
  self->state.letters = spawn_dead_letters(self->system(), self->state.conn);
  self->link_to(self->state.letters); // it goes with the bus
  self->set_down_handler([self](caf::down_msg& dm) { detach(self, dm.source); });
  return {
    [self](publish_atom, bus_message& m) -> caf::result<uint64_t> {
      auto msg = make_nats_message(m, self->state.opts().partitions);
      if (!msg)
        return std::move(msg.error());
      auto& st = self->state;
      pub_entry e;
      e.rp = self->make_response_promise<uint64_t>();
      e.type = m.event.type;
      e.deadline = clock::now() + std::chrono::milliseconds{st.opts().publish_timeout_ms};
      auto rp = *e.rp;
      submit(self, std::move(*msg), std::move(e));
      return rp;
    },
    [self](subscribe_atom, consumer_config& cfg,
           event_handler_actor& handler) -> caf::result<ack_atom> {
      if (auto err = validate_for_jetstream(cfg))
        return err;
      if (!handler)
        return invalid("subscribe needs a handler");
      auto& st = self->state;
      if (st.opts().partitions > 1)
        return subscribe_partitioned(self, cfg, handler);
      auto it = st.consumers.find(cfg.name);
      if (it != st.consumers.end()) {
        // Same name again: one more handler on the same durable; the first
        // config stays, as binding to an existing JetStream durable does.
        auto& c = it->second;
        if (!c.ready) {
          auto rp = self->make_response_promise<ack_atom>();
          c.waiting.emplace_back(rp, std::move(handler));
          return rp;
        }
        if (std::find(c.handlers.begin(), c.handlers.end(), handler) == c.handlers.end()) {
          self->monitor(handler);
          c.handlers.push_back(std::move(handler));
        }
        advance_all(self, c);
        return ack_atom::value;
      }
      auto limit = std::min(st.opts().max_in_flight, cfg.max_ack_pending);
      auto* c = start_consumer(self, std::move(cfg), limit);
      if (c == nullptr)
        return unavailable("nats: the bus is stopping");
      auto rp = self->make_response_promise<ack_atom>();
      c->waiting.emplace_back(rp, std::move(handler));
      return rp;
    },
    [self](stats_atom) -> caf::result<std::vector<consumer_stats>> {
      std::vector<consumer_stats> out;
      for (auto& [name, c] : self->state.consumers) {
        auto s = c.stats;
        s.in_flight = c.in_flight;
        // Lag on the server plus what this instance holds but has not handed out.
        s.pending = c.fetch->num_pending() + (c.held_count - c.in_flight);
        s.paused = self->state.paused.contains(pause_key(c));
        s.group = c.group;
        out.push_back(std::move(s));
      }
      return out;
    },
    [self](assign_atom, std::string& group,
           std::vector<uint32_t>& owned) -> caf::result<ack_atom> {
      return assign(self, group, owned);
    },
    [self](pause_atom, const std::string& name) { return set_paused(self, name, true); },
    [self](resume_atom, const std::string& name) { return set_paused(self, name, false); },
    [self](query_atom, const stream_query& q) -> caf::result<std::vector<delivery>> {
      // Blocking requests: the reader's own thread answers the caller.
      return self->delegate(self->state.letters, query_atom::value, q);
    },
    [self](redrive_atom, const std::string& name, const std::vector<uint64_t>& seqs,
           bool republish) -> caf::result<uint64_t> {
      return self->delegate(self->state.letters, redrive_atom::value, name, seqs, republish);
    },
    [self](prune_atom, int64_t before_ms, uint32_t limit) -> caf::result<uint64_t> {
      return self->delegate(self->state.letters, prune_atom::value, before_ms, limit);
    },
    [self](drain_atom, uint32_t deadline_ms) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      // Stop fetching, give back what no handler has, answer when the
      // deliveries at handlers are settled or at the deadline. Always
      // deliver: a dropped promise sends nothing in CAF 0.17.
      st.drains.park(self, rp, deadline_ms);
      begin_drain(self);
      return rp;
    },
    [self](puback_atom, msg_ptr& msg, uint64_t seq, bool duplicate, std::string& err) {
      on_puback(self, msg, seq, duplicate, err);
    },
    [self](batch_atom, std::string& consumer, batch_ptr& batch) {
      on_batch(self, consumer, std::move(batch));
    },
    [self](ready_atom, std::string& consumer, std::string& err) { on_ready(self, consumer, err); },
    [self](quiet_atom, std::string& consumer) {
      auto it = self->state.consumers.find(consumer);
      if (it != self->state.consumers.end() && it->second.releasing) {
        it->second.fetch_quiet = true;
        check_drained(self);
      }
    },
    [self](retry_atom, std::string& consumer, std::string& key, uint64_t token) {
      on_retry(self, consumer, key, token);
    },
    [self](keepalive_atom, std::string& consumer) { keepalive(self, consumer); },
    [self](sweep_atom) { sweep(self); },
    [self](drain_deadline d) { self->state.drains.expire(d); },
  };
}

} // namespace weft::nats
