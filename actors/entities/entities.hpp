#pragma once

#include <memory>

#include "actors/entities/catalog.hpp"
#include "actors/entities/interface.hpp"
#include "runtime/store.hpp"

namespace weft::entities {

struct entities_state {
  static inline const char* name = "weft.entities";
  std::shared_ptr<const catalog> cat;
  std::shared_ptr<store_session> session;
  std::shared_ptr<store_session> memory; ///< collections with the provider memory, on a durable node
};

/// The front: each call in one unit of work (writes with their event and,
/// under an Idempotency-Key, their answer).
/// `memory`: the node's memory store when it is not `session`'s (a durable
/// node with collections whose provider is memory), else null.
entities_actor::behavior_type entities_behavior(entities_actor::stateful_pointer<entities_state> self,
                                                std::shared_ptr<store_session> session,
                                                std::shared_ptr<const catalog> cat, store* memory);

/// What one call answers, run on `session`, or on `memory` for a collection
/// whose provider is memory when that is set (the behaviour's body; tests
/// call it directly).
caf::expected<crud_answer> answer(store_session& session, const catalog& cat, const crud_call& call,
                                  store_session* memory = nullptr);

} // namespace weft::entities
