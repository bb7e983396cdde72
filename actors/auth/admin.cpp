#include <algorithm>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"
#include "runtime/cursor.hpp"

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

/// A keyset page of `list(after, n)`, keyed by id.
template <class Page, class List, class View>
caf::result<Page> page_of(auth_state& st, const page_request& p, List list, View view) {
  auto after = cursor::decode_uuid(p.cursor);
  if (!after)
    return std::move(after.error());
  using rows_t = typename decltype(list(std::declval<auth_repository&>(), std::string{},
                                        size_t{}))::value_type;
  auto rows = st.read<rows_t>([&](auth_repository& repo) { return list(repo, *after, p.limit + 1); });
  if (!rows)
    return rows.error();
  return cursor::page_of<Page>(std::move(*rows), p.limit, view,
                               [](const auto& row) { return row.id; });
}

} // namespace

caf::result<api_key_view> add_api_key(auth_pointer self, new_api_key k, const principal& who,
                                      const request_meta& meta) {
  auto& st = self->state;
  auto operation = "auth.api_keys.create:" + who.id;
  auto prior = st.replay<api_key_view>(meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
  // The edge checked these against the schema; they hold for any caller.
  if (k.name.empty() || k.name.size() > 100)
    return api_error(api_errc::bad_request, "name must have 1 to 100 characters", "/name");
  if (k.role != role_user && k.role != role_admin)
    return api_error(api_errc::bad_request, "role must be user or admin", "/role");
  // A key never mints its peers: admins make user keys, only root admin keys.
  if (k.role == role_admin && !who.has_node_role(role_root))
    return api_error(api_errc::forbidden, "only root may create admin keys", "/role");
  auto secret = std::string{api_key_prefix} + random_token(32);
  api_key_record rec{events::new_uuid_v7(), k.name, k.role, secret_hash(secret), who.id,
                     events::now_rfc3339_ms()};
  auto view = to_view(rec);
  view.key = std::move(secret); // shown this once (and to a retry), stored only hashed
  return st.write<api_key_view>(
    meta, operation, [&](auth_repository& repo, unit_of_work& w) -> caf::expected<api_key_view> {
      if (auto err = repo.insert_api_key(rec))
        return err;
      w.emit(st.event(apikey_created{rec.id, rec.name, rec.role, who.id}, rec.id, meta));
      return view;
    });
}

caf::result<api_key_page> list_api_keys(auth_pointer self, const page_request& p) {
  return page_of<api_key_page>(
    self->state, p,
    [](auth_repository& repo, const std::string& after, size_t n) {
      return repo.list_api_keys(after, n);
    },
    [](const api_key_record& k) { return to_view(k); });
}

caf::result<ack_atom> revoke_api_key(auth_pointer self, const std::string& id,
                                     const principal& who, const request_meta& meta) {
  auto& st = self->state;
  auto operation = "auth.api_keys.revoke:" + who.id;
  auto prior = st.replay<std::string>(meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return ack_atom::value;
  auto done = st.write<std::string>(
    meta, operation, [&](auth_repository& repo, unit_of_work& w) -> caf::expected<std::string> {
      auto deleted = repo.delete_api_key(id);
      if (!deleted)
        return deleted.error();
      // Nothing deleted, nothing happened: no event, no recorded answer.
      if (!*deleted)
        return api_error(api_errc::not_found, "no API key with this id");
      w.emit(st.event(apikey_revoked{id, who.id}, id, meta));
      return std::string{"revoked"};
    });
  if (!done)
    return done.error();
  return ack_atom::value;
}

caf::result<user_page> list_users(auth_pointer self, const page_request& p) {
  return page_of<user_page>(
    self->state, p,
    [](auth_repository& repo, const std::string& after, size_t n) {
      return repo.list_users(after, n);
    },
    [](const user_record& u) { return weft::auth::to_view(u); });
}

caf::result<user_view> set_roles(auth_pointer self, const std::string& user_id, roles_change c,
                                 const principal& who, const request_meta& meta) {
  auto& st = self->state;
  auto operation = "users.roles.set:" + who.id;
  auto prior = st.replay<user_view>(meta, operation);
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
  return st.write<user_view>(
    meta, operation, [&](auth_repository& repo, unit_of_work& w) -> caf::expected<user_view> {
      auto user = repo.find_user(user_id);
      if (!user)
        return user.error();
      if (!*user)
        return api_error(api_errc::not_found, "no user with this id");
      auto u = **user;
      auto previous = u.roles;
      u.roles = c.roles;
      if (auto err = repo.update_roles(u.id, c.roles))
        return err;
      w.emit(st.event(user_roles_changed{u.id, c.roles, previous, who.id}, u.id, meta));
      return weft::auth::to_view(u);
    });
}

caf::result<principal> resolve_api_key(auth_pointer self, const std::string& key) {
  auto found = self->state.read<std::optional<api_key_record>>(
    [&](auth_repository& repo) { return repo.find_api_key_by_hash(secret_hash(key)); });
  if (!found)
    return found.error();
  if (!*found)
    return api_error(api_errc::unauthenticated, "invalid API key");
  const auto& k = **found;
  return principal{k.id, {}, {k.role}, "api_key", {}};
}

} // namespace weft::auth
