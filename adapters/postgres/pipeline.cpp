#include "adapters/postgres/pipeline.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace weft::pg {

void pipeline::add_params(const statement& st, std::vector<param> ps) {
  for (auto& p : ps)
    p = p.to_owned();
  items_.push_back(item{st, {}, std::move(ps)});
}

caf::error pipeline::send_all(const std::vector<item>& items,
                              std::vector<statement>& to_prepare) {
  PGconn* pc = conn_->conn_;
  // Statements new to this session are prepared first, in the same trip.
  for (const auto& it : items) {
    if (!it.st || !conn_->needs_prepare(*it.st))
      continue;
    auto same = [&](const statement& s) { return std::strcmp(s.name, it.st->name) == 0; };
    if (std::find_if(to_prepare.begin(), to_prepare.end(), same) != to_prepare.end())
      continue;
    if (PQsendPrepare(pc, it.st->name, it.st->sql, 0, nullptr) == 0)
      return conn_->send_failed();
    to_prepare.push_back(*it.st);
  }
  std::vector<const char*> values;
  for (const auto& it : items) {
    values.clear();
    for (const auto& p : it.params)
      values.push_back(p.c_str());
    int n = static_cast<int>(values.size());
    int ok = it.st ? PQsendQueryPrepared(pc, it.st->name, n, values.data(), nullptr, nullptr, 0)
                   : PQsendQueryParams(pc, it.sql.c_str(), n, nullptr, values.data(), nullptr,
                                       nullptr, 0);
    if (ok == 0)
      return conn_->send_failed();
    // Keep the socket moving without waiting: libpq buffers the rest.
    if (PQflush(pc) < 0)
      return conn_->lose("");
  }
  if (PQpipelineSync(pc) == 0)
    return conn_->send_failed();
  return {};
}

caf::expected<std::vector<result>> pipeline::run() {
  std::vector<result> out;
  if (items_.empty())
    return out;
  auto items = std::exchange(items_, {});
  if (auto err = conn_->ensure())
    return err;
  PGconn* pc = conn_->conn_;
  auto until = conn_->deadline();
  if (PQenterPipelineMode(pc) == 0)
    return conn_->send_failed();
  std::vector<statement> to_prepare;
  if (auto err = send_all(items, to_prepare)) {
    // Half a batch may be queued in pipeline mode: this session is spent.
    conn_->disconnect();
    return err;
  }
  if (auto err = conn_->flush(until))
    return err;
  // One result (then a NULL) per queued statement, then PIPELINE_SYNC.
  out.reserve(items.size());
  std::vector<bool> prepared(to_prepare.size(), false);
  caf::error first_error;
  size_t index = 0;
  for (bool synced = false; !synced;) {
    if (auto err = conn_->consume(until))
      return err;
    PGresult* r = PQgetResult(pc);
    if (r == nullptr) {
      ++index;
      continue;
    }
    switch (PQresultStatus(r)) {
      case PGRES_PIPELINE_SYNC:
        synced = true;
        PQclear(r);
        break;
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
        if (index < to_prepare.size()) {
          prepared[index] = true;
          PQclear(r);
        } else
          out.emplace_back(r);
        break;
      case PGRES_PIPELINE_ABORTED: // skipped after an earlier error
        PQclear(r);
        break;
      default:
        if (!first_error)
          first_error = error_from(r, pc);
        PQclear(r);
        if (!conn_->connected())
          return conn_->lose(server_message(first_error));
    }
  }
  PQexitPipelineMode(pc);
  // Prepared statements belong to the session, not to the transaction: the
  // ones that succeeded exist even if the batch was rolled back.
  for (size_t i = 0; i < to_prepare.size(); ++i)
    if (prepared[i])
      conn_->mark_prepared(to_prepare[i]);
  if (first_error)
    return first_error;
  if (out.size() != items.size())
    return make_pg_error(api_errc::internal, "database error", {},
                         "pipeline: " + std::to_string(out.size()) + " results for "
                           + std::to_string(items.size()) + " statements");
  return out;
}

} // namespace weft::pg
