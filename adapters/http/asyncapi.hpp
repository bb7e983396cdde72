#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/service.hpp"

namespace weft::http {

/// The AsyncAPI 3.0 document of the events `services` publish: one channel
/// per event type (address: its NATS subject, `weft.<type>`), the structured
/// CloudEvent as the message payload with the type's data schema, and a
/// `send` operation of the publishing service. Served at `/v1/asyncapi.json`
/// and printed by `weft schema asyncapi`.
nlohmann::json make_asyncapi(const std::vector<service_decl>& services, const std::string& version);

} // namespace weft::http
