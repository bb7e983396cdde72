#pragma once

#include <cstdint>
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

// Partitions (`nats.partitions` > 1): on the wire a subject carries its
// aggregate's partition as the token after `weft.`, so a consumer can read one
// partition with one filter (nats-server 2.9 allows one per consumer) while
// `weft.>` still reads everything. Handlers see the subject without it.

/// The partition of an aggregate key among `partitions`: FNV-1a, the same on
/// every node and build.
uint32_t partition_of(std::string_view aggregate, uint32_t partitions);

/// `weft.auth.user.created`, 3 -> `weft.p3.auth.user.created`.
std::string partitioned_subject(std::string_view subject, uint32_t partition);

/// The inverse: drops a `p<digits>` token right after `weft.`; any other
/// subject comes back unchanged.
std::string unpartitioned_subject(std::string_view wire);

/// A consumer filter narrowed to one partition: `weft.auth.>`, 3 ->
/// `weft.p3.auth.>`, and no filter (everything) -> `weft.p3.>`. Empty when
/// `filter` is not under `weft.` (such a consumer cannot be partitioned).
std::string partition_filter(std::string_view filter, uint32_t partition);

/// An event type pattern of a subscription or a stream filter: `a.b.c`,
/// `a.b.*` (every type under `a.b.`) or `*`; tokens of letters, digits,
/// `_` and `-`.
bool valid_type_pattern(std::string_view pattern);

/// True if `type` is what a valid `pattern` names: itself, one under
/// `prefix.` for `prefix.*`, anything for `*`.
bool type_matches(std::string_view pattern, std::string_view type);

/// NATS subject matching: `*` matches one token, `>` one or more trailing tokens.
bool subject_matches(std::string_view filter, std::string_view subject);

/// A filter is valid when its tokens are non-empty and `>` only comes last.
bool valid_subject_filter(std::string_view filter);

} // namespace weft::events
