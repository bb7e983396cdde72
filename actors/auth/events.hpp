#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/catalog.hpp"

// The events the auth service publishes. Subject: the user id, or for API
// keys the key id. Version 1 of each schema.
namespace weft::auth {

/// A user registered (or the root user was bootstrapped).
struct user_created {
  static constexpr std::string_view type_name = "auth.user.created";
  static constexpr int version = 1;
  std::string user_id;
  std::string email;
  std::vector<std::string> roles;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(user_created, user_id, email, roles)

/// A user logged in (a new refresh-token family started).
struct user_login {
  static constexpr std::string_view type_name = "auth.user.login";
  static constexpr int version = 1;
  std::string user_id;
  std::string client_ip;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(user_login, user_id, client_ip)

/// A user logged out (a refresh-token family was revoked).
struct user_logout {
  static constexpr std::string_view type_name = "auth.user.logout";
  static constexpr int version = 1;
  std::string user_id;
  std::string reason; ///< "logout" or "refresh_token_reuse"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(user_logout, user_id, reason)

/// A user's roles were replaced.
struct user_roles_changed {
  static constexpr std::string_view type_name = "auth.user.roles.changed";
  static constexpr int version = 1;
  std::string user_id;
  std::vector<std::string> roles;
  std::vector<std::string> previous;
  std::string changed_by;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(user_roles_changed, user_id, roles, previous, changed_by)

/// An API key was created (its secret never appears in an event).
struct apikey_created {
  static constexpr std::string_view type_name = "auth.apikey.created";
  static constexpr int version = 1;
  std::string key_id;
  std::string name;
  std::string role;
  std::string created_by;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(apikey_created, key_id, name, role, created_by)

/// An API key was revoked.
struct apikey_revoked {
  static constexpr std::string_view type_name = "auth.apikey.revoked";
  static constexpr int version = 1;
  std::string key_id;
  std::string revoked_by;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(apikey_revoked, key_id, revoked_by)

/// Adds the auth service's event types to a catalog.
inline void add_auth_events(events::catalog& c) {
  c.add<user_created>("auth");
  c.add<user_login>("auth");
  c.add<user_logout>("auth");
  c.add<user_roles_changed>("auth");
  c.add<apikey_created>("auth");
  c.add<apikey_revoked>("auth");
}

} // namespace weft::auth
