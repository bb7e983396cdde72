#include "actors/auth/group.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/auth/auth_state.hpp"
#include "actors/auth/events.hpp"
#include "actors/auth/routes.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

namespace weft::auth {

namespace {

caf::error bootstrap_root(auth_repository& repo, const config::auth_section& settings,
                          const config::root_section& root) {
  if (root.email.empty())
    return {};
  auto email = normalize_email(root.email);
  if (email.empty())
    return api_error(api_errc::bad_request, "root.email is not a valid address");
  auto existing = repo.find_user_by_email(email);
  if (!existing)
    return existing.error();
  if (*existing)
    return {};
  if (root.password.size() < settings.password_min_length)
    return api_error(api_errc::bad_request, "root.password is too short");
  auto phc = hash_password(root.password,
                           password_params{settings.password_memlimit_kib,
                                           settings.password_opslimit});
  if (!phc)
    return phc.error();
  user_record u{events::new_uuid_v7(), email, std::move(*phc), {role_root},
                events::now_rfc3339_ms()};
  auto ev = events::make_envelope(user_created{u.id, u.email, u.roles}, u.id,
                                  events::origin{"auth", "bootstrap", {}, {}});
  if (auto err = repo.insert_user(u, {ev}))
    return err;
  spdlog::info("auth: bootstrapped root user {}", email);
  return {};
}

} // namespace

jwt_settings make_jwt_settings(const config::auth_section& settings) {
  jwt_settings s;
  s.issuer = settings.issuer;
  s.audience = settings.audience;
  s.key_id = settings.key_id;
  s.secret = settings.jwt_secret;
  if (s.secret.empty()) {
    // Tokens then die with the process and are not shared between nodes.
    spdlog::warn("auth: auth.jwt_secret is not set; using a random key for this run");
    s.secret = random_token(32);
  }
  s.access_ttl = std::chrono::seconds{settings.access_ttl_s};
  s.clock_skew = std::chrono::seconds{settings.clock_skew_s};
  return s;
}

caf::expected<auth_group> spawn_auth_group(caf::actor_system& sys,
                                           const config::auth_section& settings,
                                           const config::root_section& root,
                                           std::shared_ptr<const jwt_codec> jwt,
                                           outbox_actor outbox) {
  std::shared_ptr<auth_repository> repo = make_memory_auth_repository(std::move(outbox));
  if (auto err = bootstrap_root(*repo, settings, root))
    return err;
  auto hashers = spawn_password_hashers(
    sys, settings.hash_threads,
    password_params{settings.password_memlimit_kib, settings.password_opslimit});
  auto front = sys.spawn(auth_behavior, auth_deps{settings, repo, jwt, hashers});
  service_decl decl;
  decl.name = "auth";
  decl.routes = auth_routes(front);
  decl.publishes = {"auth.user.created", "auth.user.login", "auth.user.logout",
                    "auth.user.roles.changed", "auth.apikey.created", "auth.apikey.revoked"};
  return auth_group{front, hashers, std::move(jwt), std::move(decl)};
}

} // namespace weft::auth
