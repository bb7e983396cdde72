#pragma once

#include <string>
#include <string_view>

// Writing response heads by hand: cheaper than Beast's serializer, and the
// static parts of fixed responses are built once.
namespace weft::http::wire {

/// Appends `HTTP/1.1 <status> <reason>\r\n`.
void status_line(std::string& out, int status);

/// Appends `Date: <IMF-fixdate>\r\n` from a per-thread once-a-second cache.
void date_header(std::string& out);

/// Appends `<name>: <value>\r\n`, dropping CR and LF from both (no header
/// injection through service-supplied values).
void header(std::string& out, std::string_view name, std::string_view value);

/// Appends `Content-Length: <n>\r\n`.
void content_length(std::string& out, size_t n);

} // namespace weft::http::wire
