#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "adapters/nats/jetstream_bus.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/postgres.hpp"
#include "config/settings.hpp"
#include "events/envelope.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service_ports.hpp"

// The pieces of durable_e2e: the pipeline wired as main/node_assembly.cpp
// wires it (same config defaults), event ids that carry their index, commit
// and arrival clocks, and pg_stat_user_tables snapshots.
namespace weft::bench {

/// Connection options for `url` named `name` in pg_stat_activity.
pg::connect_options connect_to(const std::string& url, const std::string& name);

/// The scheduler as the node sets it up (BENCH_CAF_THREADS overrides).
void configure_scheduler(caf::actor_system_config& cfg);

/// Steady clock, nanoseconds.
int64_t now_ns();

/// p50/p90/p99/max of commit -> handler, milliseconds.
struct latency_figures {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  long count = 0;
};

/// Per event index: when its commit returned and when a handler first saw it.
struct arrival_marks {
  explicit arrival_marks(long n) : commit(n), arrive(n) {}
  std::vector<std::atomic<int64_t>> commit;
  std::vector<std::atomic<int64_t>> arrive;
  std::atomic<long> handled{0}; ///< events handed to the handler (attempts)
  /// Notes the arrival of index `i` (first call wins).
  void arrived(long i, int64_t t);
  /// Figures over indexes [from, to) that have both marks.
  latency_figures latencies(long from, long to) const;
  /// Indexes with a commit mark.
  long committed() const;
};

/// Event ids of one run: `<tag>-0000-7000-8000-<index in 12 hex digits>`.
class run_ids {
public:
  run_ids();
  /// Event `i`: ~300 bytes encoded, its own aggregate or one of `aggregates`.
  events::envelope event(long i, long aggregates) const;
  /// The index in an id of this run, or -1.
  long index_of(const std::string& id) const;
  size_t sample_size() const;

private:
  uint32_t tag_;
};

/// Relay, JetStream bus and durable inbox with the audit batch handler.
class pipeline {
public:
  pipeline(caf::actor_system& sys, std::string db_url, std::string nats_url,
           std::shared_ptr<arrival_marks> marks, const run_ids& ids);
  ~pipeline();
  /// Spawns and subscribes; an error text or empty.
  std::string start();
  /// Drains the relay and the bus, stops every actor and connection.
  void stop();
  /// What repositories do after a commit: wake the relay.
  void wake() const;
  /// Waits until `n` rows are in weft_audit_trail; false at the deadline.
  bool wait_trail(long n, std::chrono::seconds deadline);
  /// Prints committed/handled once a second to stderr until `n` are handled.
  void report_progress(std::chrono::steady_clock::time_point t0, long n);
  /// The settings that shape throughput.
  std::string describe() const;

  const std::string db_url;
  const std::string nats_url;
  const std::shared_ptr<arrival_marks> marks;

private:
  caf::actor_system& sys_;
  const run_ids& ids_;
  weft::metrics metrics_;
  config::database_section db_;
  config::outbox_section outbox_;
  config::nats_section nats_;
  config::bus_section bus_;
  std::unique_ptr<pg::pool> pool_;
  std::unique_ptr<nats::jetstream_bus> js_;
  outbox_table_relay_actor relay_;
  event_handler_actor inbox_;
  std::unique_ptr<pg::connection> probe_;
  std::atomic<bool> stopped_{false};
};

/// CPU seconds used so far by this process, and by the process trees of
/// the PostgreSQL postmaster and nats-server named by the environment
/// (BENCH_PG_PID, BENCH_NATS_PID; 0 when unset): reaped children included.
struct cpu_sample {
  double self = 0, postgres = 0, nats = 0;
  double total() const { return self + postgres + nats; }
};
cpu_sample sample_cpu();

/// Prints CPU microseconds per event between two samples.
void print_cpu(const cpu_sample& a, const cpu_sample& b, long events, double wall_s);

/// Applies the migrations to an empty database; an error text or empty.
std::string prepare_database(const std::string& url);

/// Deletes the stream WEFT (a fresh one per run).
void reset_stream(const std::string& nats_url);

/// n_tup_ins/upd/hot_upd/del of each weft_ table.
struct table_counts {
  int64_t ins = 0, upd = 0, hot = 0, del = 0;
};
using writes_snapshot = std::map<std::string, table_counts>;

/// A snapshot; given `settle_after`, waits until the counts stop moving
/// (exited backends flush theirs a moment later).
writes_snapshot table_writes(const std::string& url, const writes_snapshot* settle_after = nullptr);

/// Inserts + updates + deletes between two snapshots.
int64_t total_writes(const writes_snapshot& a, const writes_snapshot& b);

/// Per-table row writes per event.
void print_writes(const writes_snapshot& a, const writes_snapshot& b, long events);

} // namespace weft::bench
