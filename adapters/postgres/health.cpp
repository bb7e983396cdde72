#include "adapters/postgres/health.hpp"

#include <spdlog/spdlog.h>

#include "runtime/metrics.hpp"

namespace weft::pg {

database_health::database_health(health_options opts) : opts_(std::move(opts)) {
  // One check must never outlast the interval by much: tight timeouts, and
  // a reconnect attempt on every check (no backoff beyond the interval).
  opts_.conn.connect_timeout = std::min(opts_.conn.connect_timeout, opts_.check_timeout);
  opts_.conn.io_timeout = opts_.check_timeout;
  opts_.conn.reconnect_min = milliseconds{0};
  opts_.conn.reconnect_max = milliseconds{0};
  if (opts_.conn.application_name == "weft")
    opts_.conn.application_name = "weft-health";
  if (opts_.metrics)
    opts_.metrics->gauge("weft_database_up", "1 while PostgreSQL answers the health check", "",
                         "", 0);
  thread_ = std::thread{[this] { loop(); }};
}

database_health::~database_health() {
  stop();
}

void database_health::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void database_health::report_failure() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    wake_ = true;
  }
  cv_.notify_all();
}

bool database_health::wait_ready(milliseconds deadline) {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait_for(guard, deadline, [this] { return ready() || stop_; });
  return ready();
}

void database_health::set(bool up, const caf::error& why) {
  bool was = ready_.exchange(up, std::memory_order_acq_rel);
  if (!known_ || was != up) {
    if (up)
      spdlog::info("postgres: database is up");
    else
      spdlog::warn("postgres: database is down: {}", describe(why));
    known_ = true;
  }
  if (opts_.metrics)
    opts_.metrics->gauge("weft_database_up", "1 while PostgreSQL answers the health check", "",
                         "", up ? 1.0 : 0.0);
  {
    std::lock_guard<std::mutex> guard{mtx_};
  } // wait_ready checks under the lock: no lost wake-up
  cv_.notify_all();
}

void database_health::loop() {
  connection conn{opts_.conn};
  for (;;) {
    auto r = conn.exec("SELECT 1");
    checks_.fetch_add(1);
    set(static_cast<bool>(r), r ? caf::error{} : r.error());
    // After a failure, look again sooner: recovery shows within ~interval/4.
    auto wait = r ? opts_.interval : std::max(milliseconds{50}, opts_.interval / 4);
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, wait, [this] { return wake_ || stop_; });
    if (stop_)
      return;
    wake_ = false;
  }
}

} // namespace weft::pg
