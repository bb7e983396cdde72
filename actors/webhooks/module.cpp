#include "actors/webhooks/module.hpp"

#include "actors/webhooks/events.hpp"
#include "actors/webhooks/dispatcher.hpp"
#include "actors/webhooks/interface.hpp"
#include "actors/webhooks/subscriptions.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/service_kit.hpp"

#include <algorithm>
#include <chrono>

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
                                         subscription_disabled, replay_request, replay_result>;
  m.declare = [](const config::settings& all) {
    auto settings = settings_of(all);
    service_decl d;
    d.name = "webhooks";
    d.routes = subscription_routes();
    d.publishes = kit::publishes<published_events>();
    // Every event of the stream goes past the matcher (one filter subject
    // per consumer on nats-server 2.9).
    d.subscribes = {"weft.>"};
    // The matcher takes many events in one transaction (one subscription
    // read, one commit) and wakes this node's dispatcher after it.
    auto wake = std::make_shared<dispatch_wake>();
    d.on_events = [settings, wake](unit_of_work& w, std::span<const events::envelope> evs) {
      return match_events(w, evs, settings, wake);
    };
    d.start = [settings, wake](service_context& ctx) {
      return spawn_webhooks_group(ctx, settings, wake);
    };
    // A redriven letter of an exhausted delivery makes it pending again (its
    // event is recorded by the matcher's inbox: publishing it would do nothing).
    d.takes_back_letter = [](const bus_message& letter) {
      return std::any_of(letter.headers.begin(), letter.headers.end(),
                         [](const auto& h) { return h.first == "Weft-Dlq-Subscription"; });
    };
    // A settled row is its sink's record of the event: kept as inbox records are.
    const int64_t keep = config::records_retention_s(all);
    d.retention.push_back({"webhooks.deliveries", [keep](unit_of_work& w, int64_t limit) {
                             auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
                             return open_delivery_repository(w)->prune_settled(now - keep, limit);
                           }});
    return d;
  };
  return m;
}

} // namespace weft::webhooks
