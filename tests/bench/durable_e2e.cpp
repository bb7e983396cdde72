// durable_e2e: Weft's durable delivery end to end on real servers, wired
// as the node wires it (config defaults of the outbox, nats, bus and database
// sections), to compare with raw_jetstream and raw_postgres in the same run.
//
//   durable_e2e <postgresql-url> <nats-url> [events=200000] [writers=4]
//               [aggregates=0] [latency_s=10] [rate=1000]
//
// The database must be empty (migrations are applied here). Phases:
//   1. throughput: `writers` threads commit `events` events through the
//      outbox (pg::append_outbox inside pg::in_transaction, 100 per
//      transaction, waking the relay after each commit without NOTIFY, as
//      repositories do);
//      the real relay (spawn_pg_outbox_relay) publishes them to the real
//      JetStream bus; the real durable inbox (spawn_pg_inbox, audit batch
//      handler) writes weft_audit_trail. Timed from the first commit until
//      all `events` rows are in the trail;
//   2. latency: one event per transaction at `rate` events/s for
//      `latency_s` seconds; commit time (after COMMIT returned) to the batch
//      handler's call, p50/p99;
//   3. row writes per event: pg_stat_user_tables deltas over both phases,
//      read after every connection closed (backends flush their counts then).
// With BENCH_PG_PID (the postmaster) and BENCH_NATS_PID set, phase 1 also
// prints CPU microseconds per event of this process, PostgreSQL and
// nats-server: on a shared machine a steadier figure than events/s.
// `aggregates` = 0 gives each event its own aggregate (CloudEvents subject),
// as API keys have; N > 0 spreads them over N aggregates. The last line is
// machine-readable. Not a test.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "tests/bench/durable_e2e_support.hpp"

using namespace weft;
using namespace weft::bench;

