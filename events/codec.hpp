#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "events/envelope.hpp"

namespace weft::events {

/// CloudEvents JSON format (structured mode): `data` is embedded as JSON
/// (as a JSON string if it is not valid JSON text), omitted when "null" or
/// empty; empty optional attributes are omitted.
std::string encode(const envelope& ev);
/// As `encode`, as a JSON value.
nlohmann::json encode_json(const envelope& ev);

/// Reads the CloudEvents JSON format. Rejects a missing or wrongly typed
/// required attribute (`id`, `source`, `type`, `specversion`) with an
/// `events::errc` whose context is `(attribute, message)`. Optional
/// attributes, when present, must be strings (`null` counts as absent);
/// `time` must be RFC 3339; `specversion` must be `1.0`. Unknown extension
/// attributes are ignored; `data_base64` is rejected. Absent `data` decodes
/// to "null".
caf::expected<envelope> decode(std::string_view json_text);
/// As `decode`, from a parsed JSON value.
caf::expected<envelope> decode_json(const nlohmann::json& j);

} // namespace weft::events
