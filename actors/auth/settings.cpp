#include "actors/auth/settings.hpp"

namespace weft::auth {

namespace {

config::section auth_section() {
  using A = auth_settings;
  config::module_section<A> s{"auth"};
  s.key("issuer", &A::issuer, config::not_empty())
    .key("audience", &A::audience, config::not_empty())
    .key("jwt_secret", &A::jwt_secret, config::empty_or_at_least_bytes(32), true)
    .key("key_id", &A::key_id, config::not_empty())
    .key("access_ttl_s", &A::access_ttl_s, config::at_least(1))
    .key("refresh_ttl_s", &A::refresh_ttl_s, config::at_least(1))
    .key("clock_skew_s", &A::clock_skew_s, config::range(0, 3600))
    .key("password_memlimit_kib", &A::password_memlimit_kib, config::at_least(19456))
    .key("password_opslimit", &A::password_opslimit, config::at_least(2))
    .key("password_min_length", &A::password_min_length, config::range(1, 1024))
    .key("login_per_account", &A::login_per_account, config::at_least(1))
    .key("login_per_ip", &A::login_per_ip, config::at_least(1))
    .key("login_window_s", &A::login_window_s, config::at_least(1))
    .key("hash_threads", &A::hash_threads, config::range(0, 256))
    .key("idempotency_ttl_s", &A::idempotency_ttl_s, config::at_least(1));
  return s.build();
}

config::section root_section() {
  using R = root_settings;
  config::module_section<R> s{"root"};
  s.key("email", &R::email).key("password", &R::password, {}, true);
  s.check([](const R& r, const config::settings& all, config::sink& out) {
    auto min = auth_settings_of(all).password_min_length;
    if (!r.email.empty() && r.password.empty())
      out.add("root.password", "must be set when root.email is set");
    if (r.email.empty() && !r.password.empty())
      out.add("root.email", "must be set when root.password is set");
    if (!r.email.empty() && r.email.find('@') == std::string::npos)
      out.add("root.email", "must be an email address (contain '@')");
    if (!r.password.empty() && r.password.size() < min)
      out.add("root.password", "must be at least auth.password_min_length ("
                                 + std::to_string(min) + ") characters");
  });
  return s.build();
}

} // namespace

std::vector<config::section> config_sections() {
  return {auth_section(), root_section()};
}

const auth_settings& auth_settings_of(const config::settings& s) {
  return s.section<auth_settings>("auth");
}

const root_settings& root_settings_of(const config::settings& s) {
  return s.section<root_settings>("root");
}

} // namespace weft::auth
