#include "actors/audit/audit_state.hpp"

namespace weft::audit {

audit_actor::behavior_type audit_behavior(audit_actor::stateful_pointer<audit_state> self,
                                          std::shared_ptr<audit_repository> repo) {
  self->state.repo = std::move(repo);
  return {
    [self](handle_atom, const events::envelope& ev) -> caf::result<ack_atom> {
      auto added = self->state.repo->append(ev);
      if (!added)
        return std::move(added.error());
      return ack_atom::value;
    },
    [self](query_atom, const audit_query& q) -> caf::result<audit_page> {
      auto page = self->state.repo->query(q);
      if (!page)
        return std::move(page.error());
      return std::move(*page);
    },
  };
}

} // namespace weft::audit
