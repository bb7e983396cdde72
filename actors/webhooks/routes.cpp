#include "actors/webhooks/interface.hpp"
#include "runtime/route_kit.hpp"

namespace weft::webhooks {

std::vector<route_decl> subscription_routes() {
  using namespace route_kit;
  using caf::make_message;
  return {
    post("/subscriptions", "webhooks.subscriptions.create",
         "Subscribe an HTTP endpoint to events; answers its signing secret, once")
      .who(access::management)
      .body<subscription_request>()
      .answers<subscription_view>(201, [](const api_request&, subscription_request s) {
        return make_message(create_atom::value, std::move(s));
      }),
    get("/subscriptions", "webhooks.subscriptions.list", "Subscriptions, oldest first")
      .who(access::management)
      .query<page_request>()
      .answers<subscription_page>(200, [](const api_request&, page_request p) {
        return make_message(list_atom::value, std::move(p));
      }),
    get("/subscriptions/{id}", "webhooks.subscriptions.get", "A subscription")
      .who(access::management)
      .answers<subscription_view>(200, [](const api_request& r) {
        return make_message(fetch_atom::value, r.params.at("id"));
      }),
    patch("/subscriptions/{id}", "webhooks.subscriptions.update",
          "Change a subscription: the fields given")
      .who(access::management)
      .body<subscription_patch>()
      .answers<subscription_view>(200, [](const api_request& r, subscription_patch s) {
        std::vector<std::string> given;
        for (auto& [k, v] : r.body.items())
          given.push_back(k);
        return make_message(update_atom::value, r.params.at("id"), std::move(s), std::move(given));
      }),
    del("/subscriptions/{id}", "webhooks.subscriptions.delete", "Delete a subscription")
      .who(access::management)
      .answers<ack_atom>(204, [](const api_request& r) {
        return make_message(remove_atom::value, r.params.at("id"));
      }),
    post("/subscriptions/{id}/rotate-secret", "webhooks.subscriptions.rotate_secret",
         "A new signing secret; the old one signs too for webhooks.rotation_overlap_s")
      .who(access::management)
      .answers<secret_rotation>(200, [](const api_request& r) {
        return make_message(rotate_atom::value, r.params.at("id"));
      }),
    get("/subscriptions/{id}/deliveries", "webhooks.deliveries.list",
        "A subscription's deliveries: status, attempts, last answer; oldest first")
      .who(access::management)
      .query<page_request>()
      .answers<delivery_page>(200, [](const api_request& r, page_request p) {
        return make_message(list_atom::value, r.params.at("id"), std::move(p));
      }),
    post("/subscriptions/{id}/pause", "webhooks.subscriptions.pause",
         "Stop sending: events are still recorded for it, and sent once it resumes")
      .who(access::management)
      .answers<subscription_view>(200, [](const api_request& r) {
        return make_message(pause_atom::value, r.params.at("id"));
      }),
    post("/subscriptions/{id}/resume", "webhooks.subscriptions.resume",
         "Send again what was recorded while it was paused, and what comes")
      .who(access::management)
      .answers<subscription_view>(200, [](const api_request& r) {
        return make_message(resume_atom::value, r.params.at("id"));
      }),
    post("/subscriptions/{id}/deliveries/{event}/redeliver", "webhooks.deliveries.redeliver",
         "Send an event again now, whatever became of it, with the whole retry schedule")
      .who(access::management)
      .answers<delivery_view>(202, [](const api_request& r) {
        return make_message(redeliver_atom::value, r.params.at("id"), r.params.at("event"));
      }),
    post("/subscriptions/{id}/replay", "webhooks.subscriptions.replay",
         "Send again every event recorded for it since a time")
      .who(access::management)
      .body<replay_request>()
      .answers<replay_result>(202, [](const api_request& r, replay_request q) {
        return make_message(replay_atom::value, r.params.at("id"), std::move(q));
      }),
  };
}

} // namespace weft::webhooks
