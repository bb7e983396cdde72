#include "actors/auth/group.hpp"

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <spdlog/spdlog.h>

#include "actors/auth/auth_state.hpp"
#include "actors/auth/events.hpp"
#include "actors/auth/repo_pg.hpp"
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
  if (auto err = repo.insert_user(u, unit_of_work{{ev}, std::nullopt})) {
    // Another node bootstrapped it at the same moment: fine.
    if (is_api_error(err, api_errc::conflict))
      return {};
    return err;
  }
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
                                           outbox_actor outbox, auth_storage storage) {
  auto hashers = spawn_password_hashers(
    sys, settings.hash_threads,
    password_params{settings.password_memlimit_kib, settings.password_opslimit});
  // Warm the dummy hash now: the first unknown-account login would pay for it.
  dummy_hash(password_params{settings.password_memlimit_kib, settings.password_opslimit});
  auto limits = std::make_shared<login_limits>(settings);
  auth_group group;
  group.hashers = hashers;
  group.jwt = jwt;
  if (!storage.postgres) {
    std::shared_ptr<auth_repository> repo = make_memory_auth_repository(outbox);
    if (auto err = bootstrap_root(*repo, settings, root))
      return err;
    group.front = sys.spawn(auth_behavior, auth_deps{settings, repo, jwt, hashers, limits});
    group.workers.push_back(caf::actor_cast<caf::actor>(group.front));
  } else {
    std::vector<std::shared_ptr<auth_repository>> repos;
    for (uint32_t i = 0; i < std::max(1u, storage.workers); ++i)
      repos.push_back(make_pg_auth_repository(*storage.postgres, outbox));
    if (auto err = bootstrap_root(*repos.front(), settings, root))
      return err;
    for (auto& repo : repos)
      group.workers.push_back(caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
        auth_behavior, auth_deps{settings, repo, jwt, hashers, limits})));
    caf::scoped_execution_unit ctx{&sys};
    size_t next = 0;
    auto pool = caf::actor_pool::make(
      &ctx, group.workers.size(), [&] { return group.workers[next++]; },
      caf::actor_pool::round_robin());
    group.front = caf::actor_cast<auth_actor>(pool);
    group.workers.push_back(pool);
  }
  group.decl.name = "auth";
  group.decl.routes = auth_routes(group.front);
  group.decl.publishes = {"auth.user.created", "auth.user.login", "auth.user.logout",
                          "auth.user.roles.changed", "auth.apikey.created",
                          "auth.apikey.revoked"};
  return group;
}

} // namespace weft::auth
