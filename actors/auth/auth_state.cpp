#include "actors/auth/auth_state.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/password.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

namespace weft::auth {

user_view to_view(const user_record& u) {
  return user_view{u.id, u.email, u.roles, u.created_at};
}

auth_actor::behavior_type auth_behavior(auth_pointer self, std::shared_ptr<store_session> session,
                                        auth_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.session = std::move(session);
  return {
    [self](register_atom, credentials& c, request_meta& meta) {
      return register_user(self, std::move(c), std::move(meta));
    },
    [self](login_atom, credentials& c, request_meta& meta) {
      return login(self, std::move(c), std::move(meta));
    },
    [self](refresh_atom, const refresh_request& r, const request_meta& meta) {
      return refresh(self, r.refresh_token, meta);
    },
    [self](logout_atom, const refresh_request& r, const request_meta& meta) {
      return logout(self, r.refresh_token, meta);
    },
    [self](me_atom, const principal& who) { return me(self, who); },
    [self](add_key_atom, new_api_key& k, const principal& who, const request_meta& meta) {
      return add_api_key(self, std::move(k), who, meta);
    },
    [self](list_keys_atom, const page_request& p) { return list_api_keys(self, p); },
    [self](revoke_key_atom, const std::string& id, const principal& who,
           const request_meta& meta) { return revoke_api_key(self, id, who, meta); },
    [self](list_users_atom, const page_request& p) { return list_users(self, p); },
    [self](set_roles_atom, const std::string& id, roles_change& c, const principal& who,
           const request_meta& meta) { return set_roles(self, id, std::move(c), who, meta); },
    [self](resolve_atom, const std::string& key) { return resolve_api_key(self, key); },
  };
}

caf::error bootstrap_root(store_session& session, const auth_settings& settings,
                          const root_settings& root) {
  if (root.email.empty())
    return {};
  auto email = normalize_email(root.email);
  if (email.empty())
    return api_error(api_errc::bad_request, "root.email is not a valid address");
  auto existing = read<std::optional<user_record>>(
    session, [&](unit_of_work& w) { return open_repository(w)->find_user_by_email(email); });
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
  auto err = session.transact([&](unit_of_work& w) -> caf::error {
    if (auto e = open_repository(w)->insert_user(u))
      return e;
    w.emit(events::make_envelope(user_created{u.id, u.email, u.roles}, u.id,
                                 events::origin{"auth", "bootstrap", {}, {}}));
    return {};
  });
  // Another node bootstrapped it at the same moment: fine.
  if (err && !is_api_error(err, api_errc::conflict))
    return err;
  if (!err)
    spdlog::info("auth: bootstrapped root user {}", email);
  return {};
}

std::unique_ptr<auth_repository> open_repository(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_repository(w) : open_memory_repository(w);
}

} // namespace weft::auth
