#include "adapters/postgres/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

namespace weft::pg {

namespace {

// libpq's message on one line (it spans several for a lost connection).
std::string libpq_message(PGconn* c) {
  return one_line(c ? PQerrorMessage(c) : "no connection");
}

// Notices (`relation already exists, skipping`) go to the log, not stderr.
void on_notice(void*, const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && m.back() == '\n')
    m.pop_back();
  spdlog::debug("postgres: {}", m);
}

} // namespace

connection::connection(connect_options opts) : opts_(std::move(opts)) {
  // nop: connects on first use
}

caf::expected<connection> connection::open(connect_options opts) {
  connection c{std::move(opts)};
  if (auto err = c.ensure())
    return err;
  return c;
}

connection::~connection() {
  if (conn_)
    PQfinish(conn_);
}

connection::connection(connection&& other) noexcept
  : opts_(std::move(other.opts_)),
    conn_(std::exchange(other.conn_, nullptr)),
    generation_(other.generation_),
    in_transaction_(other.in_transaction_),
    next_attempt_(other.next_attempt_),
    backoff_(other.backoff_),
    prepared_(std::move(other.prepared_)),
    channels_(std::move(other.channels_)) {
  // nop
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (conn_)
      PQfinish(conn_);
    opts_ = std::move(other.opts_);
    conn_ = std::exchange(other.conn_, nullptr);
    generation_ = other.generation_;
    in_transaction_ = other.in_transaction_;
    next_attempt_ = other.next_attempt_;
    backoff_ = other.backoff_;
    prepared_ = std::move(other.prepared_);
    channels_ = std::move(other.channels_);
  }
  return *this;
}

bool connection::connected() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

void connection::disconnect() {
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  prepared_.clear();
  next_attempt_ = {};
}

caf::error connection::ensure() {
  if (connected())
    return {};
  if (conn_) // libpq noticed the loss on its own
    lose("connection lost");
  // A reconnect inside a transaction would silently continue in autocommit.
  if (in_transaction_)
    return unavailable("connection lost inside a transaction");
  if (clock::now() < next_attempt_)
    return unavailable("reconnecting (backoff)");
  if (auto err = connect_now()) {
    backoff_ = backoff_.count() == 0 ? opts_.reconnect_min : std::min(backoff_ * 2, opts_.reconnect_max);
    next_attempt_ = clock::now() + backoff_;
    return err;
  }
  backoff_ = milliseconds{0};
  return {};
}

caf::error connection::wait_until_connected(milliseconds total) {
  auto until = clock::now() + total;
  for (;;) {
    auto err = ensure();
    if (!err)
      return {};
    auto now = clock::now();
    if (now >= until)
      return err;
    std::this_thread::sleep_until(std::min(until, std::max(next_attempt_, now + milliseconds{10})));
  }
}

caf::error connection::connect_now() {
  auto until = clock::now() + opts_.connect_timeout;
  std::string options;
  if (opts_.statement_timeout.count() > 0)
    options = "-c statement_timeout=" + std::to_string(opts_.statement_timeout.count());
  // A session idle inside a transaction belongs to a client that hung
  // (SIGSTOP, a frozen VM): the server ends it, so its locks (the outbox
  // claim lock, rows) stop blocking every other node.
  if (opts_.idle_in_transaction_timeout.count() > 0)
    options += (options.empty() ? "" : " ") + std::string{"-c idle_in_transaction_session_timeout="}
               + std::to_string(opts_.idle_in_transaction_timeout.count());
  // The URL first: the keywords after it override what it says. Keepalives
  // notice a peer that vanished without closing the socket.
  const char* keys[] = {"dbname", "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count",
                        options.empty() ? nullptr : "options", nullptr};
  const char* values[] = {opts_.url.c_str(), opts_.application_name.c_str(), "1", "10", "5", "3",
                          options.empty() ? nullptr : options.c_str(), nullptr};
  PGconn* c = PQconnectStartParams(keys, values, 1);
  if (c == nullptr)
    return unavailable("out of memory");
  auto fail = [&](std::string why) {
    PQfinish(c);
    return unavailable(std::move(why));
  };
  if (PQstatus(c) == CONNECTION_BAD)
    return fail(libpq_message(c));
  // Drive the handshake ourselves: libpq's connect_timeout has 1 s steps.
  for (auto st = PGRES_POLLING_WRITING;;) {
    if (st == PGRES_POLLING_OK)
      break;
    if (st == PGRES_POLLING_FAILED)
      return fail(libpq_message(c));
    auto left = std::chrono::duration_cast<milliseconds>(until - clock::now()).count();
    if (left <= 0)
      return fail("connect timed out after " + std::to_string(opts_.connect_timeout.count()) + " ms");
    pollfd p{PQsocket(c), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR)
      return fail(std::string{"poll: "} + std::strerror(errno));
    if (n > 0)
      st = PQconnectPoll(c);
  }
  PQsetnonblocking(c, 1);
  PQsetNoticeProcessor(c, on_notice, nullptr);
  conn_ = c;
  ++generation_;
  prepared_.clear();
  for (const auto& ch : channels_) {
    char* quoted = PQescapeIdentifier(conn_, ch.c_str(), ch.size());
    std::string sql = std::string{"LISTEN "} + (quoted ? quoted : "");
    PQfreemem(quoted);
    if (auto err = exec_script(sql.c_str())) {
      disconnect();
      return err;
    }
  }
  return {};
}

