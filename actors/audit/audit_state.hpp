#pragma once

#include <memory>

#include <caf/typed_event_based_actor.hpp>

#include "actors/audit/interface.hpp"
#include "actors/audit/repo.hpp"

namespace weft::audit {

/// The audit trail's behaviour: append what the inbox hands over, answer
/// queries. Appending twice is harmless (the store dedupes by id), which is
/// what makes the inbox's at-least-once delivery effectively once here.
struct audit_state {
  std::shared_ptr<audit_repository> repo;
  static inline const char* name = "weft.audit";
};

audit_actor::behavior_type audit_behavior(audit_actor::stateful_pointer<audit_state> self,
                                          std::shared_ptr<audit_repository> repo);

} // namespace weft::audit
