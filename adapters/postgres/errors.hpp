#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "runtime/api_error.hpp"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

// SQLSTATEs are translated here, at the adapter boundary, straight into
// weft::api_errc, so a repository can hand a database error to the HTTP edge
// unchanged. The context keeps api_error's layout (detail, pointer,
// retry_after_s) that problem_for reads, followed by what a caller needs to
// decide (sqlstate, server message, constraint). The detail is generic: a
// client never sees server messages or schema names.
//
//   23505 unique_violation                         -> conflict
//   08xxx, 57P01..57P03, 53xxx, 25006, no SQLSTATE
//   on a broken connection                         -> unavailable (retryable)
//   40001 serialization_failure, 40P01 deadlock,
//   55P03 lock_not_available                       -> unavailable (retryable)
//   57014 query_canceled (statement_timeout)       -> timeout
//   anything else                                  -> internal (logged)
namespace weft::pg {

/// Builds a database error: `code` with a client-safe `detail`, and the
/// server's SQLSTATE, message and constraint for callers and logs.
caf::error make_pg_error(api_errc code, std::string detail, std::string sqlstate = {},
                         std::string message = {}, std::string constraint = {});

/// The error of a failed result (or of the connection when `r` is null).
caf::error error_from(const PGresult* r, PGconn* conn);

/// `unavailable` with `why` as the server message (connection trouble).
caf::error unavailable(std::string why);

/// The SQLSTATE of a database error (`23505`); empty if none.
std::string sqlstate(const caf::error& err);

/// The server's own message (or libpq's); empty if none.
std::string server_message(const caf::error& err);

/// The violated constraint's name (`weft_users_email_key`); empty if none.
std::string constraint(const caf::error& err);

/// True for errors worth retrying the whole unit of work for: connection
/// loss, shutdown, serialization failure, deadlock (api_errc::unavailable).
bool is_retryable(const caf::error& err);

/// True if `err` is a unique violation (api_errc::conflict from 23505).
bool is_unique_violation(const caf::error& err);

/// `postgres 23505 (weft_users_email_key): duplicate key value ...` for logs.
std::string describe(const caf::error& err);

/// libpq's messages span lines ("server closed the connection\n\tThis
/// probably means ..."): one line for logs and errors.
std::string one_line(const char* text);

} // namespace weft::pg
