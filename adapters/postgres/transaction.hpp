#pragma once

#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "adapters/postgres/connection.hpp"

// BEGIN ... COMMIT as an RAII object: a transaction that is neither
// committed nor rolled back when it goes out of scope is rolled back. While
// one is open its connection never reconnects silently (that would continue
// in autocommit): a lost connection fails every call until it ends.
namespace weft::pg {

/// The isolation level of a transaction.
enum class isolation { read_committed, repeatable_read, serializable };

/// An open transaction on a connection.
class transaction {
public:
  /// BEGIN (with `level`); fails if `c` is down or already in a transaction.
  static caf::expected<transaction> begin(connection& c,
                                          isolation level = isolation::read_committed);
  /// Rolls back if still open.
  ~transaction();
  transaction(transaction&& other) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// COMMIT. An earlier failed statement makes this a rollback and an error.
  /// unavailable with "outcome unknown" if the connection broke during COMMIT:
  /// the work may or may not be durable (make it idempotent).
  caf::error commit();
  /// ROLLBACK now.
  caf::error rollback();
  /// Still open (not committed, not rolled back).
  bool open() const { return open_; }
  /// The connection the transaction runs on.
  connection& conn() const { return *conn_; }

private:
  explicit transaction(connection& c) : conn_(&c), open_(true) {}
  void end();

  connection* conn_;
  bool open_;
};

/// Runs `f(connection&)` in a transaction and commits if it succeeded. `f`
/// returns caf::error (none = success) or caf::expected<T>. Serialization
/// failures and deadlocks (40001, 40P01) run it again, `attempts` times in
/// all, so `f` must not have effects outside the database.
template <class F>
auto in_transaction(connection& c, F&& f, isolation level = isolation::read_committed,
                    int attempts = 3) -> std::invoke_result_t<F&, connection&> {
  using R = std::invoke_result_t<F&, connection&>;
  auto error_of = [](R& r) -> caf::error {
    if constexpr (std::is_same_v<R, caf::error>)
      return r;
    else
      return r ? caf::error{} : r.error();
  };
  for (int attempt = 1;; ++attempt) {
    auto tx = transaction::begin(c, level);
    if (!tx)
      return R{std::move(tx.error())};
    R r = f(c);
    caf::error err = error_of(r);
    if (!err)
      err = tx->commit();
    if (!err)
      return r;
    tx->rollback();
    auto state = sqlstate(err);
    if (attempt >= attempts || (state != "40001" && state != "40P01"))
      return R{std::move(err)};
  }
}

} // namespace weft::pg
