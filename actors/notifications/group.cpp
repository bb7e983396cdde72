#include "actors/notifications/group.hpp"

#include "actors/notifications/notifications.hpp"

namespace weft::notifications {

caf::expected<service_instance> spawn_notifications_group(service_context& ctx) {
  return kit::spawn_front(ctx, "notifications", kit::workers{2}, notifications_behavior)
    .instance();
}

} // namespace weft::notifications
