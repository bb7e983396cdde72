#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "events/envelope.hpp"

// The unit of work (DESIGN §1): what a handler writes through. Its
// repositories' changes, the events it emits (outbox rows) and the answer
// recorded under an Idempotency-Key commit together or not at all: one
// PostgreSQL transaction in durable mode, one in-memory change set in
// embedded mode (visible to others only once it committed, undone if the
// handler fails). Handlers are written once against this port; a service's
// repositories open on it (`open_repository(unit_of_work&)`) and pick their
// memory or PostgreSQL implementation by `kind()`.
namespace weft {

/// Which store a unit of work writes to.
enum class store_kind : uint8_t { memory, postgres };

/// The answer a write gave under an Idempotency-Key: a retry with the same
/// key gets `response` again instead of the work being done twice.
struct idempotency_record {
  std::string key;
  std::string operation;     ///< route operation and caller: keys are scoped by both
  std::string request_hash;  ///< SHA-256 of the request: same key, other request = 422
  std::string response;      ///< the answer, as JSON
  int64_t expires_at = 0;    ///< unix seconds
};

/// One unit of work. Confined to the thread that runs the handler; the
/// store that made it commits or rolls it back when the handler returns.
class unit_of_work {
public:
  virtual ~unit_of_work() = default;

  /// Where the changes go.
  virtual store_kind kind() const = 0;

  /// Queues an event to publish if, and only if, the unit commits (in the
  /// order emitted; per subject, commit order across units).
  virtual void emit(events::envelope ev) = 0;

  /// The live (unexpired) answer recorded under (key, operation), if any.
  virtual caf::expected<std::optional<idempotency_record>>
  find_answer(std::string_view key, std::string_view operation) = 0;

  /// Records an answer with the change; `api_errc::conflict` if a live
  /// record of the key exists (another request won: answer with it).
  virtual caf::error record_answer(const idempotency_record& r) = 0;

  /// For inboxes: records that `consumer` handled `event_key` with the
  /// change; false (and nothing recorded) if it was recorded before, i.e.
  /// the delivery is a duplicate. Ordering rule: record -> handle -> commit.
  virtual caf::expected<bool> record_delivery(std::string_view consumer,
                                              std::string_view event_key) = 0;

  /// Retention: forgets at most `limit` inbox records made before `before`
  /// (unix seconds); how many. Only records older than anything the stream
  /// can still deliver may go, or a redelivery would be handled twice.
  virtual caf::expected<int64_t> prune_deliveries(int64_t before, int64_t limit) = 0;

  /// Retention: deletes at most `limit` expired idempotency answers; how many.
  virtual caf::expected<int64_t> prune_answers(int64_t limit) = 0;

  /// Runs `fn` once the unit has committed, never if it rolls back, on the
  /// committing thread: for what must follow a change but is no part of it,
  /// such as waking a local worker for the rows just written. Must not block.
  void on_commit(std::function<void()> fn) { commit_hooks_.push_back(std::move(fn)); }

  // For the stores: the hooks registered so far, to run after the commit;
  // how many there are, and dropping those after the first `keep` (a
  // handler that failed inside a shared transaction).
  std::vector<std::function<void()>> take_commit_hooks() { return std::move(commit_hooks_); }
  size_t commit_hook_count() const { return commit_hooks_.size(); }
  void drop_commit_hooks(size_t keep) {
    if (commit_hooks_.size() > keep)
      commit_hooks_.resize(keep);
  }

private:
  std::vector<std::function<void()>> commit_hooks_;
};

/// Runs hooks taken from a committed unit.
inline void run_commit_hooks(std::vector<std::function<void()>> hooks) {
  for (auto& h : hooks)
    h();
}

} // namespace weft
