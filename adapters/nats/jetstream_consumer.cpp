#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/jetstream_state.hpp"
#include "runtime/backoff.hpp"
#include "runtime/error_text.hpp"
#include "events/errc.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"

// Delivery of fetched messages to handlers. Rules, per consumer:
// - a lane is one aggregate: NATS subject + CloudEvents `subject`. Its
//   messages go to a handler one at a time, in stream order; the next one
//   waits until the front is settled (acked, dead-lettered), also through
//   retries. Lanes run concurrently, at most max_in_flight messages held;
// - ack: +ACK, the lane moves on. Error reply, or no reply within
//   ack_wait: the lane waits backoff_ms[min(attempt-1, len-1)] +-20% and the
//   handler gets the same message again (a local retry; the server is kept
//   from redelivering it by in-progress acks every ack_wait/3);
// - attempt = the server's NumDelivered + local retries; after max_deliver
//   attempts (or when the server redelivers past it: a node died each
//   time), at once for an error of category `events`, or for a payload
//   that does not decode as a CloudEvent: publish to `weft.dlq.<consumer>`
//   (original payload and headers + Weft-Dlq-*), and only once that is
//   stored, +TERM. A dead letter that fails or does not decode is
//   Termed, never dead-lettered again (a `weft.>` consumer would loop);
// - drain (and a partition taken away): nothing new is fetched; each lane is
//   naked back to the server in stream order as soon as its front is not at
//   a handler (a backoff is cut short), for another replica; answers once
//   the handlers' replies and the dead letters under way are settled.
namespace weft::nats {

namespace {

consumer_rt* find_consumer(bus_pointer self, const std::string& name) {
  auto& cs = self->state.consumers;
  auto it = cs.find(name);
  return it == cs.end() ? nullptr : &it->second;
}

std::string lane_key(const fetched& f) {
  std::string key = f.subject;
  key += '\x1f';
  if (f.event)
    key += f.event->subject;
  return key;
}

std::chrono::milliseconds backoff(jetstream_state& st, const consumer_config& cfg,
                                  uint32_t attempt) {
  return backoff_delay(cfg.backoff_ms, attempt, st.rng);
}

/// A header value on one line (NATS headers end at CR/LF).
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n'; }, ' ');
  return s;
}

/// The front of `l` is settled: forget it and give its credit back.
void pop_front(bus_pointer self, consumer_rt& c, lane& l) {
  c.held_seqs.erase(l.queue.front().f.stream_seq);
  l.queue.pop_front();
  c.held_count--;
  l.phase = lane_phase::idle;
  c.fetch->release(1);
}

/// Hands every held message of `l` back to the server, oldest first and
/// without delay: the server redelivers naked messages in the order of the
/// naks, and the next reader must see the lane in stream order. While the
/// front is at a handler nothing goes (it would overtake the front); the
/// lane is given back once the front settles. A backoff still running is
/// cut short: the next reader retries at once.
void give_back(consumer_rt& c, lane& l) {
  if (l.phase == lane_phase::handling || l.phase == lane_phase::dead_lettering)
    return;
  for (auto& h : l.queue) {
    nak(h.f);
    c.held_seqs.erase(h.f.stream_seq);
    c.held_count--;
    c.fetch->release(1);
  }
  l.queue.clear();
  l.phase = lane_phase::idle;
}

/// Settles the front as a dead letter of `c`: publishes it (lane busy until
/// the PubAck) or, for a dead letter itself, terminates it. True if done now.
bool dead_letter(bus_pointer self, consumer_rt& c, const std::string& key, lane& l) {
  auto& st = self->state;
  auto& h = l.queue.front();
  const auto& name = c.cfg.name;
  auto type = h.f.event ? h.f.event->type : std::string{};
  if (events::is_dead_letter_subject(h.f.subject)) {
    spdlog::warn("nats: consumer {}: dropping dead letter seq {} after {} deliveries: {}", name,
                 h.f.stream_seq, h.dlq_deliveries, h.dlq_reason);
    term(h.f);
    c.stats.dead_lettered++;
    count(st, bus_counter::dead_lettered, type, name);
    pop_front(self, c, l);
    return true;
  }
  natsMsg* raw = nullptr;
  // A partition's dead letters stay in its partition (`weft.p<k>.dlq.<name>`).
  const auto& owner = c.group.empty() ? name : c.group;
  auto subject = events::dead_letter_subject(owner);
  if (!c.group.empty())
    subject = events::partitioned_subject(subject, c.partition);
  natsMsg* orig = h.f.msg.get();
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, natsMsg_GetData(orig),
                                natsMsg_GetDataLength(orig));
  if (s != NATS_OK) { // out of memory, in practice: try again later
    spdlog::error("nats: cannot build a dead letter: {}", status_text(s));
    auto d = backoff(st, c.cfg, h.dlq_deliveries);
    l.phase = lane_phase::backoff;
    l.token = ++st.next_token;
    l.retry_at = clock::now() + d;
    self->delayed_send(self, d, retry_atom::value, name, key, l.token);
    return false;
  }
  auto msg = own_unique(raw);
  for (auto& [k, v] : h.f.headers)
    if (!k.starts_with("Nats-")) // publish directives of the original stay behind
      natsMsgHeader_Add(raw, k.c_str(), v.c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Reason", one_line(h.dlq_reason).c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Consumer", owner.c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Deliveries", std::to_string(h.dlq_deliveries).c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Subject", h.f.subject.c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Stream-Seq", std::to_string(h.f.stream_seq).c_str());
  natsMsgHeader_Set(raw, "Weft-Dlq-Time", events::now_rfc3339_ms().c_str());
  // Its own id, not the event's (the original holds that one in the dedupe
  // window); stable, so a retry after a crash is stored once.
  auto id = "dlq:" + name + ":" + std::to_string(h.f.stream_seq);
  natsMsgHeader_Set(raw, "Nats-Msg-Id", id.c_str());
  l.phase = lane_phase::dead_lettering;
  l.token = ++st.next_token;
  pub_entry e;
  e.type = type;
  e.consumer = name;
  e.lane = key;
  e.token = l.token;
  e.deadline = clock::now() + std::chrono::milliseconds{st.opts().publish_timeout_ms};
  submit(self, std::move(msg), std::move(e));
  return false;
}

void on_handled(bus_pointer self, const std::string& name, const std::string& key,
                uint64_t token, const caf::error& err);

void deliver(bus_pointer self, consumer_rt& c, const std::string& key, lane& l) {
  auto& st = self->state;
  auto& h = l.queue.front();
  auto attempt = h.attempt();
  l.phase = lane_phase::handling;
  l.token = ++st.next_token;
  c.in_flight++;
  c.stats.delivered++;
  count(st, bus_counter::delivered, h.f.event->type, c.cfg.name);
  if (attempt > 1) {
    c.stats.redelivered++;
    count(st, bus_counter::redelivered, h.f.event->type, c.cfg.name);
  }
  auto handler = c.handlers[c.next_handler++ % c.handlers.size()];
  delivery d{bus_message{h.f.subject, *h.f.event, visible_headers(h.f.headers)},
             h.f.stream_seq, attempt};
  auto name = c.cfg.name;
  auto token = l.token;
  self->request(handler, std::chrono::milliseconds{c.cfg.ack_wait_ms}, deliver_atom::value,
                std::move(d))
    .then([self, name, key, token](ack_atom) { on_handled(self, name, key, token, caf::none); },
          [self, name, key, token](caf::error& err) { on_handled(self, name, key, token, err); });
}

void on_handled(bus_pointer self, const std::string& name, const std::string& key,
                uint64_t token, const caf::error& err) {
  auto& st = self->state;
  auto* c = find_consumer(self, name);
  if (c == nullptr)
    return;
  auto it = c->lanes.find(key);
  if (it == c->lanes.end() || it->second.phase != lane_phase::handling
      || it->second.token != token)
    return;
  auto& l = it->second;
  auto& h = l.queue.front();
  c->in_flight--;
  l.phase = lane_phase::idle;
  if (!err) {
    ack(h.f);
    c->stats.acked++;
    count(st, bus_counter::acked, h.f.event->type, name);
    pop_front(self, *c, l);
  } else if (events::is_events_error(err) || h.attempt() >= c->cfg.max_deliver) {
    h.dlq_reason = reason_of(err);
    h.dlq_deliveries = h.attempt();
  } else if (stopping(st, *c)) {
    give_back(*c, l); // the front first, then the rest of the lane
  } else {
    auto d = backoff(st, c->cfg, h.attempt());
    l.phase = lane_phase::backoff;
    l.token = ++st.next_token;
    l.retry_at = clock::now() + d;
    self->delayed_send(self, d, retry_atom::value, name, key, l.token);
  }
  advance(self, *c, key);
  check_drained(self);
}

} // namespace

