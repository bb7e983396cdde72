#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "actors/audit/interface.hpp"

namespace weft::audit {

/// The audit trail's store. `append` is idempotent by event id: it answers
/// false for an event already in the trail, so a redelivery changes nothing.
class audit_repository {
public:
  virtual ~audit_repository() = default;
  virtual caf::expected<bool> append(const events::envelope& ev) = 0;
  virtual caf::expected<audit_page> query(const audit_query& q) = 0;
};

/// The embedded store: arrival-ordered vector plus an id index.
std::unique_ptr<audit_repository> make_memory_audit_repository();

} // namespace weft::audit
