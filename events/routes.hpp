#pragma once

#include <string>
#include <string_view>

namespace weft::events {

/// Every Weft subject lives under this prefix, in stream `WEFT`.
inline constexpr std::string_view subject_prefix = "weft.";

/// `auth.user.created` -> `weft.auth.user.created`.
std::string subject_for_type(std::string_view type);

/// `weft.auth.user.created` -> `auth.user.created`; empty if not a Weft subject.
std::string type_for_subject(std::string_view subject);

/// The dead-letter subject of a consumer: `weft.dlq.<service>`.
std::string dead_letter_subject(std::string_view service);

/// True for subjects under `weft.dlq.`.
bool is_dead_letter_subject(std::string_view subject);

/// NATS subject matching: `*` matches one token, `>` one or more trailing tokens.
bool subject_matches(std::string_view filter, std::string_view subject);

/// A filter is valid when its tokens are non-empty and `>` only comes last.
bool valid_subject_filter(std::string_view filter);

} // namespace weft::events