void advance(bus_pointer self, consumer_rt& c, const std::string& key) {
  auto& st = self->state;
  auto it = c.lanes.find(key);
  if (it == c.lanes.end())
    return;
  auto& l = it->second;
  while (l.phase == lane_phase::idle && !l.queue.empty()) {
    auto& h = l.queue.front();
    if (h.dlq_reason.empty() && !h.f.event) {
      // Not a CloudEvent: the handler never sees it.
      h.dlq_reason = h.f.decode_error;
      h.dlq_deliveries = h.attempt();
    }
    if (h.dlq_reason.empty() && h.attempt() > c.cfg.max_deliver) {
      // The server redelivered it past max_deliver: its earlier attempts
      // never answered (e.g. a poison event that kills the node). Stop here.
      h.dlq_reason = "no answer after " + std::to_string(h.attempt() - 1) + " deliveries";
      h.dlq_deliveries = h.attempt() - 1;
    }
    if (!h.dlq_reason.empty()) {
      if (!dead_letter(self, c, key, l))
        break;
      continue;
    }
    if (stopping(st, c)) {
      give_back(c, l);
      break;
    }
    if (c.handlers.empty())
      break; // waits for a handler to subscribe
    if (st.paused.contains(pause_key(c)))
      break; // held (kept alive) until it resumes
    deliver(self, c, key, l);
  }
  if (l.queue.empty() && l.phase == lane_phase::idle)
    c.lanes.erase(it);
}

