#include "main/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/inbox/consumer_control.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "actors/outbox/admin.hpp"
#include "adapters/cluster/member_record.hpp"
#include "events/envelope.hpp"
#include "events/errc.hpp"
#include "runtime/api_error.hpp"
#include "runtime/cursor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/principal.hpp"
#include "runtime/request_meta.hpp"
#include "runtime/service_kit.hpp"

namespace weft {

void register_message_types(caf::actor_system_config& cfg,
                            std::span<const service_module> modules) {
  cfg.add_message_type<events::envelope>("weft.envelope")
    .add_message_type<bus_message>("weft.bus_message")
    .add_message_type<delivery>("weft.delivery")
    .add_message_type<consumer_config>("weft.consumer_config")
    .add_message_type<consumer_stats>("weft.consumer_stats")
    .add_message_type<std::vector<consumer_stats>>("std::vector<weft.consumer_stats>")
    .add_message_type<stream_query>("weft.stream_query")
    .add_message_type<std::vector<delivery>>("std::vector<weft.delivery>")
    .add_message_type<cluster::member_record>("weft.member_record");
  kit::register_types<principal, request_meta, page_request, outbox::republish_request,
                      outbox::republish_result, inbox::consumer_view, inbox::consumer_list,
                      inbox::dead_letter_view, inbox::dead_letter_page, inbox::redrive_request,
                      inbox::redrive_result>(cfg);
  for (const auto& m : modules)
    if (m.register_types)
      m.register_types(cfg);
  // CAF 0.17.6's add_error_category<T> does not compile: pass renderers.
  cfg.add_error_category(caf::atom("api"), [](uint8_t code, caf::atom_value,
                                               const caf::message& ctx) {
    return std::string{"api_error("} + to_string(static_cast<api_errc>(code)) + ", "
           + caf::to_string(ctx) + ")";
  });
  cfg.add_error_category(caf::atom("events"), [](uint8_t code, caf::atom_value,
                                                  const caf::message& ctx) {
    return std::string{"events_error("} + events::to_string(static_cast<events::errc>(code))
           + ", " + caf::to_string(ctx) + ")";
  });
  cfg.add_error_category(caf::atom("inbox"), [](uint8_t code, caf::atom_value,
                                                 const caf::message& ctx) {
    return std::string{"inbox_error("} + inbox::to_string(static_cast<inbox::errc>(code))
           + ", " + caf::to_string(ctx) + ")";
  });
}

} // namespace weft
