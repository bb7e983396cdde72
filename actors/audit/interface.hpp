#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/codec.hpp"
#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/route.hpp"

// The audit service: an append-only trail of every event on the stream,
// applied once per event id by its inbox, queryable by admins.
namespace weft::audit {

/// Filters of `GET /v1/audit`; empty strings match everything.
struct audit_query {
  std::string type;
  std::string subject;
  std::string since;   ///< RFC 3339: events whose `time` is at or after it
  uint32_t limit = 50;
  std::string cursor;  ///< from a previous page's `next`

  static auto describe() {
    return wire::object<audit_query>(
      "weft.audit.query", "Filters of the audit trail",
      wire::field("type", &audit_query::type).optional().doc("events of this type only"),
      wire::field("subject", &audit_query::subject).optional().doc("of this subject only"),
      wire::field("since", &audit_query::since).optional().format("date-time")
        .doc("events whose time is at or after this"),
      wire::field("limit", &audit_query::limit).optional().minimum(1).maximum(500),
      wire::field("cursor", &audit_query::cursor).optional().doc("a previous page's next"));
  }
};
WEFT_WIRE(audit_query)

/// A page of the trail, oldest first.
struct audit_page {
  std::vector<events::envelope> items; ///< as received, in arrival order
  std::string next;                    ///< empty (null) on the last page

  static auto describe() {
    return wire::object<audit_page>("weft.audit.page", "A page of the audit trail",
                                    wire::field("items", &audit_page::items),
                                    wire::field("next", &audit_page::next).nullable());
  }
};
WEFT_WIRE(audit_page)

/// The front actor: queries of the trail. Events reach the trail through
/// the service's inbox (on_event in trail.hpp), not through this actor.
using audit_actor = caf::typed_actor<caf::replies_to<query_atom, audit_query>::with<audit_page>>;

/// `GET /v1/audit?type=&subject=&since=&limit=&cursor=` for admins and root.
std::vector<route_decl> audit_routes();

} // namespace weft::audit
