#pragma once

#include <memory>
#include <span>

#include <caf/expected.hpp>

#include "actors/audit/interface.hpp"
#include "runtime/unit_of_work.hpp"

namespace weft::audit {

/// The audit trail's store, opened on a unit of work. `append` is
/// idempotent by event id: false for an event already in the trail, so a
/// redelivered dead letter of a recorded event changes nothing.
class audit_repository {
public:
  virtual ~audit_repository() = default;
  virtual caf::expected<bool> append(const events::envelope& ev) = 0;
  /// The same for many events (one statement on PostgreSQL).
  virtual caf::error append_batch(std::span<const events::envelope> evs) = 0;
  virtual caf::expected<audit_page> query(const audit_query& q) = 0;
  /// Retention: deletes at most `limit` events whose time is before `before`
  /// (unix seconds), oldest first; how many.
  virtual caf::expected<int64_t> prune_before(int64_t before, int64_t limit) = 0;
};

/// The trail as the unit of work's store keeps it (memory or PostgreSQL).
std::unique_ptr<audit_repository> open_repository(unit_of_work& w);

/// The two implementations (repo_memory.cpp, repo_pg.cpp).
std::unique_ptr<audit_repository> open_memory_repository(unit_of_work& w);
std::unique_ptr<audit_repository> open_pg_repository(unit_of_work& w);

} // namespace weft::audit
