#pragma once

#include <cstdint>

#include <caf/error.hpp>

namespace weft::events {

/// Why an event could not be read or built. The error's context names the
/// attribute or field at fault.
enum class errc : uint8_t {
  malformed_json = 1,   ///< not JSON at all, or not a JSON object
  missing_attribute,    ///< a required CloudEvents attribute is absent
  wrong_type,           ///< an attribute or field has the wrong JSON type
  invalid_value,        ///< right type, unacceptable value (bad time, specversion)
  unknown_type,         ///< the event type is not in the catalog
  invalid_data,         ///< `data` does not match the typed event's schema
};

const char* to_string(errc x);

} // namespace weft::events

CAF_ERROR_CODE_ENUM(weft::events::errc, "events")
