#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "events/envelope.hpp"
#include "events/wire.hpp"

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

namespace weft::wire {

/// A CloudEvent inside a wire type (an audit page's items) is its
/// structured JSON, as on the stream.
template <>
struct json_traits<events::envelope> {
  static void to_json(nlohmann::json& j, const events::envelope& ev) { j = events::encode_json(ev); }
  static void from_json(const nlohmann::json& j, events::envelope& ev) {
    auto decoded = events::decode_json(j);
    if (!decoded)
      throw read_error("", "is not a CloudEvent");
    ev = std::move(*decoded);
  }
  static nlohmann::json schema() {
    return {{"type", "object"}, {"description", "a CloudEvents 1.0 event"}};
  }
};

} // namespace weft::wire
