#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The store port: where services keep their data, and the factory of their
// units of work. adapters/memory implements it in process, adapters/postgres
// on PostgreSQL; a service never knows which (runtime/service_kit.hpp gives
// each of its actors a session of the right kind).
namespace weft {

/// One thread's way into the store: a PostgreSQL connection, or the memory
/// store itself. Use it from one actor at a time.
class store_session {
public:
  using work_fn = std::function<caf::error(unit_of_work&)>;

  virtual ~store_session() = default;

  /// Runs `work` in one unit of work: commits when it returns no error
  /// (then hands the unit's events to the outbox relay), rolls every change
  /// back otherwise. Answers `work`'s error, or the commit's. May run `work`
  /// again after a serialization failure: no effects outside the unit.
  virtual caf::error transact(const work_fn& work) = 0;

  /// Runs `work` that only reads, outside a transaction (it must not write).
  virtual caf::error read(const work_fn& work) = 0;
};

/// The store of a node.
class store {
public:
  virtual ~store() = default;

  virtual store_kind kind() const = 0;

  /// True if a session blocks its thread (network round trips): each then
  /// belongs to a detached actor of its own.
  virtual bool blocking() const = 0;

  /// How many sessions one service should run side by side (blocking stores).
  virtual uint32_t parallelism() const = 0;

  /// A new session; `purpose` names it in logs and pg_stat_activity.
  virtual std::shared_ptr<store_session> open_session(std::string purpose) = 0;
};

namespace detail {

/// Runs `run(work)` where `work` keeps the value of `f(unit_of_work&) ->
/// caf::expected<T>`; that value once `run` succeeded.
template <class T, class Run, class F>
caf::expected<T> with_value(Run run, F&& f) {
  std::optional<T> out;
  auto err = run([&](unit_of_work& w) -> caf::error {
    auto r = f(w);
    if (!r)
      return std::move(r.error());
    out = std::move(*r);
    return {};
  });
  if (err)
    return err;
  return std::move(*out);
}

} // namespace detail

/// `transact` for work with a value: `f(unit_of_work&)` returns
/// `caf::expected<T>`; its value once committed.
template <class T, class F>
caf::expected<T> transact(store_session& s, F&& f) {
  return detail::with_value<T>([&s](const auto& work) { return s.transact(work); },
                               std::forward<F>(f));
}

/// `read` for work with a value.
template <class T, class F>
caf::expected<T> read(store_session& s, F&& f) {
  return detail::with_value<T>([&s](const auto& work) { return s.read(work); },
                               std::forward<F>(f));
}

} // namespace weft
