#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string_view>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_response_promise.hpp>

#include "runtime/atoms.hpp"

// Drain with a deadline, once for the node: an actor asked to drain answers
// when it has nothing left in flight, or at the deadline the asker gave,
// whichever comes first; and the node asks each part in turn, waiting for
// its answer no longer than what is left of the stop budget.
namespace weft {

/// What an actor sends itself when a drain request's deadline passes.
struct drain_deadline {
  uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_deadline& x) {
  return f(caf::meta::type_name("weft.drain_deadline"), x.id);
}

/// Drain requests waiting on one actor. Every request is answered exactly
/// once (a dropped promise sends nothing in CAF 0.17).
class drain_waiters {
public:
  using promise = caf::typed_response_promise<ack_atom>;

  /// Parks `rp` until `release_all` or its deadline; `self` (whose interface
  /// takes `drain_deadline`) is sent `drain_deadline{id}` after `deadline_ms`.
  template <class Self>
  void park(Self* self, promise rp, uint32_t deadline_ms) {
    auto id = ++next_;
    waiting_.emplace(id, std::move(rp));
    self->delayed_send(self, std::chrono::milliseconds{deadline_ms}, drain_deadline{id});
  }

  /// The deadline of `d` passed: answers it if it still waits.
  void expire(drain_deadline d);

  /// Nothing is in flight any more: answers every waiter.
  void release_all();

  bool empty() const { return waiting_.empty(); }

private:
  std::map<uint64_t, promise> waiting_;
  uint64_t next_ = 0;
};

/// Asks `target` (whose interface answers `drain_atom, uint32_t` with
/// `ack_atom`) to drain and waits for its answer until `deadline` at most;
/// logs a warning naming `what` when it did not drain in time. Blocks the
/// calling thread: for the node's stop sequence, never a CAF worker.
void drain_until(caf::actor_system& sys, const caf::actor& target,
                 std::chrono::steady_clock::time_point deadline, std::string_view what);

} // namespace weft
