#include "actors/notifications/module.hpp"

#include "actors/entities/settings.hpp"

#include "actors/notifications/events.hpp"
#include "actors/notifications/group.hpp"
#include "actors/notifications/notifications.hpp"

namespace weft::notifications {

namespace {

/// Whether the node's entity schema binds notifications.inapp anywhere.
bool requests_inapp(const config::settings& all) {
  auto schema = entities::load_schema(all);
  if (!schema || !*schema)
    return false;
  for (const auto& e : (*schema)->entities)
    for (const auto& b : e.services)
      if (b.kind() == "notifications.inapp")
        return true;
  return false;
}

} // namespace

service_module module() {
  service_module m;
  m.name = "notifications";
  m.config = config_sections;
  m.migrations = migrations();
  m.register_types = kit::register_types<notification_view, notification_page, read_request,
                                         unread_count, notification_created, notifications_read>;
  m.declare = [](const config::settings& all) {
    auto handlers = event_handlers(settings_of(all));
    service_decl d;
    d.name = "notifications";
    d.routes = notification_routes();
    d.publishes = kit::publishes<published_events>();
    // One filter subject per consumer on nats-server 2.9: every auth event,
    // the dispatch acks those it has no handler for. A schema that binds
    // notifications.inapp sends requests on weft.notifications.inapp...:
    // then every event (each costs its inbox a record: only when needed).
    d.subscribes = {requests_inapp(all) ? "weft.>" : "weft.auth.>"};
    d.on_event = [handlers](unit_of_work& w, const events::envelope& ev) { return handlers(w, ev); };
    d.start = spawn_notifications_group;
    return d;
  };
  return m;
}

} // namespace weft::notifications
