#include "actors/notifications/interface.hpp"
#include "runtime/request_meta.hpp"
#include "runtime/route_kit.hpp"

namespace weft::notifications {

std::vector<route_decl> notification_routes() {
  using namespace route_kit;
  using caf::make_message;
  return {
    get("/notifications", "notifications.list",
        "The caller's notifications, newest first, with their unread count")
      .who(access::authenticated)
      .query<page_request>()
      .answers<notification_page>(200, [](const api_request& r, page_request p) {
        return make_message(list_atom::value, *r.caller, std::move(p));
      }),
    put("/notifications/read", "notifications.read",
        "Mark the caller's notifications read: these ids, or all")
      .who(access::authenticated)
      .body<read_request>()
      .answers<unread_count>(200, [](const api_request& r, read_request body) {
        return make_message(mark_atom::value, *r.caller, std::move(body));
      }),
  };
}

} // namespace weft::notifications
