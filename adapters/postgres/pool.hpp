#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/unit.hpp>

#include "adapters/postgres/connection.hpp"

// pg::pool: N detached actors (one thread each), each owning one connection,
// behind a caf::actor_pool (round robin). Blocking libpq calls run on those
// threads, never on a CAF scheduler thread. For work that belongs to no
// service (outbox relay, migrations at start, admin jobs); a service runs its
// repositories on its own detached actors. Jobs queued or running are
// bounded (max_queued): past that, run() fails at once with unavailable,
// which also keeps CAF's O(n) pending-request list short (notes §2).
namespace weft::pg {

/// Pool size, connections and the bound on queued jobs.
struct pool_options {
  connect_options conn; ///< each worker's connection
  size_t size = 4;      ///< workers (connections)
  size_t max_queued = 256; ///< jobs queued or running at most
};

/// A job that answers nothing (see pool::post).
struct job {
  std::function<void(connection&)> fn;
  std::shared_ptr<void> token; ///< releases its queue slot when destroyed
};

/// A job whose answer (a message) goes back to the requester (see run()).
struct task {
  std::function<caf::message(connection&)> fn;
  std::chrono::steady_clock::time_point deadline; ///< skipped (timeout) if it starts later
  std::shared_ptr<void> token;
};

/// The typed answer of a task, passed by pointer between local actors.
template <class T>
struct boxed {
  std::shared_ptr<caf::expected<T>> value;
};

/// A handle to a running pool; copies share it.
class pool {
public:
  pool() = default;
  /// Spawns `opts.size` workers; each connects at once (failures retry later).
  static pool spawn(caf::actor_system& sys, pool_options opts);

  /// The actor_pool, for request() and anon_send().
  const caf::actor& handle() const { return actor_; }
  /// Jobs queued or running now.
  size_t queued() const;
  /// Runs `fn` on some worker, answering nothing; false if the pool is full.
  bool post(std::function<void(connection&)> fn) const;
  /// Asks every worker to quit after its current job.
  void stop() const;
  explicit operator bool() const { return static_cast<bool>(actor_); }

  /// A queue slot, or null when full (used by run()).
  std::shared_ptr<void> admit() const;

private:
  struct shared_state {
    std::atomic<size_t> queued{0};
    size_t max_queued = 0;
  };
  caf::actor actor_;
  std::shared_ptr<shared_state> shared_;
};

/// The error an answer that never came turns into (timeout or unavailable).
caf::error translate_request_error(const caf::error& err);

/// A task not yet sent; then() sends it.
template <class T, class Self>
class pending {
public:
  using value_type = std::conditional_t<std::is_void_v<T>, caf::unit_t, T>;
  using job_fn = std::function<caf::expected<value_type>(connection&)>;

  pending(Self* self, pool p, milliseconds timeout, job_fn fn)
    : self_(self), pool_(std::move(p)), timeout_(timeout), fn_(std::move(fn)) {}

  /// Sends the task. `on_value(T)` (or `on_value()` for void) runs in the
  /// actor with the job's value; `on_error(caf::error&)` with the job's error,
  /// api_errc::timeout when no answer came in time, unavailable when full.
  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error) {
    auto token = pool_.admit();
    if (!token) {
      caf::error err = unavailable("database pool saturated");
      on_error(err);
      return;
    }
    task t{[fn = std::move(fn_)](connection& c) {
             return caf::make_message(boxed<value_type>{
               std::make_shared<caf::expected<value_type>>(fn(c))});
           },
           std::chrono::steady_clock::now() + timeout_, std::move(token)};
    self_->request(pool_.handle(), timeout_, std::move(t))
      .then(
        [on_value, on_error](boxed<value_type>& b) mutable {
          if (!*b.value) {
            caf::error err = b.value->error();
            on_error(err);
          } else if constexpr (std::is_void_v<T>) {
            on_value();
          } else {
            on_value(std::move(**b.value));
          }
        },
        [on_error](caf::error& err) mutable {
          auto e = translate_request_error(err);
          on_error(e);
        });
  }

private:
  Self* self_;
  pool pool_;
  milliseconds timeout_;
  job_fn fn_;
};

/// Runs `fn(connection&)` on a pool worker and hands its result back to the
/// event-based actor `self`, which never blocks:
///   pg::run<int64_t>(self, pool, 2s, [](pg::connection& c) -> caf::expected<int64_t> {...})
///     .then([](int64_t n) {...}, [](caf::error& e) {...});
/// `fn` returns caf::expected<T> (caf::error for T = void). A job that
/// starts after its timeout is skipped; one that started finishes even if the
/// requester stopped waiting, so make it idempotent or transactional.
template <class T, class Self, class F>
pending<T, Self> run(Self* self, const pool& p, milliseconds timeout, F fn) {
  using value_type = typename pending<T, Self>::value_type;
  if constexpr (std::is_void_v<T>) {
    return {self, p, timeout, [fn = std::move(fn)](connection& c) mutable -> caf::expected<value_type> {
              caf::error err = fn(c);
              if (err)
                return err;
              return caf::unit;
            }};
  } else {
    return {self, p, timeout, std::move(fn)};
  }
}

} // namespace weft::pg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::pg::job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::pg::task)

namespace caf {
template <class T>
struct allowed_unsafe_message_type<weft::pg::boxed<T>> : std::true_type {};
} // namespace caf
