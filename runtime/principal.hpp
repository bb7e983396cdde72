#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

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
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, principal& x) {
  return f(caf::meta::type_name("weft.principal"), x.id, x.email, x.roles, x.via);
}

} // namespace weft
