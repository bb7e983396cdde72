#include "actors/webhooks/module.hpp"

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
                                         subscription_view, subscription_page, secret_rotation>;
  m.declare = [](const config::settings& all) {
    auto settings = settings_of(all);
    service_decl d;
    d.name = "webhooks";
    d.routes = subscription_routes();
    d.start = [settings](service_context& ctx) { return spawn_webhooks_group(ctx, settings); };
    return d;
  };
  return m;
}

} // namespace weft::webhooks
