#include "actors/auth/auth_state.hpp"

#include <algorithm>
#include <cctype>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

namespace weft::auth {

std::string normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  std::string out{email};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto at = out.find('@');
  bool plausible = out.size() <= 254 && at != std::string::npos && at > 0
                   && out.find('@', at + 1) == std::string::npos
                   && out.find('.', at + 2) != std::string::npos && out.back() != '.'
                   && std::none_of(out.begin(), out.end(), [](unsigned char c) {
                        return std::isspace(c) || std::iscntrl(c);
                      });
  return plausible ? out : std::string{};
}

user_view to_view(const user_record& u) {
  return user_view{u.id, u.email, u.roles, u.created_at};
}

login_limits::login_limits(const config::auth_section& s)
  : per_account_(s.login_per_account, std::chrono::seconds{s.login_window_s}),
    per_ip_(s.login_per_ip, std::chrono::seconds{s.login_window_s}) {
}

uint32_t login_limits::hit_ip(std::string_view ip, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  return per_ip_.hit(ip, now);
}

uint32_t login_limits::hit_account(std::string_view email,
                                   std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  return per_account_.hit(email, now);
}

void login_limits::reset_account(std::string_view email) {
  std::lock_guard<std::mutex> guard{mtx_};
  per_account_.reset(email);
}

auth_actor::behavior_type auth_behavior(auth_pointer self, auth_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  return {
    [self](register_atom, credentials& c) { return register_user(self, std::move(c)); },
    [self](login_atom, credentials& c) { return login(self, std::move(c)); },
    [self](refresh_atom, const std::string& token, const request_meta& meta) {
      return refresh(self, token, meta);
    },
    [self](logout_atom, const std::string& token, const request_meta& meta) {
      return logout(self, token, meta);
    },
    [self](me_atom, const principal& who) { return me(self, who); },
    [self](add_key_atom, new_api_key& k) { return add_api_key(self, std::move(k)); },
    [self](list_keys_atom, const page_request& p) { return list_api_keys(self, p); },
    [self](revoke_key_atom, const std::string& id, const principal& who,
           const request_meta& meta) { return revoke_api_key(self, id, who, meta); },
    [self](list_users_atom, const page_request& p) { return list_users(self, p); },
    [self](set_roles_atom, roles_change& c) { return set_roles(self, std::move(c)); },
    [self](resolve_atom, const std::string& key) { return resolve_api_key(self, key); },
  };
}

} // namespace weft::auth
