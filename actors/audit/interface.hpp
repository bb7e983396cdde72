#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/envelope.hpp"
#include "runtime/atoms.hpp"

// The audit service: an append-only trail of every event the node's
// services emit, deduplicated by event id, queryable by admins.
namespace weft::audit {

/// Filters of `GET /v1/audit`; empty strings match everything.
struct audit_query {
  std::string type;
  std::string subject;
  std::string since;   ///< RFC 3339: events whose `time` is at or after it
  uint32_t limit = 50;
  std::string cursor;  ///< from a previous page's `next`
};

struct audit_page {
  std::vector<events::envelope> items; ///< as received, in arrival order
  std::string next;                    ///< empty on the last page
};

/// The front actor: its inbox hands it events (`handle_atom`, as
/// `event_sink_actor`), the HTTP route queries the trail.
using audit_actor = caf::typed_actor<
  caf::replies_to<handle_atom, events::envelope>::with<ack_atom>,
  caf::replies_to<query_atom, audit_query>::with<audit_page>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_query& x) {
  return f(caf::meta::type_name("weft.audit.query"), x.type, x.subject, x.since, x.limit,
           x.cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_page& x) {
  return f(caf::meta::type_name("weft.audit.page"), x.items, x.next);
}

} // namespace weft::audit