void advance_all(bus_pointer self, consumer_rt& c) {
  std::vector<std::string> keys;
  keys.reserve(c.lanes.size());
  for (auto& [k, l] : c.lanes)
    keys.push_back(k);
  for (auto& k : keys)
    advance(self, c, k);
}

void on_batch(bus_pointer self, const std::string& consumer, batch_ptr batch) {
  auto& st = self->state;
  if (batch == nullptr)
    return;
  auto* c = find_consumer(self, consumer);
  if (c == nullptr) {
    // Strays: what a pull request still brought after its consumer settled
    // and went (a partition handed over: the fetch thread ends after its
    // current pull). Naked now, they are back on the server before the next
    // reader's fence ends and reach it first; dropped, they came back only
    // after ack_wait, when that reader could have read past them.
    for (auto& f : *batch)
      nak(f);
    return;
  }
  std::vector<std::string> touched;
  for (auto& f : *batch) {
    if (stopping(st, *c)) {
      // Fetched just before the drain: for another replica, at once unless
      // its lane still holds older ones (a front at a handler keeps them
      // here until it settles). Then it waits behind them and goes back
      // with them: naked now, the server would redeliver it first, and the
      // next reader would see the lane out of order.
      auto held_lane = c->lanes.find(lane_key(f));
      if (held_lane == c->lanes.end() || held_lane->second.queue.empty()) {
        nak(f);
        c->fetch->release(1);
        continue;
      }
    }
    if (auto dup = c->held_seqs.find(f.stream_seq); dup != c->held_seqs.end()) {
      // The server redelivered a message still held here (its in-progress
      // acks were lost in an outage): keep one copy, acking through the newer.
      auto& q = c->lanes[dup->second].queue;
      for (auto& h : q)
        if (h.f.stream_seq == f.stream_seq)
          h.f.msg = f.msg;
      c->fetch->release(1);
      continue;
    }
    auto key = lane_key(f);
    auto& l = c->lanes[key];
    c->held_seqs.emplace(f.stream_seq, key);
    c->held_count++;
    // Stream order within the lane; a redelivery of an older message goes
    // before younger ones that wait, never before a front already at work.
    auto pos = l.queue.end();
    auto first = l.queue.begin() + (l.phase == lane_phase::idle || l.queue.empty() ? 0 : 1);
    while (pos != first && std::prev(pos)->f.stream_seq > f.stream_seq)
      --pos;
    held h;
    h.f = std::move(f);
    l.queue.insert(pos, std::move(h));
    if (touched.empty() || touched.back() != key)
      touched.push_back(std::move(key));
  }
  for (auto& key : touched)
    advance(self, *c, key);
  if (c->releasing)
    check_drained(self);
}

void on_retry(bus_pointer self, const std::string& consumer, const std::string& key,
              uint64_t token) {
  auto* c = find_consumer(self, consumer);
  if (c == nullptr)
    return;
  auto it = c->lanes.find(key);
  if (it == c->lanes.end() || it->second.phase != lane_phase::backoff
      || it->second.token != token)
    return;
  auto& l = it->second;
  l.phase = lane_phase::idle;
  if (l.queue.front().dlq_reason.empty())
    l.queue.front().local_retries++;
  advance(self, *c, key);
  check_drained(self);
}