caf::error connection::lose(std::string why) {
  bool was_up = conn_ != nullptr;
  if (conn_) {
    if (why.empty() || why == "connection lost") {
      auto m = libpq_message(conn_);
      if (!m.empty())
        why = m;
    }
    PQfinish(conn_);
    conn_ = nullptr;
  }
  prepared_.clear();
  // The first reconnect is immediate; failures then back off.
  next_attempt_ = {};
  backoff_ = milliseconds{0};
  auto err = unavailable(std::move(why));
  if (was_up && opts_.on_lost)
    opts_.on_lost(err);
  return err;
}

caf::error connection::timed_out() {
  // The protocol is mid-statement: the only safe way on is a new session.
  lose("no answer in time");
  return make_pg_error(api_errc::timeout, "database did not answer in time", {},
                       "no answer within io_timeout");
}

connection::clock::time_point connection::deadline(std::optional<milliseconds> timeout) const {
  milliseconds t = timeout ? *timeout : opts_.io_timeout;
  if (!timeout && t.count() == 0 && opts_.statement_timeout.count() > 0)
    t = opts_.statement_timeout + std::chrono::seconds(5);
  if (t.count() == 0)
    return clock::time_point::max();
  return clock::now() + t;
}

caf::error connection::wait_socket(short events, clock::time_point until, bool* readable) {
  for (;;) {
    int ms = -1;
    if (until != clock::time_point::max()) {
      auto left = std::chrono::duration_cast<milliseconds>(until - clock::now()).count();
      if (left <= 0)
        return timed_out();
      ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    pollfd p{PQsocket(conn_), events, 0};
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return lose(std::string{"poll: "} + std::strerror(errno));
    if (n == 0)
      continue; // re-check the deadline
    if (readable)
      *readable = (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    return {};
  }
}

caf::error connection::flush(clock::time_point until) {
  for (;;) {
    int r = PQflush(conn_);
    if (r == 0)
      return {};
    if (r < 0)
      return lose("");
    // Read while writing: a server blocked on its output stops reading ours.
    bool readable = false;
    if (auto err = wait_socket(POLLIN | POLLOUT, until, &readable))
      return err;
    if (readable && PQconsumeInput(conn_) == 0)
      return lose("");
  }
}

caf::error connection::consume(clock::time_point until) {
  while (PQisBusy(conn_)) {
    if (auto err = wait_socket(POLLIN, until))
      return err;
    if (PQconsumeInput(conn_) == 0)
      return lose("");
  }
  return {};
}

caf::expected<result> connection::collect(clock::time_point until) {
  // One statement may yield several results (a script): the first error
  // wins, else the last result; always drain to the end.
  caf::error err;
  result last;
  for (;;) {
    if (auto e = consume(until))
      return e;
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr)
      break;
    auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
      last = result{r};
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      // The session now waits for COPY data we will never send: start over.
      PQclear(r);
      disconnect();
      return make_pg_error(api_errc::internal, "database error", {},
                           "COPY is not supported through exec");
    } else {
      if (!err)
        err = error_from(r, conn_);
      PQclear(r);
      if (!connected())
        return lose(server_message(err));
    }
  }
  if (err)
    return err;
  return last;
}

caf::error connection::send_failed() {
  if (!connected())
    return lose("");
  // Refused by libpq itself (too many parameters, a command in progress).
  return make_pg_error(api_errc::internal, "database error", {}, libpq_message(conn_));
}

caf::expected<result> connection::exec_params(sql_text sql, std::span<const param> ps) {
  if (auto err = ensure())
    return err;
  auto values = values_of(ps);
  auto until = deadline();
  if (PQsendQueryParams(conn_, sql.str, static_cast<int>(ps.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0)
    return send_failed();
  if (auto err = flush(until))
    return err;
  return collect(until);
}

caf::error connection::exec_script(sql_text sql, std::optional<milliseconds> timeout) {
  if (auto err = ensure())
    return err;
  auto until = deadline(timeout);
  if (PQsendQuery(conn_, sql.str) == 0)
    return send_failed();
  if (auto err = flush(until))
    return err;
  auto r = collect(until);
  return r ? caf::error{} : std::move(r.error());
}

} // namespace weft::pg
