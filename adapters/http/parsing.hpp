#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "events/wire_schema.hpp"

// Small, allocation-conscious helpers for the request path. Pure functions,
// no Beast, so unit tests exercise them directly.
namespace weft::http {

/// Percent-decodes `in`; `plus_as_space` for query strings. Malformed escapes
/// are kept literally.
std::string percent_decode(std::string_view in, bool plus_as_space);

/// Decodes `a=1&b=x%20y&c` into {a:1, b:"x y", c:""}; the first of repeated
/// keys wins.
std::map<std::string, std::string> parse_query(std::string_view query);

/// The query parameters `schema` (an object schema) names, as JSON values of
/// the types it gives them: integers and numbers parsed, booleans from
/// `true`/`false`, arrays from comma-separated lists, strings as they are.
/// Parameters it does not name are left out; a value that does not parse is
/// a violation (`limit must be an integer`).
nlohmann::json typed_query(const nlohmann::json& schema,
                           const std::map<std::string, std::string>& query,
                           std::vector<wire::violation>& violations);

/// Splits a request target into path and query (without the `?`).
void split_target(std::string_view target, std::string_view& path,
                  std::string_view& query);

/// True when no object or array in `json` nests deeper than `max_depth`
/// (a top-level `{}` is depth 1). Scans the text, so it runs before parsing.
bool json_depth_ok(std::string_view json, uint32_t max_depth);

/// True for `application/json`, with any parameters (`; charset=utf-8`),
/// case-insensitive.
bool is_json_content_type(std::string_view value);

/// True for an acceptable client `X-Request-Id`: 1-128 of [A-Za-z0-9._-].
bool is_sane_request_id(std::string_view id);

/// A random UUIDv4-shaped id (thread-local generator, no locks).
std::string make_request_id();

/// The token of `Authorization: Bearer <token>`, or empty.
std::string_view bearer_token(std::string_view authorization);

/// The `name=value` pairs of a Cookie header (RFC 6265 §5.4), values
/// without their optional quotes; the first of a name given twice wins.
std::map<std::string, std::string> parse_cookies(std::string_view header);

/// The token in the first of `names` (the node's session cookies) that
/// `cookies` carries with a value; empty if none does.
std::string_view session_cookie_token(const std::map<std::string, std::string>& cookies,
                                      const std::vector<std::string>& names);

/// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);

} // namespace weft::http
