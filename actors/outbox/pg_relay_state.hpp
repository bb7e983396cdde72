#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/outbox/pg_outbox_relay.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "runtime/drain.hpp"

// The PostgreSQL relay's state and its bookkeeping of claimed rows, apart
// from the actor so that it reads (and tests) as plain data.
namespace weft::outbox {

using steady_clock = std::chrono::steady_clock;

/// Timer: claim if anything may be claimable, write what is unsettled.
struct poll_timer {};
/// Timer: refresh weft_outbox_pending, run the retention cleanup when due.
struct housekeeping_timer {};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_timer&) {
  return f(caf::meta::type_name("weft.outbox.poll_timer"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, housekeeping_timer&) {
  return f(caf::meta::type_name("weft.outbox.housekeeping_timer"));
}

/// A claimed row and when its lease ends by our clock (measured from before
/// the claim was sent, so never later than the database's).
struct held_row {
  pg::outbox_row row;
  steady_clock::time_point lease_end;
};

/// The claimed rows of one subject not yet published, in id order; `busy`
/// while one of its rows is on its way to the bus.
struct lane {
  std::deque<held_row> rows;
  bool busy = false;
};

/// A row on its way to the bus.
struct started_row {
  std::string lane;
  int64_t id = 0;
  int32_t attempts = 0;
  double created_at_s = 0;
};

/// The relay's state.
struct pg_relay_state {
  static inline const char* name = "weft.pg_outbox_relay";

  pg_relay_options opts;
  std::unordered_map<std::string, lane> lanes; ///< by subject; a subject-less row is a lane of its own
  std::deque<std::string> ready;               ///< lanes whose first row may start, FIFO
  size_t queued = 0;                           ///< rows in lanes, not started
  size_t in_flight = 0;                        ///< publishes awaiting the bus
  pg::outbox_settlement unsettled;             ///< outcomes not yet written
  std::vector<double> latencies;               ///< of unsettled.published, seconds
  std::string first_failure;                   ///< of unsettled.failed, for the log
  size_t settling = 0;                         ///< settlement jobs running
  bool claiming = false;                       ///< a claim job is running
  bool wanted = true;                          ///< rows may have become claimable since the last claim
  bool draining = false;
  bool counting = false;                       ///< a pending-count job is running
  bool cleaning = false;                       ///< a cleanup job is running
  bool db_trouble = false;                     ///< the last claim failed (logged once)
  steady_clock::time_point next_cleanup{};
  drain_waiters drains;
  caf::actor listener;
  std::minstd_rand rng{0x0b0c5};
  /// This relay's name on its leases: its claims may take rows queued behind
  /// rows it holds itself (they join the same lane, in order). So a subject
  /// of which we hold rows outside our lanes (failed or released rows not
  /// yet written, dropped rows whose leases have not ended) is held back:
  /// rows of it that a claim brings are released instead of queued.
  std::string owner;
  std::vector<std::string> settle_lanes; ///< the lane of each unsettled failure and release
  std::unordered_map<std::string, uint32_t> unwritten; ///< such rows per lane, not yet written
  /// Lanes dropped because their leases end (next_row): held back until then
  /// (plus db_timeout: the database's lease ends a claim's round trip later).
  std::unordered_map<std::string, steady_clock::time_point> expiring;
  /// Lanes whose rows were written while a claim was under way: that claim
  /// may have seen them still ours, so its rows of them are released too.
  std::unordered_set<std::string> lifted_while_claiming;

  /// The subjects a claim sent at `now` should leave alone: those held back
  /// (their rows would be released at once) and lanes holding an eighth of
  /// a batch already. Without it, one busy subject with a backlog fills every
  /// claim with rows that can only go out one at a time, while the rows of
  /// the other subjects wait behind it.
  std::vector<std::string> skipped_subjects(steady_clock::time_point now) const;
  size_t full_lane() const { return std::max<size_t>(opts.batch_size / 8, 1); }

  /// Adds the rows of a claim sent at `sent` (sorted by id) to their lanes;
  /// rows of lanes held back since then are released.
  void add_claimed(std::vector<pg::outbox_row> rows, steady_clock::time_point lease_end,
                   steady_clock::time_point sent = steady_clock::now());

  /// Rows of `lane_key` from a claim sent at `sent` must be released.
  bool held_back(const std::string& lane_key, steady_clock::time_point sent);

  /// Row `id` of `lane_key` is given back (written with the next settlement).
  void release(const std::string& lane_key, int64_t id);

  /// A publish of `lane_key` failed: written with the next settlement.
  void record_failure(const std::string& lane_key, pg::outbox_failure f);

  /// A settlement holding the failures and releases of `lanes` was written.
  void settled(const std::vector<std::string>& lanes);

  /// Takes the next row that may start, or false. A row whose lease ends
  /// before a publish could be answered is dropped with the rest of its lane
  /// (not released: its lease may be somebody else's by now).
  bool next_row(held_row& out, std::string& lane_key, steady_clock::time_point now);

  /// A row of `lane_key` was answered: its next row may start.
  void lane_done(const std::string& lane_key);

  /// A row of `lane_key` failed: the rest of its lane waits for the retry
  /// (released if their leases still hold), and the lane is held back until
  /// the failure is written.
  void lane_failed(const std::string& lane_key, steady_clock::time_point now);

  /// Releases every row not started (drain).
  void release_queued(steady_clock::time_point now);

  /// The retry delay after `attempts` failed publishes (+-20% jitter).
  std::chrono::milliseconds retry_delay(int32_t attempts);

  /// Nothing claimed is left: no row queued, in flight or unsettled.
  bool idle() const { return queued == 0 && in_flight == 0 && unsettled.empty() && settling == 0; }
};

} // namespace weft::outbox
