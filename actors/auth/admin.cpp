#include <algorithm>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/idempotency.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

// API keys and user administration.
namespace weft::auth {

namespace {

constexpr std::string_view api_key_prefix = "wk_";

bool known_role(const std::string& r) {
  return r == role_user || r == role_admin || r == role_root;
}

api_key_view to_view(const api_key_record& k) {
  return api_key_view{k.id, k.name, k.role, k.created_at, {}};
}

/// Keyset paging: ask for one more than the page to know whether a next exists.
template <class Page, class Fetch, class View>
caf::result<Page> page_of(const page_request& p, Fetch fetch, View view) {
  auto rows = fetch(p.cursor, p.limit + 1);
  if (!rows)
    return rows.error();
  Page out;
  for (size_t i = 0; i < rows->size() && i < p.limit; ++i)
    out.items.push_back(view((*rows)[i]));
  if (rows->size() > p.limit)
    out.next = out.items.back().id;
  return out;
}

} // namespace

caf::result<api_key_view> add_api_key(auth_pointer self, new_api_key k) {
  auto& st = self->state;
  auto operation = "auth.api_keys.create:" + k.caller.id;
  auto prior = replay<api_key_view>(st, k.meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
  if (k.name.empty() || k.name.size() > 100)
    return api_error(api_errc::bad_request, "name must have 1 to 100 characters", "/name");
  if (k.role != role_user && k.role != role_admin)
    return api_error(api_errc::bad_request, "role must be user or admin", "/role");
  auto secret = std::string{api_key_prefix} + random_token(32);
  api_key_record rec{events::new_uuid_v7(), k.name, k.role, secret_hash(secret), k.caller.id,
                     events::now_rfc3339_ms()};
  auto view = to_view(rec);
  view.key = std::move(secret); // shown this once (and to a retry), stored only hashed
  unit_of_work work{{st.event(apikey_created{rec.id, rec.name, rec.role, k.caller.id}, rec.id,
                              k.meta)},
                    record_of(st, k.meta, operation, view)};
  if (auto err = st.deps.repo->insert_api_key(rec, work))
    return answer_after_failure<api_key_view>(st, k.meta, operation, std::move(err));
  return view;
}

caf::result<api_key_page> list_api_keys(auth_pointer self, const page_request& p) {
  auto& repo = *self->state.deps.repo;
  return page_of<api_key_page>(
    p, [&](const std::string& after, size_t n) { return repo.list_api_keys(after, n); },
    [](const api_key_record& k) { return to_view(k); });
}

caf::result<ack_atom> revoke_api_key(auth_pointer self, const std::string& id,
                                     const principal& who, const request_meta& meta) {
  auto& st = self->state;
  auto operation = "auth.api_keys.revoke:" + who.id;
  auto prior = replay<std::string>(st, meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return ack_atom::value;
  unit_of_work work{{st.event(apikey_revoked{id, who.id}, id, meta)},
                    record_of(st, meta, operation, std::string{"revoked"})};
  auto deleted = st.deps.repo->delete_api_key(id, work);
  if (!deleted) {
    auto answer = answer_after_failure<std::string>(st, meta, operation, deleted.error());
    if (!answer)
      return std::move(answer.error());
    return ack_atom::value;
  }
  if (!*deleted)
    return api_error(api_errc::not_found, "no API key with this id");
  return ack_atom::value;
}

caf::result<user_page> list_users(auth_pointer self, const page_request& p) {
  auto& repo = *self->state.deps.repo;
  return page_of<user_page>(
    p, [&](const std::string& after, size_t n) { return repo.list_users(after, n); },
    [](const user_record& u) { return weft::auth::to_view(u); });
}

caf::result<user_view> set_roles(auth_pointer self, roles_change c) {
  auto& st = self->state;
  auto operation = "users.roles.set:" + c.caller.id;
  auto prior = replay<user_view>(st, c.meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
  if (c.roles.empty())
    return api_error(api_errc::bad_request, "roles must not be empty", "/roles");
  for (const auto& r : c.roles)
    if (!known_role(r))
      return api_error(api_errc::bad_request, "unknown role: " + r, "/roles");
  std::sort(c.roles.begin(), c.roles.end());
  c.roles.erase(std::unique(c.roles.begin(), c.roles.end()), c.roles.end());
  auto user = st.deps.repo->find_user(c.user_id);
  if (!user)
    return user.error();
  if (!*user)
    return api_error(api_errc::not_found, "no user with this id");
  auto u = **user;
  auto previous = u.roles;
  u.roles = c.roles;
  auto view = weft::auth::to_view(u);
  unit_of_work work{{st.event(user_roles_changed{u.id, c.roles, previous, c.caller.id}, u.id,
                              c.meta)},
                    record_of(st, c.meta, operation, view)};
  if (auto err = st.deps.repo->update_roles(u.id, c.roles, work))
    return answer_after_failure<user_view>(st, c.meta, operation, std::move(err));
  return view;
}

caf::result<principal> resolve_api_key(auth_pointer self, const std::string& key) {
  auto found = self->state.deps.repo->find_api_key_by_hash(secret_hash(key));
  if (!found)
    return found.error();
  if (!*found)
    return api_error(api_errc::unauthenticated, "invalid API key");
  const auto& k = **found;
  return principal{k.id, {}, {k.role}, "api_key"};
}

} // namespace weft::auth
