#include "adapters/postgres/errors.hpp"

#include <libpq-fe.h>

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <spdlog/spdlog.h>

namespace weft::pg {

namespace {

// Context layout: 0 detail, 1 pointer, 2 retry_after_s (api_error's), then
// 3 sqlstate, 4 server message, 5 constraint.
std::string context_string(const caf::error& err, size_t i) {
  // category() and context() require a non-empty error.
  if (!err || err.category() != caf::atom("api"))
    return {};
  const auto& ctx = err.context();
  if (ctx.size() > i && ctx.match_element<std::string>(i))
    return ctx.get_as<std::string>(i);
  return {};
}

std::string field(const PGresult* r, int code) {
  const char* v = r ? PQresultErrorField(r, code) : nullptr;
  return v ? v : "";
}


} // namespace

caf::error make_pg_error(api_errc code, std::string detail, std::string sqlstate,
                         std::string message, std::string constraint) {
  uint32_t retry_after = code == api_errc::unavailable ? 1 : 0;
  return caf::make_error(code, std::move(detail), std::string{}, retry_after,
                         std::move(sqlstate), std::move(message), std::move(constraint));
}

caf::error unavailable(std::string why) {
  return make_pg_error(api_errc::unavailable, "database unavailable", {}, std::move(why));
}

caf::error error_from(const PGresult* r, PGconn* conn) {
  auto state = field(r, PG_DIAG_SQLSTATE);
  // The primary message alone: the full one spans lines (LINE 1: ... ^).
  auto message = field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty() && r)
    message = one_line(PQresultErrorMessage(r));
  if (message.empty() && conn)
    message = one_line(PQerrorMessage(conn));
  bool broken = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  // A lost connection, or no SQLSTATE at all (libpq itself failed: socket
  // closed, out of memory): the next call reconnects.
  if (broken || state.empty())
    return make_pg_error(api_errc::unavailable, "database unavailable", state,
                         std::move(message));
  auto cls = state.substr(0, 2);
  if (state == "23505")
    return make_pg_error(api_errc::conflict, "already exists", state, std::move(message),
                         field(r, PG_DIAG_CONSTRAINT_NAME));
  if (cls == "08" || cls == "53" || state == "57P01" || state == "57P02" || state == "57P03"
      || state == "25006")
    return make_pg_error(api_errc::unavailable, "database unavailable", state,
                         std::move(message));
  if (state == "40001" || state == "40P01" || state == "55P03")
    return make_pg_error(api_errc::unavailable, "concurrent update, please retry", state,
                         std::move(message));
  if (state == "57014")
    return make_pg_error(api_errc::timeout, "database statement timed out", state,
                         std::move(message));
  // A bug in our SQL or schema drift: the operator needs the server's words.
  // (26000, a prepared statement the session lost, is handled by the caller.)
  if (state != "26000")
    spdlog::warn("postgres: {} {}", state, message);
  return make_pg_error(api_errc::internal, "database error", state, std::move(message),
                       field(r, PG_DIAG_CONSTRAINT_NAME));
}

std::string sqlstate(const caf::error& err) {
  return context_string(err, 3);
}

std::string server_message(const caf::error& err) {
  return context_string(err, 4);
}

std::string constraint(const caf::error& err) {
  return context_string(err, 5);
}

bool is_retryable(const caf::error& err) {
  return err == api_errc::unavailable;
}

bool is_unique_violation(const caf::error& err) {
  return err == api_errc::conflict && sqlstate(err) == "23505";
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != caf::atom("api"))
    return caf::to_string(err);
  std::string out = "postgres ";
  out += to_string(static_cast<api_errc>(err.code()));
  if (auto s = sqlstate(err); !s.empty())
    out += " " + s;
  if (auto c = constraint(err); !c.empty())
    out += " (" + c + ")";
  auto m = server_message(err);
  if (!m.empty())
    out += ": " + m;
  else if (err.context().size() > 0 && err.context().match_element<std::string>(0))
    out += ": " + err.context().get_as<std::string>(0);
  return out;
}

std::string one_line(const char* text) {
  std::string out;
  bool gap = false;
  for (const char* p = text ? text : ""; *p; ++p) {
    if (*p == '\n' || *p == '\t' || *p == ' ') {
      gap = !out.empty();
      continue;
    }
    if (gap)
      out += ' ';
    gap = false;
    out += *p;
  }
  return out;
}

} // namespace weft::pg
