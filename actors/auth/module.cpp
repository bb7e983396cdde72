#include "actors/auth/module.hpp"

#include <chrono>

#include "actors/auth/events.hpp"
#include "actors/auth/group.hpp"
#include "actors/auth/interface.hpp"
#include "actors/auth/repo.hpp"
#include "runtime/api_error.hpp"
#include "runtime/service_kit.hpp"

namespace weft::auth {

namespace {

/// The edge's bearer check with the service's own codec: on the I/O thread,
/// pure CPU.
token_verifier verifier(std::shared_ptr<const jwt_codec> jwt) {
  return [jwt](std::string_view token) -> caf::expected<verified_token> {
    auto claims = jwt->verify(token, std::chrono::system_clock::now());
    if (!claims)
      return claims.error();
    // A session cookie's token carries its CSRF token.
    std::string via = claims->csrf.empty() ? "token" : "cookie";
    return verified_token{principal{std::move(claims->sub), std::move(claims->email),
                                    std::move(claims->roles), std::move(via),
                                    std::move(claims->realm)},
                          std::move(claims->csrf)};
  };
}

} // namespace

service_module module() {
  service_module m;
  m.name = "auth";
  m.config = config_sections;
  m.register_types
    = kit::register_types<credentials, user_view, token_grant, refresh_request, api_key_view,
                          new_api_key, roles_change, user_page, api_key_page, user_created,
                          user_login, user_logout, user_roles_changed, apikey_created,
                          apikey_revoked>;
  m.declare = [](const config::settings& all) {
    const auto& s = auth_settings_of(all);
    const auto& root = root_settings_of(all);
    // One codec signs (the service) and verifies (the edge): with a random
    // key (no auth.jwt_secret) both must hold the same one.
    auto jwt = std::make_shared<const jwt_codec>(make_jwt_settings(s));
    service_decl d;
    d.name = "auth";
    d.routes = auth_routes(s);
    d.publishes = kit::publishes<published_events>();
    d.verify_token = verifier(jwt);
    d.resolves_api_keys = true;
    d.start = [s, root, jwt](service_context& ctx) { return spawn_auth_group(ctx, s, root, jwt); };
    d.retention.push_back({"auth.refresh_tokens", [](unit_of_work& w, int64_t limit) {
                             auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
                             return open_repository(w)->prune_expired_refresh(now, limit);
                           }});
    return d;
  };
  return m;
}

} // namespace weft::auth
