#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.hpp"

// Real servers for integration and fault tests, each on a free loopback port
// with its data in a temp dir, stopped and removed at the end. Both can be
// stopped, killed and started again on the same port with the same data.
namespace weft::test {

/// `nats-server -js -sd <tmp>/store -a 127.0.0.1 -p <free port>`.
class nats_server {
public:
  nats_server(); ///< starts and waits until it accepts TCP (throws after 10 s)
  ~nats_server();
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path store_dir() const { return dir_ / "store"; }

  /// Starts again (same port and store); throws if it does not accept TCP in time.
  void start();
  /// SIGINT (a clean shutdown, exit 0) and wait; the exit code (-1 if it had to be killed).
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// SIGKILL: a crash.
  void kill();
  void restart() {
    stop();
    start();
  }
  bool running() { return proc_ && proc_->running(); }

private:
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<child_process> proc_;
  int starts_ = 0;
};

/// A throwaway PostgreSQL cluster: initdb (as user postgres when run as
/// root) into a temp dir, started with pg_ctl on a free port, fsync off
/// (tests) or the server's durable defaults (benchmarks), trust
/// authentication for user postgres over TCP.
class postgres_cluster {
public:
  /// initdb + start (throws with the server log on failure); `durable`: fsync
  /// and full_page_writes stay on, as on a real server.
  explicit postgres_cluster(bool durable = false);
  ~postgres_cluster(); ///< immediate stop
  postgres_cluster(const postgres_cluster&) = delete;
  postgres_cluster& operator=(const postgres_cluster&) = delete;

  uint16_t port() const { return port_; }
  /// `postgresql://postgres@127.0.0.1:<port>/<db>`.
  std::string url(const std::string& db = "postgres") const;

  /// CREATE DATABASE (optionally from a template).
  void create_database(const std::string& name, const std::string& template_db = {});
  /// Runs SQL with psql (-At, ON_ERROR_STOP); its stdout. Throws on failure.
  std::string psql(const std::string& sql, const std::string& db = "postgres") const;

  void start();
  /// pg_ctl stop -m <mode>: "fast" (clean), "immediate" (a crash), "smart".
  void stop(const std::string& mode = "fast");
  void kill() { stop("immediate"); }
  void restart(const std::string& mode = "fast") {
    stop(mode);
    start();
  }
  bool running() const { return running_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::string server_log() const { return read_text(dir_ / "server.log"); }

private:
  /// Runs a PostgreSQL server program, as user postgres when we are root.
  run_result pg_run(const std::string& program, std::vector<std::string> args,
                    std::chrono::milliseconds deadline = std::chrono::seconds(60)) const;

  temp_dir dir_;
  std::filesystem::path bindir_;
  uint16_t port_;
  bool running_ = false;
  bool durable_ = false;
};

/// The directory of initdb/pg_ctl: $PG_BINDIR, else the newest
/// /usr/lib/postgresql/<v>/bin, else pg_config --bindir.
std::filesystem::path postgres_bindir();

} // namespace weft::test
