#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "adapters/postgres/connection.hpp"

// A batch of statements sent in libpq pipeline mode: all queued, one sync,
// one round trip. Outside a pg::transaction the batch is one implicit
// transaction: all of it commits or none (the first error aborts the rest).
// Inside one, it joins it (and a failure aborts it). Parameters are copied
// when added, so temporaries are fine.
namespace weft::pg {

/// Statements to run together in one round trip.
class pipeline {
public:
  /// A batch for `c`; nothing is sent before run().
  explicit pipeline(connection& c) : conn_(&c) {}

  /// Queues a named statement (prepared in the same round trip if needed).
  template <class... Ts>
  void add(const statement& st, const Ts&... args) {
    items_.push_back(item{st, {}, {param{args}.to_owned()...}});
  }
  /// Queues an unnamed statement with parameters.
  template <class... Ts>
  void add(sql_text sql, const Ts&... args) {
    items_.push_back(item{std::nullopt, sql.str, {param{args}.to_owned()...}});
  }
  /// Queues a named statement with a parameter list built at run time.
  void add_params(const statement& st, std::vector<param> ps);

  /// Statements queued.
  size_t size() const { return items_.size(); }
  /// Drops everything queued.
  void clear() { items_.clear(); }

  /// Sends everything, syncs once, and collects one result per statement in
  /// order; the first error otherwise. The queue is empty afterwards.
  caf::expected<std::vector<result>> run();

private:
  struct item {
    std::optional<statement> st;
    std::string sql; ///< when not a named statement
    std::vector<param> params;
  };

  caf::error send_all(const std::vector<item>& items, std::vector<statement>& to_prepare);

  connection* conn_;
  std::vector<item> items_;
};

} // namespace weft::pg
