#pragma once

#include <memory>
#include <span>

#include <caf/error.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/audit/interface.hpp"
#include "runtime/store.hpp"

// The audit service's behaviour: the inbox hands every event to on_event /
// on_events inside its unit of work (appending twice is harmless: the trail
// dedupes by id, which also covers dead letters of recorded events); the
// front answers queries with reads of its store session.
namespace weft::audit {

/// Appends one event to the trail.
caf::error on_event(unit_of_work& w, const events::envelope& ev);

/// Appends a batch of events in one statement (what the durable inbox prefers).
caf::error on_events(unit_of_work& w, std::span<const events::envelope> evs);

struct audit_state {
  std::shared_ptr<store_session> session;
  static inline const char* name = "weft.audit";
};

audit_actor::behavior_type audit_behavior(audit_actor::stateful_pointer<audit_state> self,
                                          std::shared_ptr<store_session> session);

} // namespace weft::audit