namespace {

/// As repositories append: no NOTIFY (the relay is woken in-process).
caf::error append(pg::connection& c, const std::vector<events::envelope>& evs) {
  return pg::append_outbox(c, evs, false);
}

/// Commits events [from, from + count) in transactions of `per_tx`.
void write_burst(const pipeline& p, const run_ids& ids, long from, long count, int per_tx,
                 long aggregates) {
  pg::connection c{connect_to(p.db_url, "bench-writer")};
  std::vector<events::envelope> evs;
  for (long i = from; i < from + count; i += per_tx) {
    evs.clear();
    for (long k = i; k < std::min(from + count, i + per_tx); ++k)
      evs.push_back(ids.event(k, aggregates));
    auto err = pg::in_transaction(c, [&](pg::connection& cc) { return append(cc, evs); });
    if (err) {
      std::fprintf(stderr, "durable_e2e: commit failed: %s\n", pg::describe(err).c_str());
      std::exit(1);
    }
    auto now = now_ns();
    for (long k = i; k < std::min(from + count, i + per_tx); ++k)
      p.marks->commit[k].store(now, std::memory_order_relaxed);
    p.wake();
  }
}

/// One event per transaction at `rate` events/s over `writers` threads.
void write_paced(const pipeline& p, const run_ids& ids, long from, long count, int writers,
                 double rate) {
  auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds{50};
  std::vector<std::thread> ts;
  for (int w = 0; w < writers; ++w)
    ts.emplace_back([&, w] {
      pg::connection c{connect_to(p.db_url, "bench-writer")};
      for (long k = w; k < count; k += writers) {
        std::this_thread::sleep_until(start + std::chrono::nanoseconds{
                                                static_cast<int64_t>(k * 1e9 / rate)});
        std::vector<events::envelope> evs{ids.event(from + k, 0)};
        auto err = pg::in_transaction(c, [&](pg::connection& cc) { return append(cc, evs); });
        if (err) {
          std::fprintf(stderr, "durable_e2e: commit failed: %s\n", pg::describe(err).c_str());
          std::exit(1);
        }
        p.marks->commit[from + k].store(now_ns(), std::memory_order_relaxed);
        p.wake();
      }
    });
  for (auto& t : ts)
    t.join();
}

double secs_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: durable_e2e <postgresql-url> <nats-url> [events=200000] "
                         "[writers=4] [aggregates=0] [latency_s=10] [rate=1000]\n");
    return 2;
  }
  const std::string db_url = argv[1], nats_url = argv[2];
  const long n = argc > 3 ? std::atol(argv[3]) : 200000;
  const int writers = std::max(1, argc > 4 ? std::atoi(argv[4]) : 4);
  const long aggregates = argc > 5 ? std::atol(argv[5]) : 0;
  const double latency_s = argc > 6 ? std::atof(argv[6]) : 10.0;
  const double rate = argc > 7 ? std::atof(argv[7]) : 1000.0;
  const long n_lat = static_cast<long>(latency_s * rate);
  const int per_tx = 100;

  if (auto err = prepare_database(db_url); !err.empty()) {
    std::fprintf(stderr, "durable_e2e: %s\n", err.c_str());
    return 1;
  }
  reset_stream(nats_url);
  auto before = table_writes(db_url);
  auto marks = std::make_shared<arrival_marks>(n + n_lat);
  run_ids ids;
  std::printf("Weft end to end: %ld events of ~%zu bytes, %d writer(s), transactions of %d, %s\n",
              n, ids.sample_size(), writers, per_tx,
              aggregates > 0 ? (std::to_string(aggregates) + " aggregates").c_str()
                             : "one aggregate each");
  double e2e_rate = 0, commit_rate = 0;
  latency_figures lat;
  {
    caf::actor_system_config cfg;
    configure_scheduler(cfg);
    caf::actor_system sys{cfg};
    pipeline p{sys, db_url, nats_url, marks, ids};
    if (auto err = p.start(); !err.empty()) {
      std::fprintf(stderr, "durable_e2e: %s\n", err.c_str());
      return 1;
    }
    std::printf("  wiring: %s\n", p.describe().c_str());

    // 1. Throughput.
    auto cpu0 = sample_cpu();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    long per = n / writers / per_tx * per_tx;
    for (int w = 0; w < writers; ++w) {
      long from = w * per, count = w == writers - 1 ? n - from : per;
      ts.emplace_back([&, from, count] { write_burst(p, ids, from, count, per_tx, aggregates); });
    }
    auto progress = std::thread{[&] { p.report_progress(t0, n); }};
    for (auto& t : ts)
      t.join();
    double commit_s = secs_since(t0);
    bool all = p.wait_trail(n, std::chrono::seconds{120});
    double e2e_s = secs_since(t0);
    progress.join();
    auto cpu1 = sample_cpu();
    commit_rate = n / commit_s;
    e2e_rate = all ? n / e2e_s : 0;
    std::printf("  %-44s %9.0f events/s  (%.2f s)\n", "committed through the outbox", commit_rate,
                commit_s);
    std::printf("  %-44s %9.0f events/s  (%.2f s%s)\n", "end to end, commit -> audit trail",
                e2e_rate, e2e_s, all ? "" : ", NOT ALL ARRIVED");
    print_cpu(cpu0, cpu1, n, e2e_s);

    // 2. Latency at a steady rate.
    if (n_lat > 0) {
      write_paced(p, ids, n, n_lat, 2, rate);
      if (!p.wait_trail(n + n_lat, std::chrono::seconds{60}))
        std::fprintf(stderr, "durable_e2e: latency phase: not all events arrived\n");
      lat = marks->latencies(n, n + n_lat);
      std::printf("  %-44s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%ld events)\n",
                  ("commit -> handler at " + std::to_string(static_cast<int>(rate)) + "/s").c_str(),
                  lat.p50_ms, lat.p90_ms, lat.p99_ms, lat.max_ms, lat.count);
    }
    p.stop();
  }
  // 3. Row writes, now that every Weft connection is closed.
  auto after = table_writes(db_url, &before);
  print_writes(before, after, n + n_lat);
  double per_event = total_writes(before, after) / static_cast<double>(n + n_lat);
  reset_stream(nats_url);
  std::printf("durable_e2e events=%ld commit=%.0f e2e=%.0f writes_per_event=%.2f p50_ms=%.2f "
              "p99_ms=%.2f\n",
              n, commit_rate, e2e_rate, per_event, lat.p50_ms, lat.p99_ms);
  return e2e_rate > 0 ? 0 : 1;
}
