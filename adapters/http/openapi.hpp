#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/service.hpp"

namespace weft::http {

/// The OpenAPI 3.1 document of `services`, generated from their route
/// declarations alone (DESIGN §4: never hand-written twice). Documents the
/// versioned paths and the built-ins; unversioned aliases are described in
/// `info.description`.
nlohmann::json make_openapi(const std::vector<service_decl>& services,
                            const std::string& version);

} // namespace weft::http
