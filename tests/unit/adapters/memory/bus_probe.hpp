#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "events/routes.hpp"
#include "runtime/event_bus.hpp"

// Test helpers for the bus: a probe handler whose replies a test scripts,
// and deadline-bounded waits on what it saw or on the bus's stats.
namespace weft::test {

using namespace std::chrono_literals;

/// What a probe answers to one delivery.
enum class reply { ack, fail, none };

/// Shared between a probe actor and the test thread.
struct probe {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<delivery> seen;                       ///< every delivery, in arrival order
  std::vector<std::chrono::steady_clock::time_point> at;
  std::function<reply(const delivery&)> policy = [](const delivery&) { return reply::ack; };
  std::string fail_text = "handler failed";

  /// Waits until `pred(seen)` holds, or `timeout` passed; returns the former.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, timeout, [&] { return pred(seen); });
  }

  /// Waits for at least `n` deliveries.
  bool wait_count(size_t n, std::chrono::milliseconds timeout = 5000ms) {
    return wait([n](const std::vector<delivery>& s) { return s.size() >= n; }, timeout);
  }

  /// A copy of what was seen so far.
  std::vector<delivery> snapshot() {
    std::lock_guard<std::mutex> lk{mtx};
    return seen;
  }
};

/// Spawns a handler that records each delivery and answers as `p->policy` says.
inline event_handler_actor spawn_probe(caf::actor_system& sys, std::shared_ptr<probe> p) {
  return sys.spawn([p](event_handler_actor::pointer self) -> event_handler_actor::behavior_type {
    return {
      [self, p](deliver_atom, delivery& d) -> caf::typed_response_promise<ack_atom> {
        auto rp = self->make_response_promise<ack_atom>();
        reply r;
        {
          std::lock_guard<std::mutex> lk{p->mtx};
          p->seen.push_back(d);
          p->at.push_back(std::chrono::steady_clock::now());
          r = p->policy(d);
        }
        p->cv.notify_all();
        if (r == reply::ack)
          rp.deliver(ack_atom::value);
        else if (r == reply::fail)
          rp.deliver(caf::make_error(caf::sec::runtime_error, p->fail_text));
        return rp; // reply::none: dropped undelivered, the bus times out
      },
    };
  });
}

/// Builds a message of `type` with event id `id`, on subject `weft.<type>`.
inline bus_message make_message(const std::string& type, const std::string& id,
                                const std::string& aggregate = "a-1") {
  bus_message m;
  m.subject = "weft." + type;
  m.event.id = id;
  m.event.source = "/weft/test";
  m.event.type = type;
  m.event.subject = aggregate;
  return m;
}

/// Publishes and answers the stream sequence (0 on error).
inline uint64_t publish(caf::scoped_actor& self, const event_bus_actor& bus, bus_message m) {
  uint64_t seq = 0;
  self->request(bus, caf::infinite, publish_atom::value, std::move(m))
    .receive([&](uint64_t s) { seq = s; }, [&](caf::error&) { seq = 0; });
  return seq;
}

/// Subscribes and answers the error (none on success).
inline caf::error subscribe(caf::scoped_actor& self, const event_bus_actor& bus,
                            consumer_config cfg, event_handler_actor h) {
  caf::error result;
  self->request(bus, caf::infinite, subscribe_atom::value, std::move(cfg), std::move(h))
    .receive([](ack_atom) {}, [&](caf::error& e) { result = std::move(e); });
  return result;
}

/// The stats of consumer `name` (a partitioned one's partitions summed); a
/// default with an empty name if unknown.
inline consumer_stats stats_of(caf::scoped_actor& self, const event_bus_actor& bus,
                               const std::string& name) {
  consumer_stats out;
  self->request(bus, caf::infinite, stats_atom::value)
    .receive(
      [&](std::vector<consumer_stats>& all) {
        for (auto& s : all) {
          if (s.name == name) {
            out = s;
          } else if (s.group == name) {
            out.name = name;
            out.pending += s.pending;
            out.in_flight += s.in_flight;
            out.delivered += s.delivered;
            out.acked += s.acked;
            out.redelivered += s.redelivered;
            out.dead_lettered += s.dead_lettered;
            out.paused = out.paused || s.paused;
          }
        }
      },
      [](caf::error&) {});
  return out;
}

