#include "adapters/postgres/transaction.hpp"

#include <libpq-fe.h>

#include <spdlog/spdlog.h>

namespace weft::pg {

caf::expected<transaction> transaction::begin(connection& c, isolation level) {
  if (c.in_transaction())
    return make_pg_error(api_errc::internal, "database error", {},
                         "transaction::begin: the connection is already in a transaction");
  const char* sql = "BEGIN";
  switch (level) {
    case isolation::read_committed: break;
    case isolation::repeatable_read: sql = "BEGIN ISOLATION LEVEL REPEATABLE READ"; break;
    case isolation::serializable: sql = "BEGIN ISOLATION LEVEL SERIALIZABLE"; break;
  }
  if (auto r = c.exec(sql); !r)
    return std::move(r.error());
  c.in_transaction_ = true;
  return transaction{c};
}

transaction::transaction(transaction&& other) noexcept
  : conn_(other.conn_), open_(std::exchange(other.open_, false)) {
  // nop
}

transaction::~transaction() {
  if (open_)
    rollback();
}

void transaction::end() {
  open_ = false;
  conn_->in_transaction_ = false;
}

caf::error transaction::commit() {
  if (!open_)
    return make_pg_error(api_errc::internal, "database error", {},
                         "transaction::commit: not open");
  PGconn* pc = conn_->native();
  if (pc != nullptr && PQtransactionStatus(pc) == PQTRANS_INERROR) {
    rollback();
    return make_pg_error(api_errc::internal, "database error", "25P02",
                         "transaction aborted by an earlier error; rolled back");
  }
  auto r = conn_->exec("COMMIT");
  end();
  if (!r) {
    if (!conn_->connected())
      return make_pg_error(api_errc::unavailable, "database unavailable", sqlstate(r.error()),
                           "connection lost during COMMIT: outcome unknown");
    return std::move(r.error()); // e.g. a deferred constraint or 40001 at commit
  }
  // The server answers ROLLBACK (not an error) when it had to roll back.
  if (const char* tag = PQcmdStatus(r->native()); tag && std::string_view{tag} == "ROLLBACK")
    return make_pg_error(api_errc::internal, "database error", "25P02",
                         "COMMIT answered ROLLBACK");
  return {};
}

caf::error transaction::rollback() {
  if (!open_)
    return {};
  end();
  if (!conn_->connected())
    return {}; // the server rolled back when the session ended
  auto r = conn_->exec("ROLLBACK");
  PGconn* pc = conn_->native();
  if (!r || (pc != nullptr && PQtransactionStatus(pc) != PQTRANS_IDLE)) {
    // Never hand out a session stuck inside a transaction.
    spdlog::warn("postgres: ROLLBACK failed ({}); closing the session",
                 r ? "still in a transaction" : describe(r.error()));
    conn_->disconnect();
    return r ? caf::error{} : std::move(r.error());
  }
  return {};
}

} // namespace weft::pg
