#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/auth/interface.hpp"
#include "actors/auth/jwt.hpp"
#include "actors/auth/password_hasher.hpp"
#include "actors/auth/rate_limiter.hpp"
#include "actors/auth/repo.hpp"
#include "config/settings.hpp"
#include "events/typed_event.hpp"

namespace weft::auth {

/// What the auth front actor needs, handed over by its group factory.
struct auth_deps {
  config::auth_section settings;
  std::shared_ptr<auth_repository> repo;
  std::shared_ptr<const jwt_codec> jwt;
  password_hasher_actor hasher;
};

/// The behaviour of the auth service: accounts, tokens, API keys, roles.
/// It keeps no state a restart would miss beyond the repository; rate
/// limits are per node, by design (a cluster multiplies them by its size).
struct auth_state {
  auth_deps deps;
  rate_limiter per_account{10, std::chrono::seconds{60}};
  rate_limiter per_ip{50, std::chrono::seconds{60}};

  static inline const char* name = "weft.auth";

  /// Builds an event of this service, caused by the request `meta`.
  template <class T>
  events::envelope event(const T& x, std::string subject, const request_meta& meta) const {
    return events::make_envelope(x, std::move(subject),
                                 events::origin{"auth", meta.request_id, {}, {}});
  }
};

using auth_pointer = auth_actor::stateful_pointer<auth_state>;

auth_actor::behavior_type auth_behavior(auth_pointer self, auth_deps deps);

/// Lower-cases and trims; empty if it is no plausible address.
std::string normalize_email(std::string_view email);

/// A view of a stored user.
user_view to_view(const user_record& u);

} // namespace weft::auth
