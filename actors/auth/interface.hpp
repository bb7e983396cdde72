#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/atoms.hpp"
#include "runtime/principal.hpp"

// The auth service as other actors see it: its messages and its typed front
// actor. Route declarations (routes.hpp) translate HTTP into these.
namespace weft::auth {

using register_atom = caf::atom_constant<caf::atom("register")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using refresh_atom = caf::atom_constant<caf::atom("refresh")>;
using logout_atom = caf::atom_constant<caf::atom("logout")>;
using me_atom = caf::atom_constant<caf::atom("me")>;
using add_key_atom = caf::atom_constant<caf::atom("addkey")>;
using list_keys_atom = caf::atom_constant<caf::atom("listkeys")>;
using revoke_key_atom = caf::atom_constant<caf::atom("revokekey")>;
using list_users_atom = caf::atom_constant<caf::atom("listusers")>;
using set_roles_atom = caf::atom_constant<caf::atom("setroles")>;

/// Who asked, for the events a request causes.
struct request_meta {
  std::string request_id;       ///< becomes the events' correlationid
  std::string client_ip;        ///< for the per-IP login limit
  std::string idempotency_key;  ///< Idempotency-Key header of a write, if any
  std::string request_hash;     ///< SHA-256 of the request, to tell a retry from misuse
};

/// Email and password, for register and login.
struct credentials {
  std::string email;
  std::string password;
  request_meta meta;
};

/// A user as the API shows it (never its password hash).
struct user_view {
  std::string id;
  std::string email;
  std::vector<std::string> roles;
  std::string created_at;
};

/// OAuth 2.0 token response (RFC 6749 §5.1), `token_type` is always Bearer.
struct token_grant {
  std::string access_token;
  uint32_t expires_in = 0;
  std::string refresh_token;
};

/// A new API key: `key` is set only in the answer to its creation.
struct api_key_view {
  std::string id;
  std::string name;
  std::string role;
  std::string created_at;
  std::string key;
};

struct new_api_key {
  std::string name;
  std::string role;
  principal caller;
  request_meta meta;
};

/// Keyset paging: items after `cursor` (empty: from the start).
struct page_request {
  uint32_t limit = 50;
  std::string cursor;
};

struct user_page {
  std::vector<user_view> items;
  std::string next; ///< empty when this is the last page
};

struct api_key_page {
  std::vector<api_key_view> items;
  std::string next;
};

struct roles_change {
  std::string user_id;
  std::vector<std::string> roles;
  principal caller;
  request_meta meta;
};

/// The auth service's front actor. Errors are `api_errc` values.
using auth_actor = caf::typed_actor<
  caf::replies_to<register_atom, credentials>::with<user_view>,
  caf::replies_to<login_atom, credentials>::with<token_grant>,
  caf::replies_to<refresh_atom, std::string, request_meta>::with<token_grant>,
  caf::replies_to<logout_atom, std::string, request_meta>::with<ack_atom>,
  caf::replies_to<me_atom, principal>::with<user_view>,
  caf::replies_to<add_key_atom, new_api_key>::with<api_key_view>,
  caf::replies_to<list_keys_atom, page_request>::with<api_key_page>,
  caf::replies_to<revoke_key_atom, std::string, principal, request_meta>::with<ack_atom>,
  caf::replies_to<list_users_atom, page_request>::with<user_page>,
  caf::replies_to<set_roles_atom, roles_change>::with<user_view>,
  caf::replies_to<resolve_atom, std::string>::with<principal>>;

// CAF 0.17 inspectors, so these messages can cross nodes.

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_meta& x) {
  return f(caf::meta::type_name("weft.auth.request_meta"), x.request_id, x.client_ip,
           x.idempotency_key, x.request_hash);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credentials& x) {
  return f(caf::meta::type_name("weft.auth.credentials"), x.email, x.password, x.meta);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_view& x) {
  return f(caf::meta::type_name("weft.auth.user_view"), x.id, x.email, x.roles,
           x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_grant& x) {
  return f(caf::meta::type_name("weft.auth.token_grant"), x.access_token, x.expires_in,
           x.refresh_token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_key_view& x) {
  return f(caf::meta::type_name("weft.auth.api_key_view"), x.id, x.name, x.role,
           x.created_at, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_api_key& x) {
  return f(caf::meta::type_name("weft.auth.new_api_key"), x.name, x.role, x.caller, x.meta);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, page_request& x) {
  return f(caf::meta::type_name("weft.page_request"), x.limit, x.cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_page& x) {
  return f(caf::meta::type_name("weft.auth.user_page"), x.items, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_key_page& x) {
  return f(caf::meta::type_name("weft.auth.api_key_page"), x.items, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, roles_change& x) {
  return f(caf::meta::type_name("weft.auth.roles_change"), x.user_id, x.roles, x.caller,
           x.meta);
}

} // namespace weft::auth
