#include "actors/webhooks/module.hpp"

#include "actors/webhooks/events.hpp"
#include "actors/webhooks/interface.hpp"
#include "actors/webhooks/subscriptions.hpp"
#include "runtime/service_kit.hpp"

namespace weft::webhooks {

service_module module() {
  service_module m;
  m.name = "webhooks";
  m.config = config_sections;
  m.migrations = migrations();
  m.register_types = kit::register_types<subject_filter, subscription_filters,
                                         subscription_request, subscription_patch,
                                         subscription_view, subscription_page, secret_rotation,
                                         delivery_view, delivery_page, attempt_exhausted,
                                         subscription_disabled>;
  m.declare = [](const config::settings& all) {
    auto settings = settings_of(all);
    service_decl d;
    d.name = "webhooks";
    d.routes = subscription_routes();
    d.publishes = kit::publishes<published_events>();
    // Every event of the stream goes past the matcher (one filter subject
    // per consumer on nats-server 2.9).
    d.subscribes = {"weft.>"};
    d.on_event = [settings](unit_of_work& w, const events::envelope& ev) {
      return match_event(w, ev, settings);
    };
    d.start = [settings](service_context& ctx) { return spawn_webhooks_group(ctx, settings); };
    return d;
  };
  return m;
}

} // namespace weft::webhooks
