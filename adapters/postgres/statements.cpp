#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "adapters/postgres/connection.hpp"

// Named statements and LISTEN/NOTIFY: the parts of a connection that keep
// per-session state and set it up again after a reconnect.
namespace weft::pg {

bool connection::needs_prepare(const statement& st) const {
  return prepared_.find(st.name) == prepared_.end();
}

caf::error connection::prepare_now(const statement& st, clock::time_point until) {
  if (PQsendPrepare(conn_, st.name, st.sql, 0, nullptr) == 0)
    return send_failed();
  if (auto err = flush(until))
    return err;
  auto r = collect(until);
  if (!r)
    return std::move(r.error());
  mark_prepared(st);
  return {};
}

caf::error connection::prepare(const statement& st) {
  if (auto err = ensure())
    return err;
  if (auto i = prepared_.find(st.name); i != prepared_.end()) {
    if (i->second != st.sql && std::strcmp(i->second, st.sql) != 0)
      return make_pg_error(api_errc::internal, "database error", {},
                           std::string{"statement "} + st.name + " prepared with other SQL");
    return {};
  }
  return prepare_now(st, deadline());
}

caf::expected<result> connection::exec_prepared_once(const statement& st,
                                                     std::span<const param> ps) {
  if (auto err = prepare(st))
    return err;
  auto values = values_of(ps);
  auto until = deadline();
  if (PQsendQueryPrepared(conn_, st.name, static_cast<int>(ps.size()), values.data(), nullptr,
                          nullptr, 0)
      == 0)
    return send_failed();
  if (auto err = flush(until))
    return err;
  return collect(until);
}

caf::expected<result> connection::exec_prepared(const statement& st, std::span<const param> ps) {
  auto r = exec_prepared_once(st, ps);
  // 26000: the session lost the statement behind our back (DISCARD ALL by a
  // pooler); prepare again once.
  if (!r && sqlstate(r.error()) == "26000" && !in_transaction_) {
    prepared_.erase(st.name);
    r = exec_prepared_once(st, ps);
  }
  return r;
}

caf::error connection::listen(std::string_view channel) {
  std::string ch{channel};
  if (std::find(channels_.begin(), channels_.end(), ch) != channels_.end())
    return {};
  if (auto err = ensure())
    return err;
  // LISTEN takes no parameters: quote the identifier instead.
  char* quoted = PQescapeIdentifier(conn_, ch.c_str(), ch.size());
  if (quoted == nullptr)
    return send_failed();
  std::string sql = std::string{"LISTEN "} + quoted;
  PQfreemem(quoted);
  if (auto err = exec_script(sql.c_str()))
    return err;
  channels_.push_back(std::move(ch));
  return {};
}

caf::error connection::notify(std::string_view channel, std::string_view payload) {
  auto r = exec("SELECT pg_notify($1, $2)", channel, payload);
  return r ? caf::error{} : std::move(r.error());
}

caf::expected<std::optional<notification>> connection::wait_for_notification(milliseconds timeout) {
  auto until = clock::now() + timeout;
  auto take = [this]() -> std::optional<notification> {
    PGnotify* n = PQnotifies(conn_);
    if (n == nullptr)
      return std::nullopt;
    notification out{n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid};
    PQfreemem(n);
    return out;
  };
  for (;;) {
    if (auto err = ensure()) {
      // Down: wait for the next reconnect attempt, within our timeout.
      auto wake = std::min(until, std::max(next_attempt_, clock::now() + milliseconds{10}));
      if (wake >= until)
        return err;
      std::this_thread::sleep_until(wake);
      continue;
    }
    if (auto n = take())
      return n;
    auto left = std::chrono::duration_cast<milliseconds>(until - clock::now()).count();
    if (left <= 0)
      return std::optional<notification>{};
    pollfd p{PQsocket(conn_), POLLIN, 0};
    int k = ::poll(&p, 1, static_cast<int>(left));
    if (k < 0 && errno != EINTR)
      lose(std::string{"poll: "} + std::strerror(errno));
    else if (k > 0 && PQconsumeInput(conn_) == 0)
      lose("");
  }
}

} // namespace weft::pg
