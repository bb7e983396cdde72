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

/// `GET /v1/services`: each service with its routes (method, path,
/// operation), the event types it publishes, the subjects it consumes, and
/// the schema bindings it serves (entity, kind, provider, operations).
nlohmann::json make_service_list(const std::vector<service_decl>& services);

/// The JSON Schema of that answer.
nlohmann::json service_list_schema();

} // namespace weft::http
