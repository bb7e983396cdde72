#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "events/wire.hpp"

namespace weft {

/// Roles, from least to most powerful.
inline constexpr const char* role_user = "user";
inline constexpr const char* role_admin = "admin";
inline constexpr const char* role_root = "root";

/// Who is calling: the subject of a verified access token or API key.
struct principal {
  std::string id;                 ///< user id, or API key id
  std::string email;              ///< empty for API keys
  std::vector<std::string> roles;
  std::string via;                ///< "token", "cookie" or "api_key"
  /// Empty for the node's own accounts and API keys; `<plural>/<name>` for an
  /// account of a schema sign-in service (auth.password, auth.cookies): its
  /// roles are that schema's, and never admit it to the node's management.
  std::string realm;

  bool has_role(const std::string& r) const {
    return std::find(roles.begin(), roles.end(), r) != roles.end();
  }

  /// A role of the node (admin, root): held by the node's own accounts and
  /// API keys only; a schema account's roles are its schema's, whatever
  /// they are called. Every check of the node's powers goes through here.
  bool has_node_role(const std::string& r) const { return realm.empty() && has_role(r); }

  static auto describe() {
    return wire::object<principal>("weft.principal", "Who is calling",
                                   wire::field("id", &principal::id),
                                   wire::field("email", &principal::email),
                                   wire::field("roles", &principal::roles),
                                   wire::field("via", &principal::via)
                                     .one_of({"token", "cookie", "api_key"}),
                                   wire::field("realm", &principal::realm).optional());
  }
};
WEFT_WIRE(principal)

} // namespace weft
