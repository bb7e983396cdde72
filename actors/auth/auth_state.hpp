#pragma once

#include <chrono>
#include <memory>
#include <mutex>
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

/// Login attempts per account and per client IP, shared by every auth
/// actor of the node (on PostgreSQL several run side by side), hence the lock.
class login_limits {
public:
  explicit login_limits(const config::auth_section& s);

  /// 0 if an attempt is allowed now, else seconds until one is (Retry-After).
  uint32_t hit_ip(std::string_view ip, std::chrono::steady_clock::time_point now);
  uint32_t hit_account(std::string_view email, std::chrono::steady_clock::time_point now);
  void reset_account(std::string_view email);

private:
  std::mutex mtx_;
  rate_limiter per_account_;
  rate_limiter per_ip_;
};

/// What an auth actor needs, handed over by its group factory.
struct auth_deps {
  config::auth_section settings;
  std::shared_ptr<auth_repository> repo;
  std::shared_ptr<const jwt_codec> jwt;
  password_hasher_actor hasher;
  std::shared_ptr<login_limits> limits;
};

/// The behaviour of the auth service: accounts, tokens, API keys, roles.
/// It keeps no state a restart would miss beyond the repository; rate
/// limits are per node, by design (a cluster multiplies them by its size).
struct auth_state {
  auth_deps deps;

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
