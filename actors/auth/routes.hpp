#pragma once

#include <vector>

#include "actors/auth/interface.hpp"
#include "runtime/route.hpp"

namespace weft::auth {

/// The auth service's REST API (DESIGN §4, §5): accounts and tokens under
/// `/v1/auth`, API keys under `/v1/auth/api-keys`, users under `/v1/users`.
std::vector<route_decl> auth_routes(auth_actor front);

} // namespace weft::auth
