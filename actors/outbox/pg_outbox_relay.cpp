#include "actors/outbox/pg_outbox_relay.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/outbox/pg_outbox_listener.hpp"
#include "actors/outbox/pg_relay_state.hpp"
#include "adapters/postgres/errors.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"

namespace weft::outbox {

namespace {

/// The relay's own interface: the port plus its timers.
using relay_impl = outbox_table_relay_actor::extend<caf::reacts_to<poll_timer>,
                                        caf::reacts_to<housekeeping_timer>,
                                        caf::reacts_to<drain_deadline>>;
using relay_pointer = relay_impl::stateful_pointer<pg_relay_state>;

void pump(relay_pointer self);
void maybe_claim(relay_pointer self);

double now_epoch_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void check_drained(relay_pointer self) {
  auto& st = self->state;
  if (!st.draining || st.drains.empty() || st.claiming || !st.idle())
    return;
  st.drains.release_all();
}

/// Writes the outcomes gathered so far when there are enough of them, when
/// nothing else is outstanding (the end of a round), on a failure (so the
/// subject's later rows are released soon) or when `force`d.
void maybe_settle(relay_pointer self, bool force = false) {
  auto& st = self->state;
  // One settle at a time: a burst of failures (a broker that refuses at once)
  // must not flood the pool; what gathers meanwhile goes with the next one.
  if (st.unsettled.empty() || st.settling > 0)
    return;
  bool round_over = st.queued == 0 && st.in_flight == 0;
  if (!force && !round_over && !st.draining && st.unsettled.failed.empty()
      && st.unsettled.published.size() < st.opts.batch_size)
    return;
  auto batch = std::exchange(st.unsettled, {});
  auto lanes = std::exchange(st.settle_lanes, {});
  auto latencies = std::exchange(st.latencies, {});
  auto first_failure = std::exchange(st.first_failure, {});
  ++st.settling;
  pg::run<void>(self, st.opts.pool, st.opts.db_timeout,
                [batch](pg::connection& c) { return pg::settle_outbox(c, batch); })
    .then(
      [self, n = batch.published.size(), failed = batch.failed.size(),
       latencies = std::move(latencies), first_failure, lanes]() {
        auto& st = self->state;
        --st.settling;
        // Failed rows now wait for their retries in the database (which holds
        // their subjects back for every relay, us included), released rows
        // are nobody's: neither holds back our own claims any longer.
        st.settled(lanes);
        if (failed > 0)
          spdlog::warn("outbox {}: {} publish(es) failed, retried with backoff (first: {})",
                       st.opts.name, failed, first_failure);
        if (st.opts.metrics != nullptr)
          st.opts.metrics->outbox_batch(st.opts.name, n, failed, latencies);
        // Marked rows no longer hold back their subjects' later rows.
        st.wanted = true;
        maybe_settle(self);
        maybe_claim(self);
        check_drained(self);
      },
      [self, batch, lanes](caf::error& err) mutable {
        auto& st = self->state;
        --st.settling;
        spdlog::warn("outbox {}: cannot mark {} row(s): {}", st.opts.name, batch.size(),
                     pg::describe(err));
        // Everything is kept to settle again (the poll timer retries):
        // published rows else go out again when their leases expire, failed
        // and released ones would wait for the lease instead of their retry.
        if (!st.draining) {
          auto& u = st.unsettled;
          u.published.insert(u.published.end(), batch.published.begin(), batch.published.end());
          u.failed.insert(u.failed.end(), batch.failed.begin(), batch.failed.end());
          u.released.insert(u.released.end(), batch.released.begin(), batch.released.end());
          st.settle_lanes.insert(st.settle_lanes.end(), lanes.begin(), lanes.end());
        }
        check_drained(self);
      });
}

void on_answered(relay_pointer self, const started_row& r) {
  auto& st = self->state;
  --st.in_flight;
  st.unsettled.published.push_back(r.id);
  st.latencies.push_back(std::max(0.0, now_epoch_s() - r.created_at_s));
  st.lane_done(r.lane);
  pump(self);
  maybe_settle(self);
  maybe_claim(self);
  check_drained(self);
}

void on_failed(relay_pointer self, const started_row& r, std::string why) {
  auto& st = self->state;
  --st.in_flight;
  auto delay = st.retry_delay(r.attempts);
  if (st.first_failure.empty())
    st.first_failure = "row " + std::to_string(r.id) + ": " + why;
  st.record_failure(r.lane, pg::outbox_failure{r.id, delay, std::move(why)});
  // The subject's later rows must not overtake this one.
  st.lane_failed(r.lane, steady_clock::now());
  pump(self);
  maybe_settle(self);
  maybe_claim(self);
  check_drained(self);
}

void publish(relay_pointer self, held_row h, std::string lane_key) {
  auto& st = self->state;
  ++st.in_flight;
  started_row r{std::move(lane_key), h.row.id, h.row.attempts, h.row.created_at_s};
  auto ev = events::decode(h.row.payload);
  if (!ev) {
    // A payload that does not decode is a writer's bug: it waits (and blocks
    // its subject) with the longest backoff, visible in last_error.
    r.attempts = std::numeric_limits<int32_t>::max();
    on_failed(self, r, "payload does not decode: " + caf::to_string(ev.error()));
    return;
  }
  bus_message msg{events::subject_for_type(h.row.type), std::move(*ev), {}};
  self->request(st.opts.bus, st.opts.publish_timeout, publish_atom::value, std::move(msg))
    .then([self, r](uint64_t) { on_answered(self, r); },
          [self, r](caf::error& err) { on_failed(self, r, caf::to_string(err)); });
}

/// Starts rows while the window allows.
void pump(relay_pointer self) {
  auto& st = self->state;
  if (st.draining)
    return;
  auto limit = std::max<uint32_t>(st.opts.max_in_flight, 1);
  auto now = steady_clock::now();
  held_row h;
  std::string key;
  while (st.in_flight < limit && st.next_row(h, key, now))
    publish(self, std::move(h), std::move(key));
}

/// Claims a batch when something may be claimable and the rows at hand run
/// low (a claim overlaps the tail of the previous batch).
void maybe_claim(relay_pointer self) {
  auto& st = self->state;
  if (st.claiming || st.draining || !st.wanted || st.queued >= st.opts.batch_size / 2)
    return;
  st.claiming = true;
  st.wanted = false;
  size_t limit = st.opts.batch_size - st.queued;
  auto lease = st.opts.lease;
  auto sent = steady_clock::now();
  auto lease_end = sent + lease;
  pg::run<std::vector<pg::outbox_row>>(self, st.opts.pool, st.opts.db_timeout,
                                       [limit, lease, owner = st.owner,
                                        skip = st.skipped_subjects(sent)](pg::connection& c) {
                                         return pg::claim_outbox(c, limit, lease, owner, skip);
                                       })
    .then(
      [self, limit, lease_end, sent](std::vector<pg::outbox_row> rows) {
        auto& st = self->state;
        st.claiming = false;
        if (st.db_trouble)
          spdlog::info("outbox {}: claiming again", st.opts.name);
        st.db_trouble = false;
        if (rows.size() >= limit)
          st.wanted = true; // more are waiting
        if (st.draining) {
          // Claimed while a drain began: give them back at once.
          st.lifted_while_claiming.clear();
          for (auto& r : rows)
            st.release(r.subject, r.id);
          maybe_settle(self, true);
          check_drained(self);
          return;
        }
        st.add_claimed(std::move(rows), lease_end, sent);
        st.lifted_while_claiming.clear(); // they concerned this claim only
        pump(self);
        maybe_claim(self);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.claiming = false;
        st.lifted_while_claiming.clear();
        st.wanted = true; // the poll timer tries again
        if (!st.db_trouble)
          spdlog::warn("outbox {}: cannot claim rows: {}", st.opts.name, pg::describe(err));
        st.db_trouble = true;
        check_drained(self);
      });
}

/// The pending gauge and the retention cleanup.
void housekeeping(relay_pointer self) {
  auto& st = self->state;
  if (st.opts.metrics != nullptr && !st.counting) {
    st.counting = true;
    pg::run<pg::outbox_backlog>(self, st.opts.pool, st.opts.db_timeout,
                                [](pg::connection& c) { return pg::outbox_backlog_of(c); })
      .then(
        [self](pg::outbox_backlog b) {
          auto& st = self->state;
          st.counting = false;
          st.opts.metrics->gauge("weft_outbox_pending",
                                 "Committed events not yet stored on the bus", "relay",
                                 st.opts.name, static_cast<double>(b.pending));
          st.opts.metrics->gauge("weft_outbox_oldest_pending_seconds",
                                 "How long the oldest unpublished outbox row has waited", "relay",
                                 st.opts.name, b.oldest_age_s);
        },
        [self](caf::error&) { self->state.counting = false; });
  }
  auto now = steady_clock::now();
  if (st.cleaning || now < st.next_cleanup)
    return;
  st.cleaning = true;
  constexpr int64_t cleanup_limit = 10000;
  pg::run<int64_t>(self, st.opts.pool, st.opts.db_timeout,
                   [retention = st.opts.retention](pg::connection& c) {
                     return pg::cleanup_outbox(c, retention, cleanup_limit);
                   })
    .then(
      [self](int64_t n) {
        auto& st = self->state;
        st.cleaning = false;
        // A full delete means more are due: go on at the next housekeeping.
        st.next_cleanup = steady_clock::now() + (n >= cleanup_limit
                                                   ? std::chrono::milliseconds{0}
                                                   : st.opts.cleanup_interval);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.cleaning = false;
        st.next_cleanup = steady_clock::now() + st.opts.cleanup_interval;
        spdlog::warn("outbox {}: retention cleanup failed: {}", st.opts.name,
                     pg::describe(err));
      });
}

relay_impl::behavior_type pg_relay(relay_pointer self, pg_relay_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  // A new one per start: a restarted node does not inherit its old leases.
  st.owner = st.opts.owner.empty() ? st.opts.name + ":" + events::new_uuid_v7() : st.opts.owner;
  st.opts.batch_size = std::max<uint32_t>(st.opts.batch_size, 1);
  // No publish starts unless its lease covers its timeout (config checks it).
  if (st.opts.lease < 2 * st.opts.publish_timeout) {
    spdlog::warn("outbox {}: lease {} ms < 2 x publish timeout; using {} ms", st.opts.name,
                 st.opts.lease.count(), 2 * st.opts.publish_timeout.count());
    st.opts.lease = 2 * st.opts.publish_timeout;
  }
  if (!st.opts.listen.url.empty()) {
    st.listener = spawn_outbox_listener(self->system(), st.opts.listen,
                                        caf::actor_cast<outbox_table_relay_actor>(self));
    self->attach_functor([listener = st.listener] {
      caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
    });
  }
  self->send(self, poll_timer{});
  self->send(self, housekeeping_timer{});
  return {
    [self](wake_atom) {
      // Rows were committed somewhere: look now.
      self->state.wanted = true;
      maybe_claim(self);
    },
    [self](drain_atom, uint32_t deadline_ms) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      if (!st.draining) {
        st.draining = true;
        st.release_queued(steady_clock::now());
        maybe_settle(self, true);
      }
      // Always deliver (a dropped promise sends nothing in CAF 0.17).
      st.drains.park(self, rp, deadline_ms);
      check_drained(self);
      return rp;
    },
    [self](poll_timer) {
      auto& st = self->state;
      st.wanted = true;
      if (st.settling == 0)
        maybe_settle(self, true);
      maybe_claim(self);
      self->delayed_send(self, st.opts.poll_interval, poll_timer{});
    },
    [self](housekeeping_timer) {
      housekeeping(self);
      self->delayed_send(self, self->state.opts.gauge_interval, housekeeping_timer{});
    },
    [self](drain_deadline d) { self->state.drains.expire(d); },
  };
}

} // namespace

outbox_table_relay_actor spawn_pg_outbox_relay(caf::actor_system& sys, pg_relay_options opts) {
  return sys.spawn(pg_relay, std::move(opts));
}

} // namespace weft::outbox
