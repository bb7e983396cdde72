#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/typed_event.hpp"
#include "events/wire.hpp"

// The events the notifications service publishes. A notification is its own
// aggregate: notification_created's subject is the notification id, so that
// one busy user (an admin creating many keys) is not a single ordered lane
// through the outbox; notifications_read's subject is the user id.
namespace weft::notifications {

/// A notification was written for a user (by the inbox, with the
/// notification, in one unit of work).
struct notification_created {
  static constexpr std::string_view type_name = "notifications.notification.created";
  static constexpr int version = 1;
  std::string notification_id;
  std::string user_id;
  std::string kind;

  static auto describe() {
    return wire::object<notification_created>(
      "weft.notifications.notification_created", "A notification was written for a user",
      wire::field("notification_id", &notification_created::notification_id),
      wire::field("user_id", &notification_created::user_id),
      wire::field("kind", &notification_created::kind));
  }
};
WEFT_WIRE(notification_created)

/// A user marked notifications read.
struct notifications_read {
  static constexpr std::string_view type_name = "notifications.notifications.read";
  static constexpr int version = 1;
  std::string user_id;
  int64_t count = 0;   ///< newly read
  int64_t unread = 0;  ///< left unread

  static auto describe() {
    return wire::object<notifications_read>(
      "weft.notifications.notifications_read", "A user marked notifications read",
      wire::field("user_id", &notifications_read::user_id),
      wire::field("count", &notifications_read::count),
      wire::field("unread", &notifications_read::unread));
  }
};
WEFT_WIRE(notifications_read)

using published_events = events::event_list<notification_created, notifications_read>;

/// A request to notify people, which this service accepts from others (the
/// entities service sends one for each write a `notifications.inapp`
/// binding of the schema triggers, in that write's unit of work).
/// Recipients are user ids or emails; an email of nobody yet registered
/// waits, under the email, until that user registers.
struct inapp_requested {
  static constexpr std::string_view type_name = "notifications.inapp.requested";
  static constexpr int version = 1;
  std::string binding;                 ///< the binding's name ("default")
  std::string entity;                  ///< the entity the change is about, e.g. Event
  std::string entity_id;
  std::string trigger;                 ///< create, update or delete
  std::vector<std::string> recipients; ///< user ids or emails
  std::string title;                   ///< the binding's subjectTemplate, filled in

  static auto describe() {
    return wire::object<inapp_requested>(
      "weft.notifications.inapp_requested", "Notify these people in the app",
      wire::field("binding", &inapp_requested::binding),
      wire::field("entity", &inapp_requested::entity),
      wire::field("entity_id", &inapp_requested::entity_id),
      wire::field("trigger", &inapp_requested::trigger).one_of({"create", "update", "delete"}),
      wire::field("recipients", &inapp_requested::recipients).doc("user ids or emails"),
      wire::field("title", &inapp_requested::title));
  }
};
WEFT_WIRE(inapp_requested)

} // namespace weft::notifications
