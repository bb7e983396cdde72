#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/postgres/connection.hpp"

namespace weft {
class metrics;
}

// Readiness that follows the database: a thread with its own connection runs
// `SELECT 1` every interval, and at once after someone reports a failure.
// ready() feeds /health/ready; the gauge weft_database_up shows the same;
// each transition is logged once. When the server goes away the next check
// fails within about an interval; when it returns, the check's reconnect
// brings readiness back by itself.
namespace weft::pg {

/// What to check, how often, and where to report.
struct health_options {
  connect_options conn;                ///< its own session (a busy pool must not look down)
  milliseconds interval{1000};         ///< between checks
  milliseconds check_timeout{2000};    ///< connect or answer deadline of one check
  weft::metrics* metrics = nullptr;    ///< may be null; sets weft_database_up
};

/// The database's readiness, checked on a dedicated thread.
class database_health {
public:
  /// Starts checking at once (not ready until the first check succeeds).
  explicit database_health(health_options opts);
  /// Stops and joins the thread.
  ~database_health();
  database_health(const database_health&) = delete;
  database_health& operator=(const database_health&) = delete;

  /// True while the last check succeeded. Lock-free, any thread.
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  /// Someone saw unavailable: check now rather than at the next interval.
  void report_failure();
  /// Waits until ready() or the deadline; the final ready().
  bool wait_ready(milliseconds deadline);
  /// Checks done so far (for tests and debugging).
  uint64_t checks() const { return checks_.load(); }
  /// Stops the thread (idempotent; the destructor calls it).
  void stop();

private:
  void loop();
  void set(bool up, const caf::error& why);

  health_options opts_;
  std::atomic<bool> ready_{false};
  std::atomic<uint64_t> checks_{0};
  bool known_ = false; ///< a first result was logged (thread-only)
  std::mutex mtx_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace weft::pg
