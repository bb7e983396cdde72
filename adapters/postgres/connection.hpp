#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/params.hpp"
#include "adapters/postgres/result.hpp"

typedef struct pg_conn PGconn;

// One PostgreSQL session, confined to one thread (libpq forbids sharing a
// PGconn). Every call is bounded in time: connecting by connect_timeout,
// waiting for the server by io_timeout, and a broken connection is re-opened
// at most once per call, with exponential backoff between calls, answering
// api_errc::unavailable meanwhile. Callers never hang on a dead server.
namespace weft::pg {

using std::chrono::milliseconds;

/// How to reach the database and how long to wait for it.
struct connect_options {
  std::string url;                       ///< postgresql://user@host:port/db or key=value (its own `options` are replaced when statement_timeout is set)
  std::string application_name = "weft"; ///< shown in pg_stat_activity
  milliseconds connect_timeout{5000};    ///< one connection attempt at most
  milliseconds statement_timeout{0};     ///< server-side statement_timeout; 0 = none
  milliseconds idle_in_transaction_timeout{0}; ///< server-side idle_in_transaction_session_timeout; 0 = none
  milliseconds io_timeout{0};            ///< client wait for an answer; 0 = statement_timeout + 5 s (none if that is 0)
  milliseconds reconnect_min{100};       ///< first delay after a failed reconnect
  milliseconds reconnect_max{5000};      ///< backoff doubles up to this
  /// Called on this connection's thread when an established session is lost,
  /// e.g. `[&h](const caf::error&) { h.report_failure(); }` so readiness
  /// follows at once; whatever it refers to must outlive the connection.
  std::function<void(const caf::error&)> on_lost;
};

/// A NOTIFY received on a LISTENed channel.
struct notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0; ///< the notifying session
};

/// A thread-confined, self-healing libpq connection. Movable, not copyable;
/// a transaction or pipeline refers to it, so do not move it while they live.
class connection {
public:
  /// Not connected yet: the first call (or ensure()) connects.
  explicit connection(connect_options opts);
  /// Connects now; the error (unavailable) if that fails.
  static caf::expected<connection> open(connect_options opts);
  ~connection();
  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Connected, or reconnects now if the backoff allows (one attempt, bounded
  /// by connect_timeout); unavailable otherwise. Every call below does this
  /// first. Inside an open transaction a lost connection stays lost.
  caf::error ensure();
  /// ensure() again and again (sleeping through the backoff) until connected
  /// or `total` has passed: for start-up and `weft migrate`, not for requests.
  caf::error wait_until_connected(milliseconds total);
  /// True while the session is up (as far as libpq knows).
  bool connected() const;
  /// Counts successful connects: a change means a new session (prepared
  /// statements, LISTENs and session settings were set up again).
  uint64_t generation() const { return generation_; }

  /// Runs one statement with text parameters ($1, $2, ...).
  template <class... Ts>
  caf::expected<result> exec(sql_text sql, const Ts&... args) {
    std::array<param, sizeof...(Ts)> ps{param{args}...};
    return exec_params(sql, ps);
  }
  /// Runs a named statement, preparing it first on this session if needed.
  template <class... Ts>
  caf::expected<result> exec(const statement& st, const Ts&... args) {
    std::array<param, sizeof...(Ts)> ps{param{args}...};
    return exec_prepared(st, ps);
  }
  /// exec() with a parameter list built at run time.
  caf::expected<result> exec_params(sql_text sql, std::span<const param> ps);
  /// exec(statement) with a parameter list built at run time.
  caf::expected<result> exec_prepared(const statement& st, std::span<const param> ps);
  /// Prepares now (to fail fast at start); exec() also does it on first use.
  caf::error prepare(const statement& st);
  /// Runs several ;-separated statements without parameters (DDL,
  /// migrations). `timeout` overrides io_timeout; 0 = wait as long as it takes.
  caf::error exec_script(sql_text sql, std::optional<milliseconds> timeout = std::nullopt);

  /// LISTEN on `channel` now and after every reconnect.
  caf::error listen(std::string_view channel);
  /// `pg_notify(channel, payload)`; delivered when the transaction commits.
  caf::error notify(std::string_view channel, std::string_view payload = {});
  /// The next notification, waiting up to `timeout` (nullopt when none came).
  /// Blocks: for a dedicated listener thread. While the database is down it
  /// keeps reconnecting until the timeout, then answers unavailable. A
  /// reconnect loses NOTIFYs sent meanwhile: watch generation() and poll.
  caf::expected<std::optional<notification>> wait_for_notification(milliseconds timeout);

  /// True between BEGIN and COMMIT/ROLLBACK of a pg::transaction.
  bool in_transaction() const { return in_transaction_; }
  /// Closes the session (the next call reconnects at once).
  void disconnect();
  /// The options this connection was made with.
  const connect_options& options() const { return opts_; }
  /// The PGconn (null while disconnected), for what this class lacks.
  PGconn* native() const { return conn_; }

private:
  friend class transaction;
  friend class pipeline;
  using clock = std::chrono::steady_clock;

  caf::error connect_now();
  caf::error lose(std::string why);
  caf::error timed_out();
  clock::time_point deadline(std::optional<milliseconds> timeout = std::nullopt) const;
  caf::error wait_socket(short events, clock::time_point until, bool* readable = nullptr);
  caf::error flush(clock::time_point until);
  caf::error consume(clock::time_point until);
  caf::expected<result> collect(clock::time_point until);
  caf::error send_failed();
  caf::error prepare_now(const statement& st, clock::time_point until);
  bool needs_prepare(const statement& st) const;
  void mark_prepared(const statement& st) { prepared_[st.name] = st.sql; }
  caf::expected<result> exec_prepared_once(const statement& st, std::span<const param> ps);

  connect_options opts_;
  PGconn* conn_ = nullptr;
  uint64_t generation_ = 0;
  bool in_transaction_ = false;
  clock::time_point next_attempt_{};
  milliseconds backoff_{0};
  std::unordered_map<std::string, const char*> prepared_; ///< name -> SQL, this session
  std::vector<std::string> channels_;                    ///< LISTENed, re-issued on reconnect
};

} // namespace weft::pg
