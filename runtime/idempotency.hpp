#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/api_error.hpp"
#include "runtime/request_meta.hpp"
#include "runtime/store.hpp"

// Idempotency-Key for writes, once for every service: the first request with
// a key records its answer in the same unit of work as its effects and
// events; a retry with the same key and request gets that answer without the
// work being done again; the same key with another request answers 422.
// Keys are scoped by `operation` (name the route and the caller in it), and
// expire after the service's TTL. Two requests with one key at once: one
// commits, the other's commit conflicts and it answers the winner's answer.
namespace weft::idempotency {

/// The recorded answer of `meta`'s key for `operation`, if any; 422 if the
/// key was recorded for a different request. `Reply` converts from JSON
/// (a wire type, or a plain JSON value).
template <class Reply>
caf::expected<std::optional<Reply>> replay(store_session& s, const request_meta& meta,
                                           const std::string& operation) {
  if (meta.idempotency_key.empty())
    return std::optional<Reply>{};
  auto found = read<std::optional<idempotency_record>>(
    s, [&](unit_of_work& w) { return w.find_answer(meta.idempotency_key, operation); });
  if (!found)
    return found.error();
  if (!*found)
    return std::optional<Reply>{};
  if ((*found)->request_hash != meta.request_hash)
    return api_error(api_errc::unprocessable,
                     "Idempotency-Key was already used with a different request");
  try {
    return std::optional<Reply>{nlohmann::json::parse((*found)->response).template get<Reply>()};
  } catch (const std::exception&) {
    return api_error(api_errc::internal, "a recorded answer does not decode");
  }
}

/// Runs `work(unit_of_work&) -> caf::expected<Reply>` in one unit of work
/// and, under an Idempotency-Key, records its answer in that same unit. When
/// the commit conflicts because a concurrent request with the key won, its
/// recorded answer is the answer.
template <class Reply, class F>
caf::expected<Reply> commit(store_session& s, const request_meta& meta,
                            const std::string& operation, std::chrono::seconds ttl, F&& work) {
  auto result = transact<Reply>(s, [&](unit_of_work& w) -> caf::expected<Reply> {
    auto reply = work(w);
    if (!reply || meta.idempotency_key.empty())
      return reply;
    auto now = std::chrono::system_clock::now().time_since_epoch();
    idempotency_record r{meta.idempotency_key, operation, meta.request_hash,
                         nlohmann::json(*reply).dump(),
                         std::chrono::duration_cast<std::chrono::seconds>(now + ttl).count()};
    if (auto err = w.record_answer(r))
      return err;
    return reply;
  });
  if (result || meta.idempotency_key.empty()
      || !is_api_error(result.error(), api_errc::conflict))
    return result;
  auto prior = replay<Reply>(s, meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
  return result;
}

} // namespace weft::idempotency
