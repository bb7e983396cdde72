#pragma once

#include <vector>

#include "actors/audit/interface.hpp"
#include "runtime/route.hpp"

namespace weft::audit {

/// `GET /v1/audit?type=&subject=&since=&limit=&cursor=` for admins and root.
std::vector<route_decl> audit_routes(audit_actor front);

} // namespace weft::audit
