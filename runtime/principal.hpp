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
  std::string via;                ///< "token" or "api_key"

  bool has_role(const std::string& r) const {
    return std::find(roles.begin(), roles.end(), r) != roles.end();
  }

  static auto describe() {
    return wire::object<principal>("weft.principal", "Who is calling",
                                   wire::field("id", &principal::id),
                                   wire::field("email", &principal::email),
                                   wire::field("roles", &principal::roles),
                                   wire::field("via", &principal::via).one_of({"token", "api_key"}));
  }
};
WEFT_WIRE(principal)

} // namespace weft
