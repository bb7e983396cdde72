#pragma once

#include <memory>

#include <caf/typed_event_based_actor.hpp>

#include "actors/notifications/interface.hpp"
#include "actors/notifications/settings.hpp"
#include "runtime/service_kit.hpp"
#include "runtime/store.hpp"

// The notifications service's behaviour. Its inbox calls the handlers below
// once per event id, inside a unit of work: the notification, its user's
// counter increment and the notification_created event commit with the
// inbox record, or none of them do (record -> handle -> commit -> ack). The
// front answers a user's reads and marks on its store session.
namespace weft::notifications {

/// The inbox's handlers: a welcome for `auth.user.created`, a note to the
/// key's creator for `auth.apikey.created`; other auth events are acked
/// untouched.
kit::event_dispatch event_handlers(const notifications_settings& s);

struct notifications_state {
  std::shared_ptr<store_session> session;
  static inline const char* name = "weft.notifications";
};

notifications_actor::behavior_type
notifications_behavior(notifications_actor::stateful_pointer<notifications_state> self,
                       std::shared_ptr<store_session> session);

} // namespace weft::notifications