void on_dead_letter_stored(bus_pointer self, const pub_entry& e, const std::string& err) {
  auto& st = self->state;
  auto* c = find_consumer(self, e.consumer);
  if (c == nullptr)
    return;
  auto it = c->lanes.find(e.lane);
  if (it == c->lanes.end() || it->second.phase != lane_phase::dead_lettering
      || it->second.token != e.token)
    return;
  auto& l = it->second;
  auto& h = l.queue.front();
  if (!err.empty()) {
    // Not stored: keep the message (in-progress acks) and try again later.
    auto d = backoff(st, c->cfg, h.dlq_deliveries);
    spdlog::warn("nats: consumer {}: dead letter of seq {} not stored ({}); retry in {} ms",
                 e.consumer, h.f.stream_seq, err, d.count());
    l.phase = lane_phase::backoff;
    l.token = ++st.next_token;
    l.retry_at = clock::now() + d;
    self->delayed_send(self, d, retry_atom::value, e.consumer, e.lane, l.token);
    return;
  }
  spdlog::warn("nats: dead letter from consumer {}: seq {} subject {} after {} deliveries: {}",
               e.consumer, h.f.stream_seq, h.f.subject, h.dlq_deliveries, h.dlq_reason);
  term(h.f);
  c->stats.dead_lettered++;
  count(st, bus_counter::dead_lettered, e.type, e.consumer);
  pop_front(self, *c, l);
  advance(self, *c, e.lane);
  check_drained(self);
}

void keepalive(bus_pointer self, const std::string& consumer) {
  auto* c = find_consumer(self, consumer);
  if (c == nullptr)
    return;
  auto now = clock::now();
  auto period = std::chrono::milliseconds{std::max<uint32_t>(c->cfg.ack_wait_ms / 3, 50)};
  // A partition read again after it was released has a fresh chain; the
  // released one's last timer must not start a second.
  if (now + period / 2 < c->next_keepalive)
    return;
  for (auto& [key, l] : c->lanes)
    for (auto& h : l.queue)
      in_progress(h.f);
  c->next_keepalive = now + period;
  self->delayed_send(self, period, keepalive_atom::value, consumer);
}

namespace {

/// No fetching; what no handler has goes back to the server.
void stop_taking(bus_pointer self, consumer_rt& c) {
  if (c.fetch)
    c.fetch->pause(true);
  advance_all(self, c); // idle lanes give back; busy ones finish their front
  for (auto& [key, l] : c.lanes)
    give_back(c, l);
  for (auto it = c.lanes.begin(); it != c.lanes.end();) {
    if (it->second.queue.empty())
      it = c.lanes.erase(it);
    else
      ++it;
  }
}

} // namespace

void begin_drain(bus_pointer self) {
  auto& st = self->state;
  st.draining = true;
  for (auto& [name, c] : st.consumers)
    stop_taking(self, c);
  check_drained(self);
}

void begin_release(bus_pointer self, consumer_rt& c) {
  c.releasing = true;
  c.fetch_quiet = false;
  stop_taking(self, c);
  // What the open pull request still brings comes in and is given back
  // after what is held (a stray left in the subscription would reach the
  // next reader only after ack_wait, behind younger events).
  c.fetch->drain_open();
}

void check_drained(bus_pointer self) {
  auto& st = self->state;
  for (auto it = st.consumers.begin(); it != st.consumers.end();) {
    auto& c = it->second;
    if (!c.releasing || c.held_count > 0 || !c.fetch_quiet) {
      ++it;
      continue;
    }
    // Settled: its fetch thread ends after its current pull (the registry
    // joins it at stop), and whoever took the partition away hears it.
    c.fetch->request_stop();
    for (auto& w : c.released)
      if (--w->left == 0)
        w->rp.deliver(ack_atom::value);
    it = st.consumers.erase(it);
  }
  if (!st.draining || st.drains.empty())
    return;
  for (auto& [name, c] : st.consumers)
    if (c.held_count > 0)
      return;
  st.drains.release_all();
}

void detach(bus_pointer self, const caf::actor_addr& handler) {
  auto forget = [&](std::vector<event_handler_actor>& hs) {
    hs.erase(std::remove_if(hs.begin(), hs.end(),
                            [&](const event_handler_actor& h) { return h.address() == handler; }),
             hs.end());
  };
  for (auto& [name, c] : self->state.consumers)
    forget(c.handlers);
  for (auto& [name, g] : self->state.groups)
    forget(g.handlers);
}

} // namespace weft::nats