/// Pauses (`on`) or resumes consumer `name`: the error, none on success.
inline caf::error set_paused(caf::scoped_actor& self, const event_bus_actor& bus,
                             const std::string& name, bool on) {
  caf::error result;
  auto fail = [&](caf::error& e) { result = std::move(e); };
  if (on)
    self->request(bus, caf::infinite, pause_atom::value, name).receive([](ack_atom) {}, fail);
  else
    self->request(bus, caf::infinite, resume_atom::value, name).receive([](ack_atom) {}, fail);
  return result;
}

/// The dead letters of `name` after position `after` (none on error).
inline std::vector<delivery> dead_letters(caf::scoped_actor& self, const event_bus_actor& bus,
                                          const std::string& name, uint64_t after = 0,
                                          uint32_t limit = 100) {
  std::vector<delivery> out;
  self->request(bus, caf::infinite, query_atom::value,
                stream_query{events::dead_letter_subject(name), after, limit})
    .receive([&](std::vector<delivery>& xs) { out = std::move(xs); }, [](caf::error&) {});
  return out;
}

/// The stored messages `q` selects (none on error).
inline std::vector<delivery> read_stream(caf::scoped_actor& self, const event_bus_actor& bus,
                                         stream_query q) {
  std::vector<delivery> out;
  self->request(bus, caf::infinite, query_atom::value, std::move(q))
    .receive([&](std::vector<delivery>& xs) { out = std::move(xs); }, [](caf::error&) {});
  return out;
}

/// Redrives the letters of `name` at `seqs`: how many went (0 on error).
inline uint64_t redrive(caf::scoped_actor& self, const event_bus_actor& bus,
                        const std::string& name, std::vector<uint64_t> seqs,
                        bool republish = true) {
  uint64_t n = 0;
  self->request(bus, caf::infinite, redrive_atom::value, name, std::move(seqs), republish)
    .receive([&](uint64_t x) { n = x; }, [](caf::error&) {});
  return n;
}

/// Prunes the dead letters stored before `before_ms` (Unix ms), at most
/// `limit`: how many went (-1 on error).
inline int64_t prune_letters(caf::scoped_actor& self, const event_bus_actor& bus,
                             int64_t before_ms, uint32_t limit = 100) {
  int64_t n = -1;
  self->request(bus, caf::infinite, prune_atom::value, before_ms, limit)
    .receive([&](uint64_t x) { n = static_cast<int64_t>(x); }, [](caf::error&) {});
  return n;
}

/// Now, in Unix milliseconds.
inline int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Polls the stats of `name` until `pred` holds or `timeout` passed.
template <class Pred>
bool wait_stats(caf::scoped_actor& self, const event_bus_actor& bus, const std::string& name,
                Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred(stats_of(self, bus, name)))
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    self->receive(caf::after(std::chrono::milliseconds{5}) >> [] {});
  }
}

/// The value of header `key`, or empty.
inline std::string header(const bus_message& m, const std::string& key) {
  for (auto& [k, v] : m.headers)
    if (k == key)
      return v;
  return {};
}

/// A consumer config with small, test-friendly timings.
inline consumer_config consumer(std::string name, std::vector<std::string> filters) {
  consumer_config cfg;
  cfg.name = std::move(name);
  cfg.filters = std::move(filters);
  cfg.ack_wait_ms = 2000;
  cfg.max_deliver = 5;
  cfg.backoff_ms = {10, 20};
  cfg.max_ack_pending = 16;
  return cfg;
}

/// An actor system config with two scheduler threads.
struct test_config : caf::actor_system_config {
  test_config() { set("scheduler.max-threads", 2); }
};

} // namespace weft::test
