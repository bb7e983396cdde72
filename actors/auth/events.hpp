#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "events/typed_event.hpp"
#include "events/wire.hpp"

// The events the auth service publishes, each described once (its `data`
// schema, JSON and CAF inspect), with its type name and schema version.
// Subject: the user id, or for API keys the key id. Other services read
// them from here (notifications subscribes to two of them).
namespace weft::auth {

/// A user registered (or the root user was bootstrapped).
struct user_created {
  static constexpr std::string_view type_name = "auth.user.created";
  static constexpr int version = 1;
  std::string user_id;
  std::string email;
  std::vector<std::string> roles;

  static auto describe() {
    return wire::object<user_created>("weft.auth.user_created", "A user registered",
                                      wire::field("user_id", &user_created::user_id),
                                      wire::field("email", &user_created::email),
                                      wire::field("roles", &user_created::roles));
  }
};
WEFT_WIRE(user_created)

/// A user logged in (a new refresh-token family started).
struct user_login {
  static constexpr std::string_view type_name = "auth.user.login";
  static constexpr int version = 1;
  std::string user_id;
  std::string client_ip;

  static auto describe() {
    return wire::object<user_login>("weft.auth.user_login", "A user logged in",
                                    wire::field("user_id", &user_login::user_id),
                                    wire::field("client_ip", &user_login::client_ip));
  }
};
WEFT_WIRE(user_login)

/// A user logged out (a refresh-token family was revoked).
struct user_logout {
  static constexpr std::string_view type_name = "auth.user.logout";
  static constexpr int version = 1;
  std::string user_id;
  std::string reason; ///< "logout" or "refresh_token_reuse"

  static auto describe() {
    return wire::object<user_logout>(
      "weft.auth.user_logout", "A session ended",
      wire::field("user_id", &user_logout::user_id),
      wire::field("reason", &user_logout::reason).one_of({"logout", "refresh_token_reuse"}));
  }
};
WEFT_WIRE(user_logout)

/// A user's roles were replaced.
struct user_roles_changed {
  static constexpr std::string_view type_name = "auth.user.roles.changed";
  static constexpr int version = 1;
  std::string user_id;
  std::vector<std::string> roles;
  std::vector<std::string> previous;
  std::string changed_by;

  static auto describe() {
    return wire::object<user_roles_changed>(
      "weft.auth.user_roles_changed", "A user's roles were replaced",
      wire::field("user_id", &user_roles_changed::user_id),
      wire::field("roles", &user_roles_changed::roles),
      wire::field("previous", &user_roles_changed::previous),
      wire::field("changed_by", &user_roles_changed::changed_by));
  }
};
WEFT_WIRE(user_roles_changed)

/// An API key was created (its secret never appears in an event).
struct apikey_created {
  static constexpr std::string_view type_name = "auth.apikey.created";
  static constexpr int version = 1;
  std::string key_id;
  std::string name;
  std::string role;
  std::string created_by; ///< the caller's id: a user, or an API key

  static auto describe() {
    return wire::object<apikey_created>("weft.auth.apikey_created", "An API key was created",
                                        wire::field("key_id", &apikey_created::key_id),
                                        wire::field("name", &apikey_created::name),
                                        wire::field("role", &apikey_created::role),
                                        wire::field("created_by", &apikey_created::created_by));
  }
};
WEFT_WIRE(apikey_created)

/// An API key was revoked.
struct apikey_revoked {
  static constexpr std::string_view type_name = "auth.apikey.revoked";
  static constexpr int version = 1;
  std::string key_id;
  std::string revoked_by;

  static auto describe() {
    return wire::object<apikey_revoked>("weft.auth.apikey_revoked", "An API key was revoked",
                                        wire::field("key_id", &apikey_revoked::key_id),
                                        wire::field("revoked_by", &apikey_revoked::revoked_by));
  }
};
WEFT_WIRE(apikey_revoked)

} // namespace weft::auth

namespace weft::auth {

/// Every event the auth service publishes (its declaration reads this).
using published_events = events::event_list<user_created, user_login, user_logout,
                                             user_roles_changed, apikey_created, apikey_revoked>;

} // namespace weft::auth
