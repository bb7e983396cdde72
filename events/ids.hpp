#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::events {

/// A new RFC 9562 UUIDv7 (ms timestamp + random), lower-case canonical text.
/// Monotonic within a process, so ids sort in creation order.
std::string new_uuid_v7();

/// True if `s` is a UUID of any version in the 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view s);

/// RFC 3339 UTC with milliseconds: `2026-11-21T23:51:44.123Z`.
std::string format_rfc3339_ms(std::chrono::system_clock::time_point t);

/// Now, as `format_rfc3339_ms`.
std::string now_rfc3339_ms();

/// Parses RFC 3339 (`Z` or `+hh:mm`, optional fraction); false on bad input.
bool parse_rfc3339(std::string_view s, std::chrono::system_clock::time_point& out);

} // namespace weft::events
