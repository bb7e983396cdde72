#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "config/settings.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/retention.hpp"
#include "runtime/store.hpp"

namespace weft {
class metrics;
} // namespace weft

// The retention sweeper: runs every retention rule of the node now and then,
// each in batches of one short unit of work, until nothing more is due (or
// a sweep's budget is spent: the rest waits for the next sweep, so one huge
// backlog cannot starve the store). Counts what it deleted in
// `weft_retention_pruned_total{what}`. A failed batch is logged and retried
// at the next sweep; nothing else depends on it.
namespace weft::retention {

struct sweeper_options {
  std::chrono::milliseconds interval{300000};
  int64_t batch = 1000;
  int64_t max_batches = 100; ///< per rule and sweep
  /// Dead letters older than this are pruned from the bus (`bus.dead_letters`);
  /// zero: the stream's own limits keep them.
  std::chrono::seconds dead_letters{0};
  metrics* node_metrics = nullptr;
};

/// The options from `retention.*`.
sweeper_options options_from(const config::settings& s, metrics* node_metrics);

/// The node's own rules: inbox records older than `retention.inbox_s` (or
/// `nats.max_age_s`), as `inbox.records`, and expired idempotency answers,
/// as `http.idempotency_keys`.
std::vector<retention_rule> node_rules(const config::settings& s);

/// What one sweep deleted, per rule, in the order of the rules.
using sweep_result = std::vector<std::pair<std::string, int64_t>>;

/// One sweep on `session` (blocks: a sweeper's own thread, or a test).
sweep_result sweep(store_session& session, const std::vector<retention_rule>& rules,
                   const sweeper_options& opts);

/// Spawns the sweeper on a thread of its own (a store session may block):
/// it sweeps shortly after the start, then every interval, until it is sent
/// an exit. With `opts.dead_letters` set, each sweep also asks `bus` to prune
/// the dead letters that old, a batch at a time.
caf::actor spawn_retention_sweeper(caf::actor_system& sys, store& data,
                                   std::vector<retention_rule> rules, sweeper_options opts,
                                   event_bus_actor bus = {});

} // namespace weft::retention
