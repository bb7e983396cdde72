#include "main/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/audit/interface.hpp"
#include "actors/auth/interface.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "events/envelope.hpp"
#include "events/errc.hpp"
#include "runtime/api_error.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/principal.hpp"

namespace weft {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<events::envelope>("weft.envelope")
    .add_message_type<principal>("weft.principal")
    .add_message_type<bus_message>("weft.bus_message")
    .add_message_type<delivery>("weft.delivery")
    .add_message_type<consumer_config>("weft.consumer_config")
    .add_message_type<consumer_stats>("weft.consumer_stats")
    .add_message_type<auth::request_meta>("weft.auth.request_meta")
    .add_message_type<auth::credentials>("weft.auth.credentials")
    .add_message_type<auth::user_view>("weft.auth.user_view")
    .add_message_type<auth::token_grant>("weft.auth.token_grant")
    .add_message_type<auth::api_key_view>("weft.auth.api_key_view")
    .add_message_type<auth::new_api_key>("weft.auth.new_api_key")
    .add_message_type<auth::page_request>("weft.page_request")
    .add_message_type<auth::user_page>("weft.auth.user_page")
    .add_message_type<auth::api_key_page>("weft.auth.api_key_page")
    .add_message_type<auth::roles_change>("weft.auth.roles_change")
    .add_message_type<audit::audit_query>("weft.audit.query")
    .add_message_type<audit::audit_page>("weft.audit.page");
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
