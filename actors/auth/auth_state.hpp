#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/auth/email.hpp"
#include "actors/auth/events.hpp"
#include "actors/auth/interface.hpp"
#include "actors/auth/jwt.hpp"
#include "actors/auth/password_hasher.hpp"
#include "actors/auth/rate_limiter.hpp"
#include "actors/auth/repo.hpp"
#include "actors/auth/settings.hpp"
#include "events/typed_event.hpp"
#include "runtime/idempotency.hpp"
#include "runtime/store.hpp"

namespace weft::auth {

/// What an auth actor needs, handed over by its group factory.
struct auth_deps {
  auth_settings settings;
  std::shared_ptr<const jwt_codec> jwt;
  password_hasher_actor hasher;
  std::shared_ptr<login_limits> limits;
};

/// The behaviour of the auth service: accounts, tokens, API keys, roles.
/// It keeps no state a restart would miss beyond its store; rate limits are
/// per node, by design (a cluster multiplies them by its size).
struct auth_state {
  auth_deps deps;
  std::shared_ptr<store_session> session; ///< this actor's way into the store

  static inline const char* name = "weft.auth";

  /// An event of this service, caused by the request `meta`.
  template <class T>
  events::envelope event(const T& x, std::string subject, const request_meta& meta) const {
    static_assert(published_events::contains<T>, "auth publishes only its published_events");
    return events::make_envelope(x, std::move(subject),
                                 events::origin{"auth", meta.request_id, {}, {}});
  }

  /// `f(auth_repository&) -> caf::expected<T>`, reading only.
  template <class T, class F>
  caf::expected<T> read(F f) {
    return weft::read<T>(*session, [&](unit_of_work& w) { return f(*open_repository(w)); });
  }

  /// `f(auth_repository&, unit_of_work&) -> caf::expected<T>` in one unit.
  template <class T, class F>
  caf::expected<T> write(F f) {
    return transact<T>(*session, [&](unit_of_work& w) { return f(*open_repository(w), w); });
  }

  /// The same under `meta`'s Idempotency-Key for `operation`.
  template <class T, class F>
  caf::expected<T> write(const request_meta& meta, const std::string& operation, F f) {
    return idempotency::commit<T>(*session, meta, operation,
                                  std::chrono::seconds{deps.settings.idempotency_ttl_s},
                                  [&](unit_of_work& w) { return f(*open_repository(w), w); });
  }

  /// The answer recorded under `meta`'s Idempotency-Key, if any.
  template <class T>
  caf::expected<std::optional<T>> replay(const request_meta& meta, const std::string& operation) {
    return idempotency::replay<T>(*session, meta, operation);
  }
};

using auth_pointer = auth_actor::stateful_pointer<auth_state>;

auth_actor::behavior_type auth_behavior(auth_pointer self, std::shared_ptr<store_session> session,
                                        auth_deps deps);

/// A view of a stored user.
user_view to_view(const user_record& u);

/// Inserts the root account of `root` unless an account with its email
/// exists (hashing on the calling thread): before any request is served.
caf::error bootstrap_root(store_session& session, const auth_settings& settings,
                          const root_settings& root);

} // namespace weft::auth
