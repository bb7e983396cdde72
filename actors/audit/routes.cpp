#include "actors/audit/interface.hpp"
#include "runtime/route_kit.hpp"

namespace weft::audit {

std::vector<route_decl> audit_routes() {
  using namespace route_kit;
  return {
    get("/audit", "audit.list", "The audit trail: every event as received, oldest first")
      .who(access::management)
      .query<audit_query>()
      .answers<audit_page>(200, [](const api_request&, audit_query q) {
        return caf::make_message(query_atom::value, std::move(q));
      }),
  };
}

} // namespace weft::audit
