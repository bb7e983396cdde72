#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/auth/auth_state.hpp"
#include "runtime/api_error.hpp"

// Idempotency-Key for the auth service's writes: the first request with a
// key records its answer in the same transaction as its effects and events;
// a retry with the same key and body gets that answer without the work being
// done again; the same key with another body answers 422. Keys are scoped by
// operation and caller, and expire after auth.idempotency_ttl_s.
namespace weft::auth {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(user_view, id, email, roles, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(api_key_view, id, name, role, created_at, key)

/// The recorded answer of `meta`'s key for `operation`, if any; 422 if the
/// key was recorded for a different request.
template <class Reply>
caf::expected<std::optional<Reply>> replay(auth_state& st, const request_meta& meta,
                                           const std::string& operation) {
  if (meta.idempotency_key.empty())
    return std::optional<Reply>{};
  auto found = st.deps.repo->find_idempotent(meta.idempotency_key, operation);
  if (!found)
    return found.error();
  if (!*found)
    return std::optional<Reply>{};
  if ((*found)->request_hash != meta.request_hash)
    return api_error(api_errc::unprocessable,
                     "Idempotency-Key was already used with a different request");
  try {
    return std::optional<Reply>{nlohmann::json::parse((*found)->response).get<Reply>()};
  } catch (const std::exception&) {
    return api_error(api_errc::internal, "a recorded answer does not decode");
  }
}

/// The record to commit with the change whose answer is `reply`.
template <class Reply>
std::optional<idempotency_record> record_of(const auth_state& st, const request_meta& meta,
                                            const std::string& operation, const Reply& reply) {
  if (meta.idempotency_key.empty())
    return std::nullopt;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return idempotency_record{meta.idempotency_key, operation, meta.request_hash,
                            nlohmann::json(reply).dump(),
                            std::chrono::duration_cast<std::chrono::seconds>(now).count()
                              + st.deps.settings.idempotency_ttl_s};
}

/// After a write failed with `err`: a concurrent request with the same key
/// may have recorded its answer; if so, that is the answer.
template <class Reply>
caf::expected<Reply> answer_after_failure(auth_state& st, const request_meta& meta,
                                          const std::string& operation, caf::error err) {
  if (!meta.idempotency_key.empty() && is_api_error(err, api_errc::conflict)) {
    auto prior = replay<Reply>(st, meta, operation);
    if (!prior)
      return std::move(prior.error());
    if (*prior)
      return std::move(**prior);
  }
  return err;
}

} // namespace weft::auth
