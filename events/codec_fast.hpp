#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "events/envelope.hpp"

// The common case of the CloudEvents JSON codec without a JSON document:
// every event crosses encode/decode several times on its way through the
// outbox, the bus and the inbox (about 10 us of the node's CPU per event
// with nlohmann::json). Each function gives the byte-identical result of
// the general path (codec.cpp) or declines, and codec.cpp then takes the
// general path: anything unusual (non-ASCII text, escapes other than the
// ones dump() writes, floats, extensions, nulls, errors) goes there.
namespace weft::events::fast {

/// True when `s` is exactly what nlohmann::json::parse(s).dump() writes:
/// ASCII, no whitespace, object keys sorted and unique (without escapes),
/// strings escaped as dump() escapes them, integers of at most 18 digits
/// (no -0), true, false, null. Such text can be embedded or kept verbatim.
bool is_canonical_json(std::string_view s);

/// encode(ev), or nullopt when the general path must write it.
std::optional<std::string> encode(const envelope& ev);

/// decode(text) of a well-formed event, or nullopt (also for every error:
/// the general path words it).
std::optional<envelope> decode(std::string_view text);

} // namespace weft::events::fast
