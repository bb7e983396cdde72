#pragma once

#include <memory>

#include "actors/auth/jwt.hpp"
#include "actors/auth/password_hasher.hpp"
#include "actors/auth/rate_limiter.hpp"
#include "actors/entities/catalog.hpp"
#include "actors/entities/interface.hpp"
#include "runtime/store.hpp"

namespace weft::entities {

/// What the sign-in services need (absent when the schema has none): the
/// node's token codec (the edge verifies with the same key), password
/// hashers on their own threads, login limits shared by the fronts, and the
/// auth section's lifetimes and password rules.
struct sign_in_deps {
  std::shared_ptr<const auth::jwt_codec> jwt;
  auth::password_hasher_actor hasher;
  std::shared_ptr<auth::login_limits> limits;
  uint32_t refresh_ttl_s = 2592000;
  uint32_t password_min_length = 8;
  auth::password_params password;
};

struct entities_state {
  static inline const char* name = "weft.entities";
  std::shared_ptr<const catalog> cat;
  std::shared_ptr<store_session> session;
  std::shared_ptr<store_session> memory; ///< provider memory on a durable node
  std::shared_ptr<const sign_in_deps> sign_in;

  /// The store of a binding whose provider is `provider`.
  store_session& store_for(const std::string& provider) {
    return provider == "memory" && memory ? *memory : *session;
  }
};

using entities_pointer = entities_actor::stateful_pointer<entities_state>;

/// The front: each call in one unit of work (writes with their event and,
/// under an Idempotency-Key, their answer).
/// `memory`: the node's memory store when it is not `session`'s (a durable
/// node with bindings whose provider is memory), else null.
entities_actor::behavior_type entities_behavior(entities_pointer self,
                                                std::shared_ptr<store_session> session,
                                                std::shared_ptr<const catalog> cat, store* memory,
                                                std::shared_ptr<const sign_in_deps> sign_in);

/// What one call answers, run on `session`, or on `memory` for a collection
/// whose provider is memory when that is set (the behaviour's body; tests
/// call it directly).
caf::expected<crud_answer> answer(store_session& session, const catalog& cat, const crud_call& call,
                                  store_session* memory = nullptr);

/// A sign-in service's answer (sign_in.cpp); may wait for a password hash.
caf::result<crud_answer> sign_in_answer(entities_pointer self, sign_in_call call);

/// A new row of `c` from a client's `body` (attributes it may write), with
/// defaults, a new id and its times.
nlohmann::json new_row(const collection& c, const nlohmann::json& body);

/// What a created row emits in its unit: `<entity>.created`, then its
/// tracking and notification bindings'. Returns the row's view.
nlohmann::json emit_created(unit_of_work& w, const catalog& cat, const collection& c,
                            const nlohmann::json& row, const request_meta& meta);

/// An event `<entity>.<what>` of collection `c` about record `id`.
events::envelope entity_event(const collection& c, const catalog& cat, std::string_view what,
                              std::string id, nlohmann::json data, const request_meta& meta);

} // namespace weft::entities
