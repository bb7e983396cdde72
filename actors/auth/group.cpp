#include "actors/auth/group.hpp"

#include <spdlog/spdlog.h>

#include "actors/auth/auth_state.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/service_kit.hpp"

namespace weft::auth {

jwt_settings make_jwt_settings(const auth_settings& settings) {
  jwt_settings s;
  s.issuer = settings.issuer;
  s.audience = settings.audience;
  s.key_id = settings.key_id;
  s.secret = settings.jwt_secret;
  if (s.secret.empty()) {
    // Tokens then die with the process and are not shared between nodes.
    // One key per process: every codec made here (auth's, the schema's
    // sign-in services') signs what the edge verifies.
    static const std::string process_key = [] {
      spdlog::warn("auth: auth.jwt_secret is not set; using a random key for this run");
      return random_token(32);
    }();
    s.secret = process_key;
  }
  s.access_ttl = std::chrono::seconds{settings.access_ttl_s};
  s.clock_skew = std::chrono::seconds{settings.clock_skew_s};
  return s;
}

caf::expected<service_instance> spawn_auth_group(service_context& ctx, const auth_settings& s,
                                                 const root_settings& root,
                                                 std::shared_ptr<const jwt_codec> jwt) {
  password_params params{s.password_memlimit_kib, s.password_opslimit};
  // Before any request: the root account, and the dummy hash the first
  // unknown-account login would otherwise pay for.
  if (auto err = bootstrap_root(*ctx.data.open_session("auth-bootstrap"), s, root))
    return err;
  dummy_hash(params);
  auto hashers = spawn_password_hashers(ctx.system, s.hash_threads, params);
  auth_deps deps{s, std::move(jwt), hashers, std::make_shared<login_limits>(s.login_per_account, s.login_per_ip,
                                                       std::chrono::seconds{s.login_window_s})};
  auto front = kit::spawn_front(ctx, "auth", auth_behavior, deps);
  auto instance = front.instance();
  instance.actors.push_back(caf::actor_cast<caf::actor>(hashers));
  return instance;
}

} // namespace weft::auth
