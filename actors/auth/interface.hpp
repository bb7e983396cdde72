#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/auth/settings.hpp"
#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/cursor.hpp"
#include "runtime/principal.hpp"
#include "runtime/request_meta.hpp"
#include "runtime/route.hpp"

// The auth service as other actors see it: its messages, each described once
// (CAF inspect, JSON, JSON Schema), its typed front actor, and its routes,
// which translate HTTP into these.
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

/// Email and password, for register and login.
struct credentials {
  std::string email;
  std::string password;

  static auto describe() {
    return wire::object<credentials>("weft.auth.credentials", "An account's email and password",
                                     wire::field("email", &credentials::email).format("email"),
                                     wire::field("password", &credentials::password));
  }
};
WEFT_WIRE(credentials)

/// A user as the API shows it (never its password hash).
struct user_view {
  std::string id;
  std::string email;
  std::vector<std::string> roles;
  std::string created_at;

  static auto describe() {
    return wire::object<user_view>(
      "weft.auth.user_view", "An account",
      wire::field("id", &user_view::id).format("uuid"),
      wire::field("email", &user_view::email),
      wire::field("roles", &user_view::roles),
      wire::field("created_at", &user_view::created_at).format("date-time"));
  }
};
WEFT_WIRE(user_view)

/// OAuth 2.0 token response (RFC 6749 §5.1).
struct token_grant {
  std::string access_token;
  std::string token_type = "Bearer";
  uint32_t expires_in = 0;
  std::string refresh_token;

  static auto describe() {
    return wire::object<token_grant>(
      "weft.auth.token_grant", "An access and a refresh token",
      wire::field("access_token", &token_grant::access_token),
      wire::field("token_type", &token_grant::token_type).one_of({"Bearer"}),
      wire::field("expires_in", &token_grant::expires_in).doc("seconds"),
      wire::field("refresh_token", &token_grant::refresh_token));
  }
};
WEFT_WIRE(token_grant)

/// A refresh token presented to refresh or log out.
struct refresh_request {
  std::string refresh_token;

  static auto describe() {
    return wire::object<refresh_request>(
      "weft.auth.refresh_request", "A refresh token",
      wire::field("refresh_token", &refresh_request::refresh_token));
  }
};
WEFT_WIRE(refresh_request)

/// An API key as the API shows it: `key` only in the answer to its creation.
struct api_key_view {
  std::string id;
  std::string name;
  std::string role;
  std::string created_at;
  std::string key;

  static auto describe() {
    return wire::object<api_key_view>(
      "weft.auth.api_key_view", "An API key",
      wire::field("id", &api_key_view::id).format("uuid"),
      wire::field("name", &api_key_view::name),
      wire::field("role", &api_key_view::role).one_of({"user", "admin"}),
      wire::field("created_at", &api_key_view::created_at).format("date-time"),
      wire::field("key", &api_key_view::key).optional().doc("only in the answer to its creation"));
  }
};
WEFT_WIRE(api_key_view)

/// What a new API key is to be.
struct new_api_key {
  std::string name;
  std::string role;

  static auto describe() {
    return wire::object<new_api_key>(
      "weft.auth.new_api_key", "A new API key",
      wire::field("name", &new_api_key::name).min_length(1).max_length(100),
      wire::field("role", &new_api_key::role).one_of({"user", "admin"}));
  }
};
WEFT_WIRE(new_api_key)

/// An account's new roles.
struct roles_change {
  std::vector<std::string> roles;

  static auto describe() {
    return wire::object<roles_change>("weft.auth.roles_change", "The roles an account gets",
                                      wire::field("roles", &roles_change::roles).min_length(1));
  }
};
WEFT_WIRE(roles_change)

struct user_page {
  std::vector<user_view> items;
  std::string next; ///< empty (null) on the last page

  static auto describe() {
    return wire::object<user_page>("weft.auth.user_page", "A page of accounts",
                                   wire::field("items", &user_page::items),
                                   wire::field("next", &user_page::next).nullable());
  }
};
WEFT_WIRE(user_page)

struct api_key_page {
  std::vector<api_key_view> items;
  std::string next;

  static auto describe() {
    return wire::object<api_key_page>("weft.auth.api_key_page", "A page of API keys",
                                      wire::field("items", &api_key_page::items),
                                      wire::field("next", &api_key_page::next).nullable());
  }
};
WEFT_WIRE(api_key_page)

/// The auth service's front actor. Errors are `api_errc` values.
using auth_actor = caf::typed_actor<
  caf::replies_to<register_atom, credentials, request_meta>::with<user_view>,
  caf::replies_to<login_atom, credentials, request_meta>::with<token_grant>,
  caf::replies_to<refresh_atom, refresh_request, request_meta>::with<token_grant>,
  caf::replies_to<logout_atom, refresh_request, request_meta>::with<ack_atom>,
  caf::replies_to<me_atom, principal>::with<user_view>,
  caf::replies_to<add_key_atom, new_api_key, principal, request_meta>::with<api_key_view>,
  caf::replies_to<list_keys_atom, page_request>::with<api_key_page>,
  caf::replies_to<revoke_key_atom, std::string, principal, request_meta>::with<ack_atom>,
  caf::replies_to<list_users_atom, page_request>::with<user_page>,
  caf::replies_to<set_roles_atom, std::string, roles_change, principal,
                  request_meta>::with<user_view>,
  caf::replies_to<resolve_atom, std::string>::with<principal>>;

/// The auth routes (`/auth/...`, `/users...`); register's body schema
/// carries the configured password length.
std::vector<route_decl> auth_routes(const auth_settings& s);

} // namespace weft::auth
