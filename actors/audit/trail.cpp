#include "actors/audit/trail.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/audit/repo.hpp"

namespace weft::audit {

std::unique_ptr<audit_repository> open_repository(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_repository(w) : open_memory_repository(w);
}

caf::error on_event(unit_of_work& w, const events::envelope& ev) {
  auto added = open_repository(w)->append(ev);
  return added ? caf::error{} : added.error();
}

caf::error on_events(unit_of_work& w, std::span<const events::envelope> evs) {
  return open_repository(w)->append_batch(evs);
}

audit_actor::behavior_type audit_behavior(audit_actor::stateful_pointer<audit_state> self,
                                          std::shared_ptr<store_session> session) {
  self->state.session = std::move(session);
  return {
    [self](query_atom, const audit_query& q) -> caf::result<audit_page> {
      auto page = read<audit_page>(*self->state.session, [&](unit_of_work& w) {
        return open_repository(w)->query(q);
      });
      if (!page)
        return std::move(page.error());
      return std::move(*page);
    },
  };
}

} // namespace weft::audit
