#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp> // CAF_ERROR_CODE_ENUM's context() needs make_message

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

/// The enum's name, e.g. `missing_attribute`; lets the runtime register the
/// category with `cfg.add_error_category<errc>(caf::atom("events"))`.
const char* to_string(errc x);

/// True if `err` belongs to the `events` category.
bool is_events_error(const caf::error& err);

/// True if `err` is the events error `x` (context ignored).
bool is(const caf::error& err, errc x);

/// The attribute or field named by an events error's context; empty if none.
std::string error_attribute(const caf::error& err);

/// The human message of an events error's context; empty if none.
std::string error_message(const caf::error& err);

/// `events: missing_attribute (id): required attribute is missing`; any
/// other error as `caf::to_string`.
std::string describe(const caf::error& err);

} // namespace weft::events

CAF_ERROR_CODE_ENUM(weft::events::errc, "events")
