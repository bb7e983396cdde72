#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/cursor.hpp"
#include "runtime/principal.hpp"
#include "runtime/route.hpp"

// The notifications service: in-app notifications, written by its inbox
// when other services' events say something happened to a user (a welcome
// on registration, a note when an API key was created for them), read and
// marked read by the user, and in-app notifications other services request
// (notifications.inapp bindings of the entity schema). Each user has an
// unread counter the inbox increments: applied twice, it would show.
namespace weft::notifications {

/// A notification as its user sees it.
struct notification_view {
  std::string id;
  std::string kind;        ///< welcome, api_key, inapp (a schema binding's)
  std::string title;
  std::string body;
  std::string subject;     ///< what it is about: the user, the API key
  std::string event_id;    ///< the event that caused it
  std::string created_at;
  bool read = false;

  static auto describe() {
    return wire::object<notification_view>(
      "weft.notifications.view", "An in-app notification",
      wire::field("id", &notification_view::id).format("uuid"),
      wire::field("kind", &notification_view::kind).one_of({"welcome", "api_key", "inapp"}),
      wire::field("title", &notification_view::title),
      wire::field("body", &notification_view::body),
      wire::field("subject", &notification_view::subject),
      wire::field("event_id", &notification_view::event_id).doc("the event that caused it"),
      wire::field("created_at", &notification_view::created_at).format("date-time"),
      wire::field("read", &notification_view::read));
  }
};
WEFT_WIRE(notification_view)

/// A page of a user's notifications, newest first, with their unread count.
struct notification_page {
  std::vector<notification_view> items;
  std::string next;   ///< empty (null) on the last page
  int64_t unread = 0;

  static auto describe() {
    return wire::object<notification_page>(
      "weft.notifications.page", "A page of notifications, newest first",
      wire::field("items", &notification_page::items),
      wire::field("next", &notification_page::next).nullable(),
      wire::field("unread", &notification_page::unread).doc("the user's unread notifications"));
  }
};
WEFT_WIRE(notification_page)

/// `PUT /v1/notifications/read`: these ids, or all of them.
struct read_request {
  std::vector<std::string> ids;
  bool all = false;

  static auto describe() {
    return wire::object<read_request>(
      "weft.notifications.read_request", "Which notifications to mark read: ids, or all",
      wire::field("ids", &read_request::ids).optional().min_length(1).max_length(500),
      wire::field("all", &read_request::all).optional());
  }
};
WEFT_WIRE(read_request)

/// The answer to marking read.
struct unread_count {
  int64_t unread = 0;

  static auto describe() {
    return wire::object<unread_count>("weft.notifications.unread", "The unread count now",
                                      wire::field("unread", &unread_count::unread));
  }
};
WEFT_WIRE(unread_count)

/// The front: the caller's own notifications only.
using notifications_actor = caf::typed_actor<
  caf::replies_to<list_atom, principal, page_request>::with<notification_page>,
  caf::replies_to<mark_atom, principal, read_request>::with<unread_count>>;

/// `GET /v1/notifications`, `PUT /v1/notifications/read` (any authenticated caller).
std::vector<route_decl> notification_routes();

} // namespace weft::notifications
